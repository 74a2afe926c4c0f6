// Playback use cases.
#include "service/playback_service.hpp"

#include "obs/log.hpp"

namespace spotik::service {
using domain::failure;
using storage::playback_columns;
using maybe_track = std::optional<storage::track_record>;

namespace {
// Long enough for the holder to read, compare-and-set and publish; short enough that a holder
// that died half-way delays the room by no more than this.
constexpr std::int64_t k_advance_lease_ms = 5000;
}  // namespace

playback_service::playback_service(storage::store& store, room_events& events, track_end_scheduler& scheduler,
                                   const config::config& cfg, const util::clock& clock)
    : store_(store), events_(events), scheduler_(scheduler), cfg_(cfg), clock_(clock)
{
}

domain::result<playback_change> playback_service::change(std::string_view room_id, const storage::user_record* caller,
                                                         const transition& next)
{
    for (int attempt = 0; attempt < 16; ++attempt) {
        auto room = store_.find_room(room_id);
        if (!room) return failure::not_found;
        if (caller && room->administrator_id != caller->id) return failure::forbidden;
        std::optional<storage::track_record> previous;
        if (room->playback.current_track_id) previous = store_.find_track(*room->playback.current_track_id, "");
        std::int64_t now = clock_.now_ms();
        auto cols = next(*room, previous, now);
        if (!cols) return failure::invalid_state;
        if (!store_.update_playback(room->id, room->playback, *cols, now)) continue;  // raced: read again
        playback_change out;
        out.previous = std::move(previous);
        room->playback = *cols;
        room->updated_at = now;
        if (cols->current_track_id) out.track = store_.find_track(*cols->current_track_id, "");
        out.room = std::move(*room);
        out.at_ms = now;
        reschedule(out.room, out.track);
        return out;
    }
    throw storage::store_unavailable("playback state kept changing; try again");
}

void playback_service::reschedule(const storage::room_record& room, const std::optional<storage::track_record>& track)
{
    if (!cfg_.playback.auto_advance) return;
    auto end = track ? domain::end_instant(room.playback, track->duration_seconds) : std::nullopt;
    if (end)
        scheduler_.schedule(room.id, *end + cfg_.playback.auto_advance_grace_ms);
    else
        scheduler_.cancel(room.id);
}

std::optional<storage::track_record> playback_service::next_track(const storage::room_record& room)
{
    auto queue = store_.list_tracks(room.id, "");
    for (auto& t : queue)
        if (!room.playback.current_track_id || t.id != *room.playback.current_track_id) return std::move(t);
    return std::nullopt;
}

domain::result<playback_change> playback_service::start(std::string_view room_id, std::string_view track_id,
                                                        const storage::user_record& caller)
{
    auto turn = events_.turn(room_id);
    auto room = store_.find_room(room_id);
    if (!room) return failure::not_found;
    if (room->administrator_id != caller.id) return failure::forbidden;
    auto track = store_.find_track(track_id, "");
    if (!track || track->room_id != room->id) return failure::wrong_room;
    std::string id = track->id;
    bool gone = false;
    auto done = change(
        room_id, &caller,
        [&](const storage::room_record&, const maybe_track&, std::int64_t now) -> std::optional<playback_columns> {
            // Read again on a retry: the track may have been deleted meanwhile.
            gone = !store_.find_track(id, "");
            if (gone) return std::nullopt;
            return domain::start(id, now);
        });
    if (!done && gone) return failure::wrong_room;
    if (!done || !done->track) return done;
    events_.playback_started(done->room.id, *done->track, *done->room.playback.started_at, false);
    events_.room_state_updated(done->room.id);
    return done;
}

domain::result<playback_change> playback_service::pause(std::string_view room_id, const storage::user_record& caller)
{
    auto turn = events_.turn(room_id);
    auto done = change(room_id, &caller,
                       [&](const storage::room_record& r, const maybe_track& current,
                           std::int64_t now) -> std::optional<playback_columns> {
                           // A pause after the track's end (while auto-advance waits out its grace,
                           // or with it off) pauses at the end, never beyond.
                           auto end =
                               current ? domain::end_instant(r.playback, current->duration_seconds) : std::nullopt;
                           return domain::pause(r.playback, end ? std::min(now, *end) : now);
                       });
    if (!done || !done->track) return done;
    const auto& c = done->room.playback;
    done->position_s = double(*c.paused_at - *c.started_at) / 1000.0;
    events_.playback_paused(done->room.id, *done->track, c);
    events_.room_state_updated(done->room.id);
    return done;
}

domain::result<playback_change> playback_service::resume(std::string_view room_id, const storage::user_record& caller)
{
    auto turn = events_.turn(room_id);
    double position = 0;
    auto done = change(room_id, &caller, [&](const storage::room_record& r, const maybe_track&, std::int64_t now) {
        if (r.playback.paused_at && r.playback.started_at)
            position = double(*r.playback.paused_at - *r.playback.started_at) / 1000.0;
        return domain::resume(r.playback, now);
    });
    if (!done || !done->track) return done;
    done->position_s = position;
    events_.playback_resumed(done->room.id, *done->track, done->at_ms, done->room.playback, position);
    events_.room_state_updated(done->room.id);
    return done;
}

domain::result<playback_change> playback_service::skip(std::string_view room_id, const storage::user_record& caller)
{
    auto turn = events_.turn(room_id);
    auto done = change(
        room_id, &caller,
        [&](const storage::room_record& r, const maybe_track&, std::int64_t now) -> std::optional<playback_columns> {
            if (!r.playback.current_track_id) return std::nullopt;
            auto next = next_track(r);
            return next ? domain::start(next->id, now) : domain::stop();
        });
    if (!done) return done;
    events_.track_skipped(done->room.id, done->previous, done->track, done->at_ms, done->track ? "" : "no_more_tracks");
    if (done->track)
        events_.playback_started(done->room.id, *done->track, done->at_ms, false);
    else
        events_.playback_stopped(done->room.id, done->previous, "no_more_tracks");
    events_.room_state_updated(done->room.id);
    return done;
}

domain::result<playback_change> playback_service::stop(std::string_view room_id, const storage::user_record& caller)
{
    auto turn = events_.turn(room_id);
    auto done = change(room_id, &caller, [](const storage::room_record&, const maybe_track&, std::int64_t) {
        return std::optional{domain::stop()};
    });
    if (!done || !done->previous) return done;
    events_.playback_stopped(done->room.id, done->previous, "administrator_stop");
    events_.track_skipped(done->room.id, done->previous, std::nullopt, done->at_ms, "stopped");
    events_.room_state_updated(done->room.id);
    return done;
}

domain::result<playback_change> playback_service::seek(std::string_view room_id, const storage::user_record& caller,
                                                       double position_s)
{
    auto turn = events_.turn(room_id);
    bool beyond = false;
    auto done = change(room_id, &caller,
                       [&](const storage::room_record& r, const maybe_track& current,
                           std::int64_t now) -> std::optional<playback_columns> {
                           if (!r.playback.current_track_id) return std::nullopt;
                           std::int64_t duration = current ? current->duration_seconds : 0;
                           auto cols = domain::seek(r.playback, position_s, duration, now);
                           beyond = !cols && domain::state_of(r.playback) != domain::playback_state::idle;
                           return cols;
                       });
    if (!done && beyond) return failure::invalid_input;
    if (!done || !done->track) return done;
    done->position_s = position_s;
    // The Vue client has no seek message: a pause at x followed by a resume expresses it.
    storage::playback_columns paused = done->room.playback;
    paused.is_playing = false;
    paused.paused_at = done->at_ms;
    events_.playback_paused(done->room.id, *done->track, paused);
    if (done->room.playback.is_playing)
        events_.playback_resumed(done->room.id, *done->track, done->at_ms, done->room.playback, position_s);
    return done;
}

bool playback_service::auto_start(const storage::track_record& track)
{
    auto turn = events_.turn(track.room_id);
    auto done = change(
        track.room_id, nullptr,
        [&](const storage::room_record& r, const maybe_track&, std::int64_t now) -> std::optional<playback_columns> {
            if (r.playback.current_track_id || r.playback.is_playing) return std::nullopt;
            if (!store_.find_track(track.id, "")) return std::nullopt;  // deleted meanwhile
            return domain::start(track.id, now);
        });
    if (!done || !done->track) return false;
    events_.playback_started(done->room.id, *done->track, done->at_ms, true);
    events_.room_state_updated(done->room.id);
    return true;
}

void playback_service::on_current_track_deleted(const std::string& room_id, const storage::track_record& track)
{
    auto turn = events_.turn(room_id);
    scheduler_.cancel(room_id);
    events_.playback_stopped(room_id, track, "track_removed");
    events_.track_skipped(room_id, track, std::nullopt, clock_.now_ms(), "stopped");
    events_.room_state_updated(room_id);
}

void playback_service::advance_if_ended(const std::string& room_id)
{
    auto turn = events_.turn(room_id);
    auto room = store_.find_room(room_id);
    if (!room || !room->playback.is_playing || !room->playback.current_track_id) return;
    auto current = store_.find_track(*room->playback.current_track_id, "");
    std::int64_t now = clock_.now_ms();
    if (current) {
        auto end = domain::end_instant(room->playback, current->duration_seconds);
        if (end && now < *end + cfg_.playback.auto_advance_grace_ms) {
            reschedule(*room, current);  // woken early (or the track was restarted): wait again
            return;
        }
    }
    if (lease_) {
        auto name = "advance:" + room_id + ":" + std::to_string(room->playback.started_at.value_or(0));
        if (lease_->try_acquire(name, k_advance_lease_ms) == advance_lease::outcome::taken) {
            // Another replica advances this track end; look again when its lease has run out,
            // in case it died half-way (its playback events re-arm this timer otherwise).
            scheduler_.schedule(room_id, now + k_advance_lease_ms);
            return;
        }
    }
    auto expected = room->playback;
    auto done = change(
        room_id, nullptr,
        [&](const storage::room_record& r, const maybe_track&, std::int64_t at) -> std::optional<playback_columns> {
            if (!(r.playback == expected)) return std::nullopt;  // someone else already moved on
            auto next = next_track(r);
            return next ? domain::start(next->id, at) : domain::stop();
        });
    if (!done) return;
    obs::info("auto-advance", {{"room_id", room_id}, {"next_track_id", done->track ? done->track->id : ""}});
    events_.track_skipped(room_id, done->previous, done->track, done->at_ms, done->track ? "ended" : "no_more_tracks");
    if (done->track)
        events_.playback_started(room_id, *done->track, done->at_ms, true);
    else
        events_.playback_stopped(room_id, done->previous, "no_more_tracks");
    events_.room_state_updated(room_id);
}

void playback_service::refresh_timer(const std::string& room_id)
{
    if (!cfg_.playback.auto_advance) return;
    auto room = store_.find_room(room_id);
    if (!room) {
        scheduler_.cancel(room_id);
        return;
    }
    std::optional<storage::track_record> track;
    if (room->playback.current_track_id) track = store_.find_track(*room->playback.current_track_id, "");
    reschedule(*room, track);
}

void playback_service::restore_timers()
{
    if (!cfg_.playback.auto_advance) return;
    for (const auto& room : store_.list_playing_rooms()) {
        std::optional<storage::track_record> track;
        if (room.playback.current_track_id) track = store_.find_track(*room.playback.current_track_id, "");
        reschedule(room, track);
    }
}

}  // namespace spotik::service
