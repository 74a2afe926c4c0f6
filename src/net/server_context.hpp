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
// ping_round(), the shared timer's round: a protocol Ping, or a close when the round found the
// socket's token revoked or expired. The registry holds sessions weakly: each one removes
// itself when it ends.
class registered_session {
public:
    virtual void close_if_idle() = 0;
    virtual void ping_round(const realtime::token_sweep&) {}

protected:
    ~registered_session() = default;
};

class session_registry {
public:
    std::uint64_t add(std::weak_ptr<registered_session> s);
    void remove(std::uint64_t id);
    void close_idle_all();
    void ping_round_all(const realtime::token_sweep& sweep);
    std::size_t size() const;

private:
    std::vector<std::shared_ptr<registered_session>> live() const;

    mutable std::mutex mutex_;
    std::uint64_t next_ = 1;
    std::unordered_map<std::uint64_t, std::weak_ptr<registered_session>> sessions_;
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
