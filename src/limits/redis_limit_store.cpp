// Redis-backed limits: each operation is one EVAL (or one command) on a pooled connection.
#include "limits/redis_limit_store.hpp"

#include "obs/log.hpp"
#include "realtime/redis_connection.hpp"

namespace spotik::limits {
namespace {

// Redis's clock in milliseconds, as every script below computes it.
#define SPOTIK_REDIS_NOW "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "

// KEYS[1] = tat; ARGV = interval_ms, burst. Answers 0 when allowed, else the wait in ms.
constexpr const char* k_take = SPOTIK_REDIS_NOW R"(
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local next = math.max(tat, now) + interval
local over = next - now - tonumber(ARGV[2]) * interval
if over > 0 then return over end
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', string.format('%.0f', next - now))
return 0)";

// KEYS[1] = failures hash {n, until}. Answers the lockout left in ms.
constexpr const char* k_locked = SPOTIK_REDIS_NOW R"(
local untl = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if untl > now then return untl - now end
return 0)";

// KEYS[1] = failures hash; ARGV = free attempts, base ms, max ms, forget ms. Answers the
// lockout this failure starts (0: none), doubling as rules.hpp's lockout_ms does.
constexpr const char* k_fail = SPOTIK_REDIS_NOW R"(
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local free, base, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lockout = 0
if n >= free then
  lockout = base
  local i = free
  while i < n and lockout < max do lockout = lockout * 2 i = i + 1 end
  lockout = math.min(lockout, max)
  redis.call('HSET', KEYS[1], 'until', string.format('%.0f', now + lockout))
end
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', lockout + tonumber(ARGV[4])))
return lockout)";

// KEYS[1] = sorted set holder -> expiry; ARGV = holder, limit, ttl ms. Answers 1 when taken.
constexpr const char* k_acquire = SPOTIK_REDIS_NOW R"(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[3])), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1)";

#undef SPOTIK_REDIS_NOW

constexpr std::int64_t k_retry_ms = 1000;

}  // namespace

redis_limit_store::redis_limit_store(config::redis_endpoint endpoint, int timeout_ms, std::string prefix,
                                     const util::clock& clock)
    : endpoint_(std::move(endpoint)),
      timeout_ms_(timeout_ms),
      prefix_(std::move(prefix) + ":limit:"),
      clock_(clock),
      fallback_(clock)
{
}

redis_limit_store::~redis_limit_store() = default;

std::optional<long long> redis_limit_store::integer_command(const std::vector<std::string>& args)
{
    if (clock_.now_ms() < retry_at_ms_.load()) return std::nullopt;
    std::unique_ptr<realtime::redis_connection> conn;
    {
        std::lock_guard lock(idle_mutex_);
        if (!idle_.empty()) {
            conn = std::move(idle_.back());
            idle_.pop_back();
        }
    }
    try {
        if (!conn) conn = std::make_unique<realtime::redis_connection>(endpoint_, timeout_ms_);
        std::vector<std::string_view> views(args.begin(), args.end());
        auto reply = conn->command(views);
        if (reply.is_error()) throw realtime::redis_error("redis: " + std::string(reply.text()));
        if (reported_down_.exchange(false)) obs::info("rate limits: Redis answers again; limits are shared");
        long long value = reply.integer();
        std::lock_guard lock(idle_mutex_);
        idle_.push_back(std::move(conn));
        return value;
    } catch (const realtime::redis_error& e) {
        retry_at_ms_ = clock_.now_ms() + k_retry_ms;
        if (!reported_down_.exchange(true))
            obs::warn("rate limits: Redis unavailable; counting in this process until it is back",
                      {{"detail", e.what()}});
        return std::nullopt;
    }
}

verdict redis_limit_store::take(const std::string& key, const rate& r)
{
    auto wait = integer_command(
        {"EVAL", k_take, "1", prefix_ + "rate:" + key, std::to_string(r.interval_ms), std::to_string(r.burst)});
    if (!wait) return fallback_.take(key, r);
    return *wait > 0 ? verdict{false, *wait} : verdict{};
}

std::int64_t redis_limit_store::locked_for_ms(const std::string& key)
{
    auto left = integer_command({"EVAL", k_locked, "1", prefix_ + "fail:" + key});
    return left ? *left : fallback_.locked_for_ms(key);
}

std::int64_t redis_limit_store::record_failure(const std::string& key, const backoff& b, std::int64_t forget_after_ms)
{
    auto lockout =
        integer_command({"EVAL", k_fail, "1", prefix_ + "fail:" + key, std::to_string(b.free_attempts),
                         std::to_string(b.base_ms), std::to_string(b.max_ms), std::to_string(forget_after_ms)});
    return lockout ? *lockout : fallback_.record_failure(key, b, forget_after_ms);
}

void redis_limit_store::clear_failures(const std::string& key)
{
    fallback_.clear_failures(key);
    integer_command({"DEL", prefix_ + "fail:" + key});
}

bool redis_limit_store::acquire_slot(const std::string& key, const std::string& holder, int limit, std::int64_t ttl_ms)
{
    auto taken = integer_command(
        {"EVAL", k_acquire, "1", prefix_ + "slots:" + key, holder, std::to_string(limit), std::to_string(ttl_ms)});
    return taken ? *taken == 1 : fallback_.acquire_slot(key, holder, limit, ttl_ms);
}

void redis_limit_store::release_slot(const std::string& key, const std::string& holder)
{
    fallback_.release_slot(key, holder);
    integer_command({"ZREM", prefix_ + "slots:" + key, holder});
}

std::string redis_limit_store::mode() const
{
    return reported_down_.load() ? "redis (unavailable: local)" : "redis";
}

}  // namespace spotik::limits
