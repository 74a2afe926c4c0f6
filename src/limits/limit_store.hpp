// Where the abuse controls keep their counters: in this process (local_limit_store) or in
// Redis (redis_limit_store), so that every replica sees the same counts. Keys are opaque
// strings made by the guard; every method is thread-safe.
#pragma once
#include "limits/rules.hpp"
#include "util/clock.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace spotik::limits {

class limit_store {
public:
    virtual ~limit_store() = default;
    // Counts one request against key's rate; refused requests are not counted.
    virtual verdict take(const std::string& key, const rate& r) = 0;
    // Failed logins: the time left on key's lockout (0: none)...
    virtual std::int64_t locked_for_ms(const std::string& key) = 0;
    // ...one more failure, answering the lockout it starts (0: none yet)...
    virtual std::int64_t record_failure(const std::string& key, const backoff& b, std::int64_t forget_after_ms) = 0;
    // ...and a success, which forgets them.
    virtual void clear_failures(const std::string& key) = 0;
    // Concurrency: holds one of `limit` slots of key for `holder` (false when all are taken).
    // A slot whose holder vanished without releasing it frees itself after ttl_ms.
    virtual bool acquire_slot(const std::string& key, const std::string& holder, int limit, std::int64_t ttl_ms) = 0;
    virtual void release_slot(const std::string& key, const std::string& holder) = 0;
    // "local" or "redis" (and whether Redis answers), for the health and metrics reports.
    virtual std::string mode() const = 0;
};

class local_limit_store final : public limit_store {
public:
    explicit local_limit_store(const util::clock& clock) : clock_(clock) {}
    verdict take(const std::string& key, const rate& r) override;
    std::int64_t locked_for_ms(const std::string& key) override;
    std::int64_t record_failure(const std::string& key, const backoff& b, std::int64_t forget_after_ms) override;
    void clear_failures(const std::string& key) override;
    bool acquire_slot(const std::string& key, const std::string& holder, int limit, std::int64_t ttl_ms) override;
    void release_slot(const std::string& key, const std::string& holder) override;
    std::string mode() const override { return "local"; }
    // Entries held (for tests: idle clients are forgotten).
    std::size_t size() const;

private:
    struct failures {
        std::int64_t count = 0;
        std::int64_t locked_until = 0;
        std::int64_t forget_at = 0;
    };
    void prune(std::int64_t now);

    const util::clock& clock_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::int64_t> tat_;  // expires when tat <= now
    std::unordered_map<std::string, failures> failures_;
    std::unordered_map<std::string, std::map<std::string, std::int64_t>> slots_;  // holder -> expiry
    std::uint64_t operations_ = 0;
};

}  // namespace spotik::limits
