// The Lua scripts of the Redis bus. Each runs atomically in Redis, so numbering, history and
// PUBLISH order are one step: a room's messages reach every subscriber in seq order.
#pragma once

namespace spotik::realtime::scripts {

// KEYS: seq counter, history list, dedupe marker of the event id, history byte count.
// ARGV: channel, floor, history size, history max bytes, dedupe ttl ms, key ttl ms, then the
// four message parts (message = p1 .. seq .. p2 .. seq .. p3 .. seq .. p4). The floor keeps
// numbering above what replicas have already handed out when Redis lost its data; a counter
// that is gone although the replica knows the room jumps a further 1000, above the provisional
// seqs other replicas may have handed out while Redis was down. The history keeps the newest
// events within both bounds (the newest always); its byte count is recounted when missing
// beside a history. Returns the seq, or -1 when this event id was already published (a retry
// after a lost reply).
inline constexpr const char* publish = R"lua(
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[5]) == false then return -1 end
local current = redis.call('GET', KEYS[1])
local floor = tonumber(ARGV[2])
if not current and floor > 0 then floor = floor + 1000 end
local seq = tonumber(current or '0')
if seq < floor then seq = floor end
seq = seq + 1
local s = string.format('%d', seq)
redis.call('SET', KEYS[1], s, 'PX', ARGV[6])
local msg = ARGV[7] .. s .. ARGV[8] .. s .. ARGV[9] .. s .. ARGV[10]
local bytes = tonumber(redis.call('GET', KEYS[4]) or '-1')
if bytes < 0 then
  bytes = 0
  for _, m in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do bytes = bytes + #m end
end
local len = redis.call('RPUSH', KEYS[2], msg)
bytes = bytes + #msg
local size, max_bytes = tonumber(ARGV[3]), tonumber(ARGV[4])
while len > 1 and (len > size or bytes > max_bytes) do
  bytes = bytes - #redis.call('LPOP', KEYS[2])
  len = len - 1
end
redis.call('SET', KEYS[4], string.format('%d', bytes), 'PX', ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('PUBLISH', ARGV[1], msg)
return seq
)lua";

// KEYS: seq counter. ARGV: floor, key ttl ms. Raises the counter to the floor (plus the same
// 1000 when the counter is gone).
inline constexpr const char* raise_floor = R"lua(
local current = redis.call('GET', KEYS[1])
local floor = tonumber(ARGV[1])
if not current and floor > 0 then floor = floor + 1000 end
if tonumber(current or '0') < floor then redis.call('SET', KEYS[1], string.format('%d', floor), 'PX', ARGV[2]) end
return floor
)lua";

// KEYS: a room's turn. ARGV: the taker's token, ttl ms. Takes the turn when it is free or
// already this token's (a retry after a lost reply: the first try did take it). Returns 1 when
// taken, 0 when another holder has it.
inline constexpr const char* take_turn = R"lua(
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
)lua";

// KEYS: a room's turn. ARGV: the holder's token. Ends the turn if that holder still has it.
inline constexpr const char* give_turn = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

}  // namespace spotik::realtime::scripts
