// Pure playback arithmetic (CONTRACT §7.1): the room stores an effective start S and a pause
// instant P; what leaves the server must fit the Vue client's formula. No I/O, no clock:
// every function takes `now` explicitly.
#pragma once
#include "storage/records.hpp"

#include <cstdint>
#include <optional>

namespace spotik::domain {

// The server's position in seconds: now - S while playing, P - S while paused, 0 when idle;
// clamped to [0, duration] when duration_s > 0.
double server_position_s(const storage::playback_columns& c, std::int64_t now_ms, std::int64_t duration_s = 0);

// The playback fields of a Room payload (§7.1 rules 1-3).
struct room_playback_fields {
    bool is_playing = false;
    std::optional<std::int64_t> started_at;  // S while playing or paused
    std::optional<std::int64_t> paused_at;   // P while paused
    double current_position = 0;             // 0 while playing (V adds the elapsed time), P - S paused
};

room_playback_fields room_fields(const storage::playback_columns& c);

}  // namespace spotik::domain
