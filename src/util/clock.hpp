// Injected clocks: every "now" in Spotik comes from a clock object so tests control time.
#pragma once
#include <atomic>
#include <cstdint>

namespace spotik::util {

// Milliseconds since the Unix epoch, UTC.
class clock {
public:
    virtual ~clock() = default;
    virtual std::int64_t now_ms() const = 0;
    std::int64_t now_s() const { return now_ms() / 1000; }
};

class system_clock final : public clock {
public:
    std::int64_t now_ms() const override;
};

// Milliseconds on the monotonic clock, for timeouts and liveness (never a date).
std::int64_t steady_ms();

// A clock that only moves when told to; for tests.
class manual_clock final : public clock {
public:
    explicit manual_clock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
    std::int64_t now_ms() const override { return now_.load(); }
    void set(std::int64_t ms) { now_.store(ms); }
    void advance(std::int64_t ms) { now_.fetch_add(ms); }

private:
    std::atomic<std::int64_t> now_;
};

}  // namespace spotik::util
