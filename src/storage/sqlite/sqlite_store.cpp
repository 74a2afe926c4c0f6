// sqlite_store construction, migrations and health check; the table operations live in
// sqlite_store_{users,rooms,participants,tracks}.cpp. Throws store_unavailable or
// storage_error (see sqlite_store.hpp).
#include "storage/sqlite/sqlite_store.hpp"

#include "storage/sqlite/connection_pool.hpp"
#include "storage/sqlite/migrator.hpp"
#include "storage/sqlite/transaction.hpp"

#include <sqlite3.h>

namespace spotik::storage {

sqlite_store::sqlite_store(std::string path, int busy_timeout_ms, std::vector<migration> migrations)
    : migrations_(std::move(migrations)),
      pool_(std::make_unique<sqlite::connection_pool>(std::move(path), busy_timeout_ms))
{
}

sqlite_store::~sqlite_store() = default;

void sqlite_store::limit_memory(int mib)
{
    sqlite3_soft_heap_limit64(std::int64_t(mib) * 1024 * 1024);
}

void sqlite_store::migrate()
{
    auto conn = pool_->acquire();
    sqlite::apply_migrations(*conn, migrations_);
}

void sqlite_store::ping()
{
    auto conn = pool_->acquire();
    auto stmt = conn->prepare("SELECT 1");
    if (!stmt.step() || stmt.integer(0) != 1) throw storage_error("sqlite: ping returned no row");
}

store_status sqlite_store::status() const
{
    store_status s;
    s.memory_bytes = sqlite3_memory_used();
    return s;
}

void sqlite_store::erase_all_data()
{
    auto conn = pool_->acquire();
    sqlite::transaction tx{*conn};
    // Children first, so the order works with or without cascading foreign keys.
    for (const char* table : {"track_votes", "room_participants", "tracks", "rooms", "users", "jwt_blacklist"})
        conn->prepare(std::string("DELETE FROM ") + table).run();
    tx.commit();
}

}  // namespace spotik::storage
