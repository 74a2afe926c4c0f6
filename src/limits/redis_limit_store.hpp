// The limit store shared by every replica: counters live in Redis under
// "<REDIS_PREFIX>:limit:*", updated by small Lua scripts that read Redis's own clock, so
// replicas with slightly different clocks still agree. Connections are pooled (one per
// concurrent caller, made on demand). When Redis does not answer, the counters of this
// process stand in (limits then hold per replica) and Redis is tried again after a second.
#pragma once
#include "config/redis_endpoint.hpp"
#include "limits/limit_store.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace spotik::realtime {
class redis_connection;
class redis_reply;
}  // namespace spotik::realtime

namespace spotik::limits {

class redis_limit_store final : public limit_store {
public:
    redis_limit_store(config::redis_endpoint endpoint, int timeout_ms, std::string prefix, const util::clock& clock);
    ~redis_limit_store() override;

    verdict take(const std::string& key, const rate& r) override;
    std::int64_t locked_for_ms(const std::string& key) override;
    std::int64_t record_failure(const std::string& key, const backoff& b, std::int64_t forget_after_ms) override;
    void clear_failures(const std::string& key) override;
    bool acquire_slot(const std::string& key, const std::string& holder, int limit, std::int64_t ttl_ms) override;
    void release_slot(const std::string& key, const std::string& holder) override;
    std::string mode() const override;

private:
    // Runs one command on a pooled connection; nullopt when Redis is unavailable.
    std::optional<long long> integer_command(const std::vector<std::string>& args);

    config::redis_endpoint endpoint_;
    int timeout_ms_;
    std::string prefix_;
    const util::clock& clock_;
    local_limit_store fallback_;
    std::mutex idle_mutex_;
    std::vector<std::unique_ptr<realtime::redis_connection>> idle_;
    std::atomic<std::int64_t> retry_at_ms_{0};  // Redis is skipped until then after a failure
    std::atomic<bool> reported_down_{false};
};

}  // namespace spotik::limits
