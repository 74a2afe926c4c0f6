// Abuse-control policy: keys, rates and counters over a limit_store.
#include "limits/guard.hpp"

#include "config/redis_endpoint.hpp"
#include "limits/redis_limit_store.hpp"
#include "util/ids.hpp"

#include <cctype>

namespace spotik::limits {

guard::guard(const config::limit_settings& settings, std::unique_ptr<limit_store> store, token_owner owner)
    : settings_(settings),
      store_(std::move(store)),
      owner_(std::move(owner)),
      remote_(store_->mode() != "local"),
      requests_(rate_per_window(settings.requests_per_window, settings.window_s, settings.burst)),
      handshakes_(rate_per_window(settings.ws_handshakes_per_minute, 60, settings.ws_handshake_burst))
{
}

std::string guard::client_of(std::string_view bearer_token, std::string_view address) const
{
    if (!bearer_token.empty())
        if (auto user = owner_(bearer_token); !user.empty()) return "user:" + user;
    return "ip:" + std::string(address);
}

verdict guard::check_request(const std::string& client)
{
    if (!enabled()) return {};
    auto v = store_->take("req:" + client, requests_);
    if (!v.allowed) ++requests_refused_;
    return v;
}

verdict guard::check_handshake(std::string_view address)
{
    if (!enabled()) return {};
    auto v = store_->take("ws:" + std::string(address), handshakes_);
    if (!v.allowed) ++handshakes_refused_;
    return v;
}

std::string guard::login_key(std::string_view email, std::string_view address) const
{
    std::string key = "login:";
    for (char c : email) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return key + "|" + std::string(address);
}

std::int64_t guard::login_locked_ms(std::string_view email, std::string_view address)
{
    if (!enabled()) return 0;
    auto ms = store_->locked_for_ms(login_key(email, address));
    if (ms > 0) ++logins_refused_;
    return ms;
}

std::int64_t guard::login_failed(std::string_view email, std::string_view address)
{
    if (!enabled()) return 0;
    const backoff b{settings_.login_max_attempts, std::int64_t(settings_.login_lockout_s) * 1000,
                    std::int64_t(settings_.login_lockout_max_s) * 1000};
    // Failures are forgotten a lockout's length after the last one.
    auto ms = store_->record_failure(login_key(email, address), b, b.max_ms);
    if (ms > 0) ++logins_locked_;
    return ms;
}

void guard::login_succeeded(std::string_view email, std::string_view address)
{
    if (enabled()) store_->clear_failures(login_key(email, address));
}

guard::upload_slot::upload_slot(guard& g, std::string user, std::string holder)
    : guard_(g), user_(std::move(user)), holder_(std::move(holder))
{
}

guard::upload_slot::~upload_slot()
{
    guard_.store_->release_slot("uploads:" + user_, holder_);
}

bool guard::try_upload(const std::string& user_id, std::int64_t ttl_ms, std::unique_ptr<upload_slot>& slot)
{
    slot.reset();
    if (!enabled() || user_id.empty()) return true;
    auto holder = util::random_hex(12);
    if (!store_->acquire_slot("uploads:" + user_id, holder, settings_.uploads_per_user, ttl_ms)) {
        ++uploads_refused_;
        return false;
    }
    slot = std::make_unique<upload_slot>(*this, user_id, std::move(holder));
    return true;
}

boost::json::object guard::json() const
{
    return {{"enabled", enabled()},
            {"store", store_->mode()},
            {"requests_refused", requests_refused_.load()},
            {"websocket_handshakes_refused", handshakes_refused_.load()},
            {"logins_refused", logins_refused_.load()},
            {"login_lockouts", logins_locked_.load()},
            {"uploads_refused", uploads_refused_.load()}};
}

std::unique_ptr<guard> make_guard(const config::config& cfg, const util::clock& clock, guard::token_owner owner)
{
    std::string problem;
    std::unique_ptr<limit_store> store;
    if (auto endpoint = config::redis_endpoint_of(cfg.redis, problem))
        store = std::make_unique<redis_limit_store>(*endpoint, cfg.redis.timeout_ms, cfg.redis.key_prefix, clock);
    else
        store = std::make_unique<local_limit_store>(clock);
    return std::make_unique<guard>(cfg.limits, std::move(store), std::move(owner));
}

}  // namespace spotik::limits
