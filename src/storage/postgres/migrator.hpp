// Forward-only schema migrations for the PostgreSQL store, recorded in schema_migrations and
// applied under a session advisory lock, so replicas starting together migrate once: the
// first applies, the others wait for the lock and find nothing left to do. Throws
// storage_error when the database is newer than the binary or a migration fails (that
// migration is rolled back entirely), store_unavailable when the database cannot be reached.
#pragma once
#include "storage/migration.hpp"
#include "storage/postgres/connection.hpp"

#include <cstdint>
#include <vector>

namespace spotik::storage::pg {

// The advisory lock key every Spotik replica uses for migrations.
inline constexpr std::int64_t k_migration_lock_key = 0x53706f74696b4d69;  // "SpotikMi"

// Returns the number of migrations this call applied.
int apply_migrations(connection& conn, const std::vector<migration>& migrations);

}  // namespace spotik::storage::pg
