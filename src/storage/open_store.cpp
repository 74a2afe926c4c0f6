// The driver switch behind open_store.
#include "storage/open_store.hpp"

#include "storage/postgres/conninfo.hpp"
#include "storage/postgres/postgres_store.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace spotik::storage {

std::unique_ptr<store> open_store(const config::database_settings& db)
{
    if (db.driver == "sqlite") {
        sqlite_store::limit_memory(db.sqlite_cache_mb);
        return std::make_unique<sqlite_store>(db.sqlite_path, db.busy_timeout_ms);
    }
    if (db.driver == "postgres")
        return std::make_unique<postgres_store>(pg::connect_settings_from(db), pg::pool_settings_from(db));
    throw storage_error("unknown database driver \"" + db.driver + "\"");
}

}  // namespace spotik::storage
