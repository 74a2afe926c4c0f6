// Pure playback rules (CONTRACT §3, §7.1): the room stores an effective start S and a pause
// instant P; transitions compute new columns from old ones and `now`; what leaves the
// server must fit the Vue client's formula. No I/O and no clock: `now` is always an argument.
#pragma once
#include "storage/records.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spotik::domain {

using storage::playback_columns;

// The server's position in seconds: now - S while playing, P - S while paused, 0 when idle;
// clamped to [0, duration] when duration_s > 0.
double server_position_s(const playback_columns& c, std::int64_t now_ms, std::int64_t duration_s = 0);

// The playback fields of a Room payload (§7.1 rules 1-3).
struct room_playback_fields {
    bool is_playing = false;
    std::optional<std::int64_t> started_at;  // S while playing or paused
    std::optional<std::int64_t> paused_at;   // P while paused
    double current_position = 0;             // 0 while playing (V adds the elapsed time), P - S paused
};
room_playback_fields room_fields(const playback_columns& c);

enum class playback_state { idle, playing, paused };
playback_state state_of(const playback_columns& c);

// Transitions. Each returns nullopt when the transition is not allowed from `c`.
playback_columns start(const std::string& track_id, std::int64_t now_ms);                // always allowed
std::optional<playback_columns> pause(const playback_columns& c, std::int64_t now_ms);   // playing only
std::optional<playback_columns> resume(const playback_columns& c, std::int64_t now_ms);  // paused only
// Seek to `position_s` seconds (0 <= position <= duration): S = now - x, P = now if paused.
std::optional<playback_columns> seek(const playback_columns& c, double position_s, std::int64_t duration_s,
                                     std::int64_t now_ms);
playback_columns stop();

// The queue is in §3 order. Skip goes to the first track other than the current one.
std::optional<std::string> skip_target(const std::vector<std::string>& queue_ids,
                                       const std::optional<std::string>& current_id);

// When the current track ends (S + duration) while playing; nullopt otherwise. A track counts
// as at least one second long: a duration of 0 (shorter than half a second, or unreadable)
// would end the moment it starts, and a queue of such tracks would auto-advance without pause.
std::optional<std::int64_t> end_instant(const playback_columns& c, std::int64_t duration_s);

}  // namespace spotik::domain
