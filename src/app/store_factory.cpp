// The one place that maps DB_DRIVER to a storage driver.
#include "app/store_factory.hpp"

#include "storage/sqlite/sqlite_store.hpp"

namespace spotik::app {

std::unique_ptr<storage::store> open_store(const config::config& cfg)
{
    if (cfg.database.driver == "sqlite")
        return std::make_unique<storage::sqlite_store>(cfg.database.sqlite_path, cfg.database.busy_timeout_ms);
    throw storage::storage_error("unknown database driver: " + cfg.database.driver);
}

}  // namespace spotik::app
