// A bounded pool of PostgreSQL connections: at most `max` open, `min` kept open by a
// maintenance thread that also drops dead idle connections and re-opens them after an outage.
// A request waits at most `wait_timeout` for a connection; while the database is unreachable
// (a connection attempt just failed) requests fail at once instead of each trying again, and
// one attempt at a time probes it. acquire() throws store_unavailable.
#pragma once
#include "storage/postgres/connection.hpp"
#include "storage/store.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace spotik::storage::pg {

struct pool_settings {
    int min = 2;
    int max = 8;
    std::chrono::milliseconds wait_timeout{5'000};
    std::chrono::milliseconds connect_timeout{10'000};
};

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

    // Opens nothing yet; the maintenance thread starts filling the pool at once.
    connection_pool(connect_settings connect, pool_settings settings);
    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;
    // Leases must all have ended.
    ~connection_pool();

    lease acquire();
    store_status status() const;

private:
    // Opens a connection for a slot already counted in open_ (and in in_use_ when `leased`);
    // on failure gives the slot back and throws store_unavailable.
    std::unique_ptr<connection> open(steady::time_point deadline, bool leased);
    void release(std::unique_ptr<connection> conn) noexcept;
    void maintain(std::stop_token stop);
    void drop_dead_idle();

    const connect_settings connect_;
    const pool_settings settings_;
    mutable std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<connection>> idle_;
    int open_ = 0;                 // idle + leased + being opened
    int in_use_ = 0;               // leased or being opened for a lease
    int failures_ = 0;             // connection attempts failed in a row
    steady::time_point retry_at_;  // no new attempt before this while failures_ > 0
    bool probing_ = false;         // an attempt is under way while failures_ > 0
    std::string last_failure_;
    std::string target_;
    std::condition_variable_any wake_;
    std::jthread maintenance_;  // last: stopped and joined before the members it uses go
};

}  // namespace spotik::storage::pg
