// Playback arithmetic and transitions.
#include "domain/playback.hpp"

#include <algorithm>
#include <cmath>

namespace spotik::domain {

double server_position_s(const playback_columns& c, std::int64_t now_ms, std::int64_t duration_s)
{
    if (!c.current_track_id || !c.started_at) return 0.0;
    std::int64_t end = c.is_playing ? now_ms : c.paused_at.value_or(now_ms);
    double pos = double(end - *c.started_at) / 1000.0;
    pos = std::max(pos, 0.0);
    if (duration_s > 0) pos = std::min(pos, double(duration_s));
    return pos;
}

room_playback_fields room_fields(const playback_columns& c)
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

playback_state state_of(const playback_columns& c)
{
    if (!c.current_track_id) return playback_state::idle;
    if (c.is_playing) return playback_state::playing;
    return c.paused_at ? playback_state::paused : playback_state::idle;
}

playback_columns start(const std::string& track_id, std::int64_t now_ms)
{
    return playback_columns{track_id, true, now_ms, std::nullopt};
}

std::optional<playback_columns> pause(const playback_columns& c, std::int64_t now_ms)
{
    if (state_of(c) != playback_state::playing || !c.started_at) return std::nullopt;
    // A pause can never put P before S (a clock step backwards would make the position negative).
    return playback_columns{c.current_track_id, false, c.started_at, std::max(now_ms, *c.started_at)};
}

std::optional<playback_columns> resume(const playback_columns& c, std::int64_t now_ms)
{
    if (state_of(c) != playback_state::paused || !c.started_at || !c.paused_at) return std::nullopt;
    std::int64_t paused_for = std::max<std::int64_t>(0, now_ms - *c.paused_at);
    return playback_columns{c.current_track_id, true, *c.started_at + paused_for, std::nullopt};
}

std::optional<playback_columns> seek(const playback_columns& c, double position_s, std::int64_t duration_s,
                                     std::int64_t now_ms)
{
    auto state = state_of(c);
    if (state == playback_state::idle) return std::nullopt;
    if (!(position_s >= 0.0) || (duration_s > 0 && position_s > double(duration_s))) return std::nullopt;
    std::int64_t s = now_ms - std::llround(position_s * 1000.0);
    if (state == playback_state::paused) return playback_columns{c.current_track_id, false, s, now_ms};
    return playback_columns{c.current_track_id, true, s, std::nullopt};
}

playback_columns stop()
{
    return playback_columns{};
}

std::optional<std::string> skip_target(const std::vector<std::string>& queue_ids,
                                       const std::optional<std::string>& current_id)
{
    for (const auto& id : queue_ids)
        if (!current_id || id != *current_id) return id;
    return std::nullopt;
}

std::optional<std::int64_t> end_instant(const playback_columns& c, std::int64_t duration_s)
{
    if (state_of(c) != playback_state::playing || !c.started_at) return std::nullopt;
    return *c.started_at + std::max<std::int64_t>(duration_s, 1) * 1000;
}

}  // namespace spotik::domain
