// Everything an HTTP session needs from the server, shared by all sessions: settings, the
// route table, CORS policy, metrics, the blocking pool, and the registry used to drain
// connections on shutdown.
#pragma once
#include "config/config.hpp"
#include "http/middleware.hpp"
#include "http/router.hpp"
#include "limits/guard.hpp"
#include "obs/metrics.hpp"
#include "util/ip_range.hpp"

#include <boost/asio/thread_pool.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace spotik::realtime {
struct token_sweep;
}  // namespace spotik::realtime

namespace spotik::net {

// A live connection as seen by the shutdown logic: close_if_idle() posts to the session's own
// strand and closes the socket only if no request is in progress. WebSocket sessions also take
// ping_round(), the shared timer's visit: a close when the sweep found the socket's token
// revoked or expired and, when `due`, a protocol Ping (or a close for a socket gone silent).
// The registry holds sessions weakly: each one removes itself when it ends.
class registered_session {
public:
    virtual void close_if_idle() = 0;
    virtual void ping_round(const realtime::token_sweep&, bool /*due*/) {}

protected:
    ~registered_session() = default;
};

// Sessions are kept in `buckets` groups by id, so the pinger can visit one share of them at a
// time and spread its Pings over the whole interval. Only sessions added as `pinged` (the
// WebSockets) take part in ping rounds; all take part in the shutdown drain.
class session_registry {
public:
    static constexpr std::size_t buckets = 256;

    std::uint64_t add(std::weak_ptr<registered_session> s, bool pinged = false);
    void remove(std::uint64_t id);
    void close_idle_all();
    // ping_round(sweep, due) for the pinged sessions of buckets [first, last) with `due` set,
    // and, when `everyone`, for all the other pinged ones with `due` clear.
    void ping_round(const realtime::token_sweep& sweep, std::size_t first, std::size_t last, bool everyone);
    std::size_t size() const;

private:
    struct entry {
        std::weak_ptr<registered_session> session;
        bool pinged = false;
    };
    using bucket = std::unordered_map<std::uint64_t, entry>;
    static void collect(const bucket& b, bool pinged_only, std::vector<std::shared_ptr<registered_session>>& out);

    mutable std::mutex mutex_;
    std::uint64_t next_ = 1;
    std::size_t size_ = 0;
    std::array<bucket, buckets> sessions_;
};

struct ws_context;

struct server_context {
    const config::config& cfg;
    const http::router& routes;
    http::cors_policy cors;
    obs::metrics& metrics;
    boost::asio::thread_pool& pool;
    std::atomic<bool> stopping{false};
    session_registry sessions;
    ws_context* ws = nullptr;               // WebSocket upgrades on /ws when set
    util::ip_range_list trusted_proxies{};  // TRUSTED_PROXIES: whose forwarding headers count
    limits::guard* guard = nullptr;         // abuse controls; none when unset
};

}  // namespace spotik::net
