// Property tests for the rate arithmetic (RapidCheck): over any run of requests, the ones
// allowed in any stretch of time never exceed the burst plus what the steady rate pays back
// in that stretch, and a client that waited as long as it was told always gets through.
#include "limits/rules.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

namespace spotik::limits {
namespace {

struct run {
    rate r;
    std::vector<std::int64_t> times;  // non-decreasing request instants
};

run gen_run()
{
    run out;
    out.r.interval_ms = *rc::gen::inRange<std::int64_t>(1, 5000);
    out.r.burst = *rc::gen::inRange<std::int64_t>(1, 50);
    auto gaps =
        *rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(0, 3 * out.r.interval_ms));
    std::int64_t t = *rc::gen::inRange<std::int64_t>(0, 2'000'000'000'000);
    for (auto g : gaps) out.times.push_back(t += g);
    return out;
}

RC_GTEST_PROP(rate_property, allowed_requests_never_exceed_burst_plus_refill, ())
{
    const auto [r, times] = gen_run();
    std::int64_t tat = 0;
    std::vector<std::int64_t> allowed;
    for (auto t : times) {
        auto step = gcra(tat, t, r);
        tat = step.tat;
        if (step.outcome.allowed)
            allowed.push_back(t);
        else
            RC_ASSERT(step.outcome.retry_after_ms > 0);
    }
    for (std::size_t i = 0; i < allowed.size(); ++i)
        for (std::size_t j = i; j < allowed.size(); ++j) {
            const auto count = std::int64_t(j - i + 1);
            RC_ASSERT(count <= r.burst + (allowed[j] - allowed[i]) / r.interval_ms);
        }
}

RC_GTEST_PROP(rate_property, waiting_the_retry_time_always_succeeds, ())
{
    const auto [r, times] = gen_run();
    std::int64_t tat = 0;
    for (auto t : times) {
        auto step = gcra(tat, t, r);
        if (!step.outcome.allowed) {
            RC_ASSERT(gcra(tat, t + step.outcome.retry_after_ms, r).outcome.allowed);
            RC_ASSERT(!gcra(tat, t + step.outcome.retry_after_ms - 1, r).outcome.allowed);
        }
        tat = step.tat;
    }
}

RC_GTEST_PROP(rate_property, a_quiet_client_has_its_whole_burst, ())
{
    const auto [r, times] = gen_run();
    std::int64_t tat = 0;
    for (auto t : times) tat = gcra(tat, t, r).tat;
    const std::int64_t later = (times.empty() ? 0 : times.back()) + r.burst * r.interval_ms + r.interval_ms;
    for (std::int64_t i = 0; i < r.burst; ++i) {
        auto step = gcra(tat, later, r);
        RC_ASSERT(step.outcome.allowed);
        tat = step.tat;
    }
    RC_ASSERT(!gcra(tat, later, r).outcome.allowed);
}

}  // namespace
}  // namespace spotik::limits
