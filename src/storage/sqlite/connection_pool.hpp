// A mutex-guarded pool of idle SQLite connections, opened lazily and checked out with an
// RAII lease, so each database thread works on its own connection. Their commits leave the
// write-ahead log's checkpoints to the pool's checkpointer. The constructor throws
// storage_error for a single-threaded SQLite build; acquire() throws
// store_unavailable or sqlite::error when a new connection cannot be opened.
#pragma once
#include "storage/sqlite/checkpointer.hpp"
#include "storage/sqlite/connection.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace spotik::storage::sqlite {

class connection_pool {
public:
    class lease {
    public:
        lease(connection_pool& pool, std::unique_ptr<connection> conn) noexcept : pool_(pool), conn_(std::move(conn)) {}
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        ~lease() { pool_.release(std::move(conn_)); }

        connection& operator*() const noexcept { return *conn_; }
        connection* operator->() const noexcept { return conn_.get(); }

    private:
        connection_pool& pool_;
        std::unique_ptr<connection> conn_;
    };

    connection_pool(std::string path, int busy_timeout_ms, checkpoint_limits limits = {});
    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;
    // Leases must all have ended; idle connections are closed.
    ~connection_pool();

    lease acquire();

private:
    void release(std::unique_ptr<connection> conn) noexcept;

    std::string path_;
    int busy_timeout_ms_;
    checkpointer checkpointer_;  // outlives the pooled connections, for the last checkpoint on close
    std::mutex mutex_;
    std::vector<std::unique_ptr<connection>> idle_;
};

}  // namespace spotik::storage::sqlite
