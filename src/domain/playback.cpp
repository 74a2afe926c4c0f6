// Playback arithmetic.
#include "domain/playback.hpp"

#include <algorithm>

namespace spotik::domain {

double server_position_s(const storage::playback_columns& c, std::int64_t now_ms, std::int64_t duration_s)
{
    if (!c.current_track_id || !c.started_at) return 0.0;
    std::int64_t end = c.is_playing ? now_ms : c.paused_at.value_or(now_ms);
    double pos = double(end - *c.started_at) / 1000.0;
    pos = std::max(pos, 0.0);
    if (duration_s > 0) pos = std::min(pos, double(duration_s));
    return pos;
}

room_playback_fields room_fields(const storage::playback_columns& c)
{
    room_playback_fields f;
    if (!c.current_track_id) return f;
    f.is_playing = c.is_playing;
    f.started_at = c.started_at;
    if (!c.is_playing && c.paused_at && c.started_at) {
        f.paused_at = c.paused_at;
        f.current_position = std::max(0.0, double(*c.paused_at - *c.started_at) / 1000.0);
    }
    return f;
}

}  // namespace spotik::domain
