// The arithmetic of Spotik's abuse controls, shared by the in-process and the Redis stores
// (the Redis scripts in redis_limit_store.cpp compute exactly the same).
//
// Request rates use the generic cell rate algorithm: a client's state is one instant, the
// "theoretical arrival time" (tat) by which everything it used would be paid back at the
// steady rate. A request is allowed when paying it back would not take longer than the burst
// allows; then tat moves one interval further. An idle client's tat falls behind the clock,
// which is the same as a full bucket, so the state can be dropped.
#pragma once
#include <algorithm>
#include <cstdint>

namespace spotik::limits {

// One request every interval_ms on average, up to burst at once.
struct rate {
    std::int64_t interval_ms = 1000;
    std::int64_t burst = 1;
};

// `requests` per `window_s`, at least 1 ms apart on average.
inline rate rate_per_window(std::int64_t requests, std::int64_t window_s, std::int64_t burst)
{
    return rate{std::max<std::int64_t>(1, window_s * 1000 / std::max<std::int64_t>(1, requests)),
                std::max<std::int64_t>(1, burst)};
}

struct verdict {
    bool allowed = true;
    std::int64_t retry_after_ms = 0;  // when refused: the wait until one request would pass
};

struct gcra_step {
    verdict outcome;
    std::int64_t tat = 0;  // the state to keep (unchanged when refused)
};

// `tat` is the stored state, or 0 for a client with none.
inline gcra_step gcra(std::int64_t tat, std::int64_t now_ms, const rate& r)
{
    const std::int64_t next = std::max(tat, now_ms) + r.interval_ms;
    const std::int64_t over = next - now_ms - r.burst * r.interval_ms;
    if (over > 0) return {{false, over}, tat};
    return {{true, 0}, next};
}

// Failed logins: the lockout after `failures` consecutive failures (0 while under the limit),
// doubling from `base_ms` with each failure past the limit, never above `max_ms`.
struct backoff {
    std::int64_t free_attempts = 5;
    std::int64_t base_ms = 30'000;
    std::int64_t max_ms = 900'000;
};

inline std::int64_t lockout_ms(std::int64_t failures, const backoff& b)
{
    if (failures < b.free_attempts) return 0;
    std::int64_t ms = b.base_ms;
    for (std::int64_t i = b.free_attempts; i < failures && ms < b.max_ms; ++i) ms *= 2;
    return std::min(ms, b.max_ms);
}

}  // namespace spotik::limits
