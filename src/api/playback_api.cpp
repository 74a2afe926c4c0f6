// Playback control (CONTRACT §7): start (and the /playback/start alias), pause, resume,
// skip, stop, seek and status, answering in family A with the §7.1 timestamps. Routes with a
// body check the administrator before reading it (403 before 422).
#include "api/common.hpp"
#include "api/json_number.hpp"
#include "api/routes.hpp"
#include "api/views.hpp"
#include "util/ids.hpp"
#include "util/time_format.hpp"

namespace spotik::api {
namespace {

using boost::json::object;
using domain::failure;
using service::authenticated;

http::reply room_missing()
{
    return http::error_a(404, "Room not found", "Room not found");
}

http::reply common_failure(failure f)
{
    switch (f) {
        case failure::forbidden:
            return http::error_a(403, "Only room administrator can control playback", "Insufficient permissions");
        case failure::wrong_room:
            return http::error_a(404, "Track does not belong to this room", "Invalid track");
        default:
            return room_missing();
    }
}

http::reply ok(const char* message, object data)
{
    return http::json(200, {{"success", true}, {"message", message}, {"data", std::move(data)}});
}

std::string iso(std::int64_t ms)
{
    return util::iso8601_ms(ms);
}

http::reply do_start(context& ctx, std::string_view room, std::string_view track, const authenticated& who)
{
    auto done = ctx.playback.start(room, track, who.user);
    if (!done) return common_failure(done.error());
    return ok("Playback started successfully", {{"track_id", done->track->id},
                                                {"started_at", iso(*done->room.playback.started_at)},
                                                {"server_time", iso(done->at_ms)},
                                                {"position", 0},
                                                {"track", track_json(*done->track, ctx.cfg.storage.public_path)}});
}

http::reply play(context& ctx, http::request& req, const authenticated& who)
{
    auto room = uuid_param(req, "room");
    auto track = uuid_param(req, "track");
    if (!room) return room_missing();
    if (!track) return common_failure(failure::wrong_room);
    return do_start(ctx, *room, *track, who);
}

http::reply start_alias(context& ctx, http::request& req, const authenticated& who)
{
    auto room = uuid_param(req, "room");
    if (!room) return room_missing();
    if (auto admin = ctx.rooms.administered(*room, who.user); !admin) return common_failure(admin.error());
    auto parsed = parse_body(req, true);
    if (auto* r = std::get_if<http::reply>(&parsed)) return std::move(*r);
    field_errors errors;
    auto track = read_string(std::get<object>(parsed), "track_id", {.max_chars = 64}, errors);
    if (!errors.empty()) return http::validation_error(errors.json(), true);
    if (!util::is_uuid(*track)) return common_failure(failure::wrong_room);
    return do_start(ctx, *room, util::normalize_uuid(*track), who);
}

http::reply pause(context& ctx, http::request& req, const authenticated& who)
{
    auto room = uuid_param(req, "room");
    if (!room) return room_missing();
    auto done = ctx.playback.pause(*room, who.user);
    if (!done && done.error() == failure::invalid_state)
        return http::error_a(400, "No track is currently playing", "No active playback");
    if (!done) return common_failure(done.error());
    return ok("Playback paused successfully", {{"track_id", done->track->id},
                                               {"paused_at", iso(*done->room.playback.paused_at)},
                                               {"position", seconds_value(done->position_s)},
                                               {"server_time", iso(done->at_ms)}});
}

http::reply resume(context& ctx, http::request& req, const authenticated& who)
{
    auto room = uuid_param(req, "room");
    if (!room) return room_missing();
    auto done = ctx.playback.resume(*room, who.user);
    if (!done && done.error() == failure::invalid_state)
        return http::error_a(400, "No track is currently paused", "No paused playback");
    if (!done) return common_failure(done.error());
    return ok("Playback resumed successfully", {{"track_id", done->track->id},
                                                {"resumed_at", iso(done->at_ms)},
                                                {"position", seconds_value(done->position_s)},
                                                {"effective_started_at", iso(*done->room.playback.started_at)},
                                                {"server_time", iso(done->at_ms)}});
}

http::reply skip(context& ctx, http::request& req, const authenticated& who)
{
    auto room = uuid_param(req, "room");
    if (!room) return room_missing();
    auto done = ctx.playback.skip(*room, who.user);
    if (!done && done.error() == failure::invalid_state)
        return http::error_a(400, "No track is currently playing", "No active track");
    if (!done) return common_failure(done.error());
    const auto& pub = ctx.cfg.storage.public_path;
    return ok("Track skipped successfully",
              {{"skipped_track_id", done->previous ? boost::json::value(done->previous->id) : nullptr},
               {"next_track_id", done->track ? boost::json::value(done->track->id) : nullptr},
               {"next_track", done->track ? boost::json::value(track_json(*done->track, pub)) : nullptr},
               {"server_time", iso(done->at_ms)}});
}

http::reply stop(context& ctx, http::request& req, const authenticated& who)
{
    auto room = uuid_param(req, "room");
    if (!room) return room_missing();
    auto done = ctx.playback.stop(*room, who.user);
    if (!done) return common_failure(done.error());
    return ok("Playback stopped successfully", {{"server_time", iso(done->at_ms)}});
}

http::reply seek(context& ctx, http::request& req, const authenticated& who)
{
    auto room = uuid_param(req, "room");
    if (!room) return room_missing();
    if (auto admin = ctx.rooms.administered(*room, who.user); !admin) return common_failure(admin.error());
    auto parsed = parse_body(req, true);
    if (auto* r = std::get_if<http::reply>(&parsed)) return std::move(*r);
    const auto* pos = std::get<object>(parsed).if_contains("position");
    if (!pos || !pos->is_number()) {
        field_errors errors;
        errors.add("position", "The position field must be a number.");
        return http::validation_error(errors.json(), true);
    }
    double position = pos->to_number<double>();
    if (position < 0) return http::error_a(400, "Position cannot be negative", "Position cannot be negative");
    auto done = ctx.playback.seek(*room, who.user, position);
    if (!done && done.error() == failure::invalid_input)
        return http::error_a(400, "Position exceeds track duration", "Position exceeds track duration");
    if (!done && done.error() == failure::invalid_state)
        return http::error_a(400, "No track is currently playing", "No track is currently playing");
    if (!done) return common_failure(done.error());
    return ok("Playback seeked successfully", {{"track_id", done->track->id},
                                               {"position", seconds_value(position)},
                                               {"seeked_at", iso(done->at_ms)},
                                               {"is_playing", done->room.playback.is_playing},
                                               {"server_time", iso(done->at_ms)}});
}

http::reply status(context& ctx, http::request& req, const authenticated& who)
{
    auto room_id = uuid_param(req, "room");
    if (!room_id) return room_missing();
    auto room = ctx.store.find_room(*room_id);
    if (!room) return room_missing();
    if (!ctx.store.is_participant(room->id, who.user.id))
        return http::error_a(403, "You must be a participant of this room to view playback status",
                             "Not a participant");
    const auto& c = room->playback;
    const auto& pub = ctx.cfg.storage.public_path;
    std::int64_t now = ctx.clock.now_ms();
    auto queue = ctx.store.list_tracks(room->id, who.user.id);
    std::optional<storage::track_record> current;
    boost::json::value next = nullptr;
    for (const auto& t : queue) {
        if (c.current_track_id && t.id == *c.current_track_id)
            current = t;
        else if (next.is_null())
            next = track_json(t, pub);
    }
    auto state = domain::state_of(c);
    boost::json::value position = nullptr;
    if (state != domain::playback_state::idle && current)
        position = seconds_value(domain::server_position_s(c, now, current->duration_seconds));
    return ok("Playback status retrieved successfully",
              {{"is_playing", c.is_playing},
               {"current_track", current ? boost::json::value(track_json(*current, pub)) : nullptr},
               {"position", position},
               {"started_at", c.started_at ? boost::json::value(iso(*c.started_at)) : nullptr},
               {"paused_at", c.paused_at ? boost::json::value(iso(*c.paused_at)) : nullptr},
               {"server_time", iso(now)},
               {"next_track", next},
               {"queue_length", queue.size()}});
}

}  // namespace

void add_playback_routes(http::router& r, context& ctx)
{
    using fn_t = http::reply (*)(context&, http::request&, const authenticated&);
    auto bind = [&ctx](fn_t fn) {
        return with_user(ctx.auth,
                         [&ctx, fn](http::request& req, const authenticated& who) { return fn(ctx, req, who); });
    };
    r.add("POST", "/api/rooms/{room}/tracks/{track}/play", bind(play),
          {.summary = "Start a track (administrator)", .tag = "playback"});
    r.add("POST", "/api/rooms/{room}/playback/start", bind(start_alias),
          {.summary = "Alias: start {track_id}", .tag = "playback"});
    r.add("POST", "/api/rooms/{room}/playback/pause", bind(pause),
          {.summary = "Pause (administrator)", .tag = "playback"});
    r.add("POST", "/api/rooms/{room}/playback/resume", bind(resume),
          {.summary = "Resume (administrator)", .tag = "playback"});
    r.add("POST", "/api/rooms/{room}/playback/skip", bind(skip),
          {.summary = "Skip to the next track (administrator)", .tag = "playback"});
    r.add("POST", "/api/rooms/{room}/playback/stop", bind(stop),
          {.summary = "Stop (administrator)", .tag = "playback"});
    r.add("POST", "/api/rooms/{room}/playback/seek", bind(seek),
          {.summary = "Seek {position} seconds (administrator)", .tag = "playback"});
    r.add("GET", "/api/rooms/{room}/playback/status", bind(status),
          {.summary = "Playback status (participants)", .tag = "playback"});
}

}  // namespace spotik::api
