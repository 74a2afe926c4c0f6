// Turns the database settings into libpq connection keywords: the DB_* values, then
// DATABASE_URL (whose parts override them), then what Spotik always needs (UTF-8, a
// server-side statement_timeout equal to DB_READ_TIMEOUT, TCP keepalives). Does not throw
// beyond std::bad_alloc; configuration already refused a URL libpq cannot read.
#pragma once
#include "config/config.hpp"
#include "storage/postgres/connection.hpp"
#include "storage/postgres/connection_pool.hpp"

namespace spotik::storage::pg {

connect_settings connect_settings_from(const config::database_settings& db);
pool_settings pool_settings_from(const config::database_settings& db);

}  // namespace spotik::storage::pg
