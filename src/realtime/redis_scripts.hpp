// The Lua scripts of the Redis bus. Each runs atomically in Redis, so numbering, history and
// PUBLISH order are one step: a room's messages reach every subscriber in seq order.
#pragma once

namespace spotik::realtime::scripts {

// KEYS: seq counter, history list, dedupe marker of the event id.
// ARGV: channel, floor, history size, dedupe ttl ms, key ttl ms, then the four message parts
// (message = p1 .. seq .. p2 .. seq .. p3 .. seq .. p4). The floor keeps numbering above what
// replicas have already handed out when Redis lost its data. Returns the seq, or -1 when this
// event id was already published (a retry after a lost reply).
inline constexpr const char* publish = R"lua(
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[4]) == false then return -1 end
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[2])
if seq < floor then seq = floor end
seq = seq + 1
local s = string.format('%d', seq)
redis.call('SET', KEYS[1], s, 'PX', ARGV[5])
local msg = ARGV[6] .. s .. ARGV[7] .. s .. ARGV[8] .. s .. ARGV[9]
redis.call('RPUSH', KEYS[2], msg)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[1], msg)
return seq
)lua";

// KEYS: seq counter. ARGV: floor, key ttl ms. Raises the counter to the floor.
inline constexpr const char* raise_floor = R"lua(
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
if seq < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return seq
)lua";

}  // namespace spotik::realtime::scripts
