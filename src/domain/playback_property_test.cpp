// Property tests of the playback state machine: any sequence of start, pause, resume, seek,
// skip and stop, interleaved with the passing of time, keeps the position within
// [0, duration] and equal to a reference model that simply counts elapsed playing time.
#include "domain/playback.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace spotik::domain {
namespace {

enum class op { start, pause, resume, seek, skip, stop, wait };

struct model {
    bool has_track = false;
    bool playing = false;
    std::int64_t position_ms = 0;  // reference position, counted independently
};

RC_GTEST_PROP(playback_property, any_sequence_keeps_the_model_position, ())
{
    const std::int64_t duration_s = *rc::gen::inRange<std::int64_t>(1, 600);
    const auto steps = *rc::gen::container<std::vector<std::pair<op, std::int64_t>>>(
        rc::gen::pair(rc::gen::element(op::start, op::pause, op::resume, op::seek, op::skip, op::stop, op::wait),
                      rc::gen::inRange<std::int64_t>(0, 120'000)));
    std::int64_t now = *rc::gen::inRange<std::int64_t>(0, 4'000'000'000'000);
    playback_columns c;
    model m;
    for (const auto& [what, arg] : steps) {
        switch (what) {
            case op::start:
            case op::skip:  // skip to another track is a start of that track
                c = start("t", now);
                m = {true, true, 0};
                break;
            case op::pause: {
                auto next = pause(c, now);
                RC_ASSERT(next.has_value() == (m.has_track && m.playing));
                if (next) c = *next, m.playing = false;
                break;
            }
            case op::resume: {
                auto next = resume(c, now);
                RC_ASSERT(next.has_value() == (m.has_track && !m.playing));
                if (next) c = *next, m.playing = true;
                break;
            }
            case op::seek: {
                std::int64_t target_ms = arg % (duration_s * 1000 + 1);
                auto next = seek(c, double(target_ms) / 1000.0, duration_s, now);
                RC_ASSERT(next.has_value() == m.has_track);
                if (next) c = *next, m.position_ms = target_ms;
                break;
            }
            case op::stop:
                c = stop();
                m = {};
                break;
            case op::wait:
                now += arg;
                if (m.playing) m.position_ms += arg;
                break;
        }
        double pos = server_position_s(c, now, duration_s);
        RC_ASSERT(pos >= 0.0);
        RC_ASSERT(pos <= double(duration_s));
        double expected = std::min(double(m.position_ms) / 1000.0, double(duration_s));
        RC_ASSERT(std::abs(pos - expected) < 1e-9);
        RC_ASSERT((state_of(c) == playback_state::playing) == (m.has_track && m.playing));
        // What V is sent while paused (rule 2) equals the server position.
        if (m.has_track && !m.playing)
            RC_ASSERT(std::abs(room_fields(c).current_position - double(m.position_ms) / 1000.0) < 1e-9);
        // While playing, V is sent position 0 and S, and computes now - S itself (rule 1).
        if (m.playing) {
            RC_ASSERT(room_fields(c).current_position == 0.0);
            RC_ASSERT(now - *room_fields(c).started_at == m.position_ms);
        }
    }
}

RC_GTEST_PROP(playback_property, end_instant_is_start_plus_duration_only_while_playing, ())
{
    const std::int64_t duration_s = *rc::gen::inRange<std::int64_t>(1, 3600);
    const std::int64_t t0 = *rc::gen::inRange<std::int64_t>(0, 4'000'000'000'000);
    const std::int64_t pause_after = *rc::gen::inRange<std::int64_t>(0, 100'000);
    const std::int64_t paused_for = *rc::gen::inRange<std::int64_t>(0, 100'000);
    auto c = start("t", t0);
    RC_ASSERT(end_instant(c, duration_s) == t0 + duration_s * 1000);
    auto p = *pause(c, t0 + pause_after);
    RC_ASSERT(!end_instant(p, duration_s).has_value());
    auto r = *resume(p, t0 + pause_after + paused_for);
    // The track ends later by exactly the time it spent paused.
    RC_ASSERT(end_instant(r, duration_s) == t0 + paused_for + duration_s * 1000);
    // A track of 0 seconds plays for one.
    RC_ASSERT(end_instant(c, 0) == t0 + 1000);
}

RC_GTEST_PROP(playback_property, skip_target_is_the_first_other_track, (std::vector<int> ids, int current))
{
    std::vector<std::string> queue;
    for (int id : ids) queue.push_back(std::to_string(id));
    auto cur = std::to_string(current);
    auto target = skip_target(queue, cur);
    auto expected = std::find_if(queue.begin(), queue.end(), [&](const std::string& s) { return s != cur; });
    RC_ASSERT(target.has_value() == (expected != queue.end()));
    if (target) RC_ASSERT(*target == *expected);
}

}  // namespace
}  // namespace spotik::domain
