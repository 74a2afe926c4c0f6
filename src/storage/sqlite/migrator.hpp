// Forward-only schema migrations for the SQLite store, recorded in schema_migrations.
// Throws storage_error when the database is newer than the binary or a migration fails
// (that migration is rolled back entirely), store_unavailable when the file stays locked.
#pragma once
#include "storage/migration.hpp"
#include "storage/sqlite/connection.hpp"

#include <vector>

namespace spotik::storage::sqlite {

// Creates schema_migrations if missing, then applies, in version order, every migration
// newer than the highest applied version, each in its own transaction with its bookkeeping
// row. Safe to run concurrently from several processes.
void apply_migrations(connection& conn, const std::vector<migration>& migrations);

}  // namespace spotik::storage::sqlite
