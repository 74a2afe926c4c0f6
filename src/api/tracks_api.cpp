// Queue, upload, deletion and votes (CONTRACT §6), plus room covers (§5.6).
#include "api/common.hpp"
#include "api/routes.hpp"
#include "api/views.hpp"

namespace spotik::api {
namespace {

using domain::failure;
using service::authenticated;

http::reply room_missing()
{
    return http::error_b(404, "Room not found");
}
http::reply not_in_room()
{
    return http::error_b(404, "Track does not belong to this room");
}

http::reply upload_failure(const service::upload_error& e)
{
    using service::upload_problem;
    switch (e.problem) {
        case upload_problem::not_found:
            return room_missing();
        case upload_problem::forbidden:
            return http::error_b(403, e.message);
        case upload_problem::too_large:
            return http::error_b(413, e.message);
        case upload_problem::storage_full:
            return http::error_b(507, "Insufficient storage", "The server has no space left to store this file");
        case upload_problem::invalid:
            break;
    }
    boost::json::object errors{{e.field, {e.message}}};
    return http::validation_error(errors, false);
}

http::reply list_tracks(context& ctx, http::request& req, const authenticated& who)
{
    auto room = uuid_param(req, "room");
    if (!room) return room_missing();
    auto queue = ctx.tracks.queue(*room, who.user);
    if (!queue && queue.error() == failure::not_participant)
        return http::error_b(403, "You must be a participant of this room to view tracks");
    if (!queue) return room_missing();
    boost::json::array tracks;
    for (const auto& t : *queue) tracks.push_back(track_json(t, ctx.cfg.storage.public_path));
    std::size_t n = tracks.size();
    return http::json(200, {{"tracks", std::move(tracks)}, {"total_count", n}});
}

http::reply upload_track(context& ctx, http::request& req, const authenticated& who)
{
    auto room = uuid_param(req, "room");
    if (!room) return room_missing();
    auto outcome = ctx.tracks.upload(*room, who.user, req.body_file, req.header("content-type"));
    if (auto* e = std::get_if<service::upload_error>(&outcome)) return upload_failure(*e);
    const auto& track = std::get<storage::track_record>(outcome);
    return http::json(
        201, {{"message", "Track uploaded successfully"}, {"track", track_json(track, ctx.cfg.storage.public_path)}});
}

http::reply delete_track(context& ctx, http::request& req, const authenticated& who)
{
    auto room = uuid_param(req, "room");
    auto track = uuid_param(req, "track");
    if (!room) return room_missing();
    if (!track) return not_in_room();
    auto done = ctx.tracks.remove(*room, *track, who.user);
    if (done) return http::json(200, {{"message", "Track deleted successfully"}});
    switch (done.error()) {
        case failure::not_found:
            return room_missing();
        case failure::forbidden:
            return http::error_b(403, "You can only delete tracks you uploaded or be a room administrator");
        default:
            return not_in_room();
    }
}

http::reply vote(context& ctx, http::request& req, const authenticated& who, bool add)
{
    auto track = uuid_param(req, "track");
    std::optional<std::string> room;
    if (!req.param("room").empty()) {
        room = uuid_param(req, "room");
        if (!room) return room_missing();
    }
    if (!track) return room ? not_in_room() : http::error_b(404, "Track not found");
    auto done = ctx.tracks.vote(room.value_or(""), *track, who.user, add);
    if (!done) {
        switch (done.error()) {
            case failure::not_found:
                return room_missing();
            case failure::not_participant:
                return http::error_b(403, add ? "You must be a participant of this room to vote"
                                              : "You must be a participant of this room to remove votes");
            default:
                return room ? not_in_room() : http::error_b(404, "Track not found");
        }
    }
    const char* message = add ? (done->changed ? "Vote added successfully" : "Vote already exists")
                              : (done->changed ? "Vote removed successfully" : "No vote to remove");
    return http::json(200, {{"message", message}, {"vote_score", done->vote_score}, {"user_has_voted", add}});
}

http::reply room_cover(context& ctx, http::request& req, const authenticated& who)
{
    auto room = uuid_param(req, "room");
    if (!room) return room_missing();
    auto outcome = ctx.tracks.set_room_cover(*room, who.user, req.body_file, req.header("content-type"));
    if (auto* e = std::get_if<service::upload_error>(&outcome)) return upload_failure(*e);
    return http::json(200,
                      {{"message", "Room cover updated successfully"}, {"cover_url", std::get<std::string>(outcome)}});
}

// Before an upload's body is received: the caller may upload to (or set the cover of) the room.
http::precheck may_upload(context& ctx, bool cover)
{
    return user_first(
        ctx.auth, [&ctx, cover](http::request& req, const authenticated& who) -> std::optional<http::reply> {
            auto room = uuid_param(req, "room");
            if (!room) return room_missing();
            auto outcome = cover ? ctx.tracks.cover_room(*room, who.user) : ctx.tracks.upload_room(*room, who.user);
            if (auto* e = std::get_if<service::upload_error>(&outcome)) return upload_failure(*e);
            return std::nullopt;
        });
}

}  // namespace

void add_track_routes(http::router& r, context& ctx)
{
    using fn_t = http::reply (*)(context&, http::request&, const authenticated&);
    auto bind = [&ctx](fn_t fn) {
        return with_user(ctx.auth,
                         [&ctx, fn](http::request& req, const authenticated& who) { return fn(ctx, req, who); });
    };
    auto bind_vote = [&ctx](bool add) {
        return with_user(
            ctx.auth, [&ctx, add](http::request& req, const authenticated& who) { return vote(ctx, req, who, add); });
    };
    // Uploads may carry the audio file (MAX_FILE_SIZE_MB), a 5 MiB cover and multipart overhead.
    std::uint64_t upload_limit = ctx.tracks.max_upload_bytes() + 6 * 1024 * 1024;
    r.add("GET", "/api/rooms/{room}/tracks", bind(list_tracks),
          {.summary = "The queue in vote order", .tag = "tracks"});
    r.add("POST", "/api/rooms/{room}/tracks", bind(upload_track),
          {.body = http::body_mode::file,
           .max_body = upload_limit,
           .before_body = may_upload(ctx, false),
           .summary = "Upload a track (multipart audio_file, optional cover_image)",
           .tag = "tracks"});
    r.add("DELETE", "/api/rooms/{room}/tracks/{track}", bind(delete_track),
          {.summary = "Delete a track (uploader or administrator)", .tag = "tracks"});
    r.add("POST", "/api/rooms/{room}/tracks/{track}/vote", bind_vote(true),
          {.summary = "Vote for a track", .tag = "votes"});
    r.add("DELETE", "/api/rooms/{room}/tracks/{track}/vote", bind_vote(false),
          {.summary = "Remove a vote", .tag = "votes"});
    r.add("POST", "/api/tracks/{track}/vote", bind_vote(true), {.summary = "Alias: vote by track id", .tag = "votes"});
    r.add("DELETE", "/api/tracks/{track}/vote", bind_vote(false),
          {.summary = "Alias: remove a vote by track id", .tag = "votes"});
    r.add("POST", "/api/rooms/{room}/cover", bind(room_cover),
          {.body = http::body_mode::file,
           .max_body = 6 * 1024 * 1024,
           .before_body = may_upload(ctx, true),
           .summary = "Set the room cover (multipart cover_image, administrator)",
           .tag = "rooms"});
}

}  // namespace spotik::api
