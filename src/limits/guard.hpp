// Spotik's abuse controls (issue 7): a request rate per client, login throttling per email
// and address, a cap on each user's uploads in progress, and a WebSocket handshake rate per
// address, all configured by config::limit_settings and counted in a limit_store (shared
// through Redis when the server has one). Exempt from the request rate: routes registered
// with rate_limited = false (/api/time, streaming, health probes) and established sockets.
//
// A client is the user of a valid token when the request carries one (so people behind one
// address do not share a budget), else the address. Checks that may talk to Redis block;
// remote() says so, and callers on an io thread then run them on the blocking pool.
#pragma once
#include "config/config.hpp"
#include "limits/limit_store.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace spotik::limits {

class guard {
public:
    // The user id a token belongs to when its signature and lifetime are valid, else "".
    using token_owner = std::function<std::string(std::string_view token)>;

    guard(const config::limit_settings& settings, std::unique_ptr<limit_store> store, token_owner owner);

    bool enabled() const { return settings_.enabled; }
    bool remote() const { return remote_; }

    // The client a request counts against: "user:<id>" or "ip:<address>".
    std::string client_of(std::string_view bearer_token, std::string_view address) const;
    // The user a token belongs to ("" when none), for the upload cap.
    std::string user_of(std::string_view bearer_token) const { return owner_(bearer_token); }

    verdict check_request(const std::string& client);
    verdict check_handshake(std::string_view address);

    // Failed logins are counted per (lower-cased email, address).
    std::int64_t login_locked_ms(std::string_view email, std::string_view address);
    // After a wrong password: the lockout that now applies (0: none yet).
    std::int64_t login_failed(std::string_view email, std::string_view address);
    void login_succeeded(std::string_view email, std::string_view address);

    // One of the user's upload slots, given back when the object goes away.
    class upload_slot {
    public:
        upload_slot(guard& g, std::string user, std::string holder);
        upload_slot(upload_slot&&) = delete;
        ~upload_slot();

    private:
        guard& guard_;
        std::string user_, holder_;
    };
    // False when the user already has MAX_CONCURRENT_UPLOADS in progress; else `slot` holds
    // one (or nothing, when the limits are off or no user is known).
    bool try_upload(const std::string& user_id, std::int64_t ttl_ms, std::unique_ptr<upload_slot>& slot);

    // Counters for /api/metrics.
    boost::json::object json() const;

private:
    std::string login_key(std::string_view email, std::string_view address) const;

    config::limit_settings settings_;
    std::unique_ptr<limit_store> store_;
    token_owner owner_;
    bool remote_;
    rate requests_, handshakes_;
    std::atomic<std::int64_t> requests_refused_{0}, handshakes_refused_{0}, logins_refused_{0}, logins_locked_{0},
        uploads_refused_{0};
};

// The guard for a configuration: counters in Redis when the server has one (REDIS_URL or
// REDIS_HOST, already validated by the cluster set-up), else in this process.
std::unique_ptr<guard> make_guard(const config::config& cfg, const util::clock& clock, guard::token_owner owner);

}  // namespace spotik::limits
