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

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace spotik::realtime {
struct token_sweep;
}  // namespace spotik::realtime

namespace spotik::net {

// A live connection as seen by the shutdown logic: close_if_idle() is posted to the session's
// own strand and closes the socket only if no request is in progress. WebSocket sessions also
// take ping_round(), the shared timer's round: a protocol Ping, or a close when the round
// found the socket's token revoked or expired.
struct session_handle {
    std::function<void()> close_if_idle;
    std::function<void(const realtime::token_sweep&)> ping_round;
};

class session_registry {
public:
    std::uint64_t add(std::shared_ptr<session_handle> h);
    void remove(std::uint64_t id);
    void close_idle_all();
    void ping_round_all(const realtime::token_sweep& sweep);
    std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::uint64_t next_ = 1;
    std::unordered_map<std::uint64_t, std::shared_ptr<session_handle>> sessions_;
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
