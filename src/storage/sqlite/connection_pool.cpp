// Checkout and return of pooled SQLite connections. Opening happens outside the lock so a
// slow open never blocks other threads; broken or mid-transaction connections are dropped.
// The constructor throws storage_error when SQLite was built without thread support.
#include "storage/sqlite/connection_pool.hpp"

#include <sqlite3.h>

namespace spotik::storage::sqlite {

connection_pool::connection_pool(std::string path, int busy_timeout_ms, checkpoint_limits limits)
    : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms), checkpointer_(path_, limits)
{
    // Connections move between threads; a single-threaded SQLite build cannot allow that.
    if (sqlite3_threadsafe() == 0) throw storage_error("sqlite: library built without thread support");
}

connection_pool::~connection_pool() = default;

connection_pool::lease connection_pool::acquire()
{
    forbid_io_thread("sqlite");
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            return {*this, std::move(conn)};
        }
    }
    auto conn = std::make_unique<connection>(path_, busy_timeout_ms_);
    checkpointer_.watch(*conn);
    return {*this, std::move(conn)};
}

void connection_pool::release(std::unique_ptr<connection> conn) noexcept
{
    if (!conn || conn->broken() || conn->in_transaction()) return;  // closed here
    try {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(conn));
    } catch (...) {
        // Out of memory while growing the idle list: closing the connection is enough.
    }
}

}  // namespace spotik::storage::sqlite
