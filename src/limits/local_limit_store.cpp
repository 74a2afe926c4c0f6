// The in-process limit store: three maps under one mutex, pruned as they are used so that
// clients who went quiet cost nothing.
#include "limits/limit_store.hpp"

#include <iterator>

namespace spotik::limits {
namespace {

constexpr std::uint64_t k_prune_every = 4096;

template <typename Map, typename Expired>
void drop_if(Map& map, Expired expired)
{
    for (auto it = map.begin(); it != map.end();) it = expired(it->second) ? map.erase(it) : std::next(it);
}

}  // namespace

void local_limit_store::prune(std::int64_t now)
{
    if (++operations_ % k_prune_every != 0) return;
    drop_if(tat_, [now](std::int64_t tat) { return tat <= now; });
    drop_if(failures_, [now](const failures& f) { return f.forget_at <= now; });
    for (auto& [key, holders] : slots_) drop_if(holders, [now](std::int64_t expiry) { return expiry <= now; });
    drop_if(slots_, [](const auto& holders) { return holders.empty(); });
}

verdict local_limit_store::take(const std::string& key, const rate& r)
{
    const auto now = clock_.now_ms();
    std::lock_guard lock(mutex_);
    prune(now);
    auto it = tat_.find(key);
    auto step = gcra(it == tat_.end() ? 0 : it->second, now, r);
    if (step.outcome.allowed) {
        if (it == tat_.end())
            tat_.emplace(key, step.tat);
        else
            it->second = step.tat;
    }
    return step.outcome;
}

std::int64_t local_limit_store::locked_for_ms(const std::string& key)
{
    const auto now = clock_.now_ms();
    std::lock_guard lock(mutex_);
    auto it = failures_.find(key);
    if (it == failures_.end() || it->second.forget_at <= now) return 0;
    return std::max<std::int64_t>(0, it->second.locked_until - now);
}

std::int64_t local_limit_store::record_failure(const std::string& key, const backoff& b, std::int64_t forget_after_ms)
{
    const auto now = clock_.now_ms();
    std::lock_guard lock(mutex_);
    prune(now);
    auto& f = failures_[key];
    if (f.forget_at <= now) f = {};
    ++f.count;
    const auto lockout = lockout_ms(f.count, b);
    if (lockout > 0) f.locked_until = now + lockout;
    f.forget_at = now + lockout + forget_after_ms;
    return lockout;
}

void local_limit_store::clear_failures(const std::string& key)
{
    std::lock_guard lock(mutex_);
    failures_.erase(key);
}

bool local_limit_store::acquire_slot(const std::string& key, const std::string& holder, int limit, std::int64_t ttl_ms)
{
    const auto now = clock_.now_ms();
    std::lock_guard lock(mutex_);
    prune(now);
    auto& holders = slots_[key];
    drop_if(holders, [now](std::int64_t expiry) { return expiry <= now; });
    if (std::ssize(holders) >= limit) return false;
    holders[holder] = now + ttl_ms;
    return true;
}

void local_limit_store::release_slot(const std::string& key, const std::string& holder)
{
    std::lock_guard lock(mutex_);
    auto it = slots_.find(key);
    if (it == slots_.end()) return;
    it->second.erase(holder);
    if (it->second.empty()) slots_.erase(it);
}

std::size_t local_limit_store::size() const
{
    std::lock_guard lock(mutex_);
    return tat_.size() + failures_.size() + slots_.size();
}

}  // namespace spotik::limits
