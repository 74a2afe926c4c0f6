// The authorization matrix: every HTTP route and every WebSocket client message, with the
// exact answer each kind of caller must get (see authorization_matrix.hpp for the vocabulary).
// The expectations are the contract's: §1 (endpoint matrix), §4.8 (401s), §5-§8 (403/404
// texts), §9.1 and §9.4 (WebSocket). A new route or message type needs a row here: the test
// compares these keys with the live lists of GET /api and fails on any difference.
#pragma once
#include "integration/authorization_matrix.hpp"
#include "support/multipart.hpp"
#include "support/test_util.hpp"

#include <boost/json.hpp>

#include <vector>

namespace spotik::test::authz {

inline body_fn json_body(std::function<boost::json::object(const scenario&)> make)
{
    return [make = std::move(make)](const scenario& s) {
        return request_body{boost::json::serialize(make(s)), "application/json"};
    };
}

inline body_fn upload_body(std::string field, std::string fixture, std::string type)
{
    return [=](const scenario&) {
        multipart_builder mp;
        mp.add_file(field, fixture, type, read_file_bytes(fixture_path(fixture)));
        return request_body{mp.body(), mp.content_type()};
    };
}

// The login row signs in as this account (set up by the test before the rows run).
struct login_account {
    std::string email;
    std::string password;
};

inline std::vector<http_row> http_rows(const login_account& login)
{
    const outcome no_playback = err_a(403, "Insufficient permissions");
    const outcome not_member_b = err_b(403, "You must be a participant of this room to view tracks");
    const body_fn register_body = json_body([](const scenario&) {
        auto name = unique_name("matrix");
        return boost::json::object{{"username", name},
                                   {"email", name + "@example.com"},
                                   {"password", "matrix-password"},
                                   {"password_confirmation", "matrix-password"}};
    });
    std::vector<http_row> rows{
        // §4 Authentication. register, login and logout are public; refresh takes an expired token.
        {"POST", "/api/auth/register", everyone(ok(201)), setup::shared, register_body},
        {"POST", "/api/auth/login", everyone(ok()), setup::shared, json_body([login](const scenario&) {
             return boost::json::object{{"email", login.email}, {"password", login.password}};
         })},
        {"GET", "/api/auth/me", token_required(ok())},
        {.method = "POST",
         .pattern = "/api/auth/refresh",
         .expect = but(token_required(ok()), {{caller::expired, ok()}}),
         .consumes_token = true},
        {.method = "POST", .pattern = "/api/auth/logout", .expect = everyone(ok()), .consumes_token = true},
        // §5 Rooms. Any user may see a room and its participants (L); only the administrator
        // changes or deletes it; the administrator cannot leave, a non-participant gets 404.
        {"GET", "/api/rooms", token_required(ok())},
        {"POST", "/api/rooms", token_required(ok(201)), setup::shared, json_body([](const scenario&) {
             return boost::json::object{{"name", "Matrix room"}};
         })},
        {"GET", "/api/rooms/{room}", token_required(ok())},
        {"PUT", "/api/rooms/{room}", admin_only(ok(), err_a(403, "Insufficient permissions")), setup::shared,
         json_body([](const scenario&) {
             return boost::json::object{{"name", "Renamed room"}};
         })},
        {"DELETE", "/api/rooms/{room}", admin_only(ok(), err_a(403, "Insufficient permissions")), setup::fresh},
        {"POST", "/api/rooms/{room}/cover",
         admin_only(ok(), err_b(403, "Only room administrators can update the cover")), setup::shared,
         upload_body("cover_image", "cover.png", "image/png")},
        {"POST", "/api/rooms/{room}/join", token_required(ok()), setup::fresh},
        {"GET", "/api/rooms/{room}/participants", token_required(ok())},
    };
    for (const char* method : {"POST", "DELETE"}) {
        rows.push_back({method, "/api/rooms/{room}/leave",
                        but(participants_only(ok(), err_a(404, "Not a participant")),
                            {{caller::admin, err_a(403, "Administrator cannot leave")}}),
                        setup::fresh});
    }
    // §6 Tracks and votes: participants only; deletion by the administrator or the uploader.
    rows.push_back({"GET", "/api/rooms/{room}/tracks", participants_only(ok(), not_member_b)});
    rows.push_back({"POST", "/api/rooms/{room}/tracks",
                    participants_only(ok(201), err_b(403, "You must be a participant of this room to upload tracks")),
                    setup::shared, upload_body("audio_file", "tone-3s-cbr.mp3", "audio/mpeg")});
    rows.push_back(
        {"DELETE", "/api/rooms/{room}/tracks/{track}",
         but(token_required(err_b(403, "You can only delete tracks you uploaded or be a room administrator")),
             {{caller::uploader, ok()}, {caller::admin, ok()}}),
         setup::fresh});
    for (const char* pattern : {"/api/rooms/{room}/tracks/{track}/vote", "/api/tracks/{track}/vote"}) {
        rows.push_back(
            {"POST", pattern, participants_only(ok(), err_b(403, "You must be a participant of this room to vote"))});
        rows.push_back({"DELETE", pattern,
                        participants_only(ok(), err_b(403, "You must be a participant of this room to remove votes"))});
    }
    // §7 Playback: the administrator only, checked before the room's state; status for participants.
    rows.push_back({"POST", "/api/rooms/{room}/tracks/{track}/play", admin_only(ok(), no_playback), setup::fresh});
    rows.push_back({"POST", "/api/rooms/{room}/playback/start", admin_only(ok(), no_playback), setup::fresh,
                    json_body([](const scenario& s) {
                        return boost::json::object{{"track_id", s.track}};
                    })});
    rows.push_back({"POST", "/api/rooms/{room}/playback/pause", admin_only(ok(), no_playback), setup::fresh});
    rows.push_back({"POST", "/api/rooms/{room}/playback/resume", admin_only(ok(), no_playback), setup::fresh_paused});
    rows.push_back({"POST", "/api/rooms/{room}/playback/skip", admin_only(ok(), no_playback), setup::fresh});
    rows.push_back({"POST", "/api/rooms/{room}/playback/stop", admin_only(ok(), no_playback), setup::fresh});
    rows.push_back({"POST", "/api/rooms/{room}/playback/seek", admin_only(ok(), no_playback), setup::fresh,
                    json_body([](const scenario&) {
                        return boost::json::object{{"position", 1}};
                    })});
    rows.push_back(
        {"GET", "/api/rooms/{room}/playback/status", participants_only(ok(), err_a(403, "Not a participant"))});
    // §8 Audio for participants (header or ?token=), covers for anyone.
    const cells stream = participants_only(ok(), err_b(403, "You must be a participant of this room to stream tracks"));
    rows.push_back({"GET", "/api/tracks/{track}/stream", stream});
    rows.push_back({.method = "GET",
                    .pattern = "/api/tracks/{track}/stream",
                    .expect = stream,
                    .variant = "token in the query",
                    .token_in_query = true});
    rows.push_back({"GET", "/api/storage/{path...}", everyone(ok())});
    // §9.1 and §10: the non-upgrade /ws and the public service endpoints ignore the caller.
    rows.push_back({"GET", "/ws", everyone(err_b(400, "WebSocket upgrade required"))});
    for (const char* path : {"/api/websocket/status", "/health", "/health/basic", "/health/database", "/health/redis",
                             "/health/configuration", "/health/storage", "/ready", "/live", "/api", "/api/openapi.json",
                             "/api/time", "/api/ping", "/api/health", "/api/metrics", "/api/monitoring/performance"})
        rows.push_back({"GET", path, everyone(ok())});
    // Authorization before validation: a caller who may not act gets 401/403 for an invalid
    // body too, never the validation errors (422) of a request it may not make.
    const outcome invalid_a = err_a(422, "Validation failed"), invalid_b = err_b(422, "Validation failed");
    const auto invalid = [](const char* what) { return std::string("invalid ") + what; };
    rows.push_back({"PUT", "/api/rooms/{room}", admin_only(invalid_a, err_a(403, "Insufficient permissions")),
                    setup::shared, json_body([](const scenario&) {
                        return boost::json::object{{"name", std::string(101, 'x')}};
                    }),
                    invalid("name")});
    rows.push_back({"POST", "/api/rooms/{room}/playback/start", admin_only(invalid_a, no_playback), setup::shared,
                    json_body([](const scenario&) { return boost::json::object{}; }), invalid("track_id")});
    rows.push_back({"POST", "/api/rooms/{room}/playback/seek", admin_only(invalid_a, no_playback), setup::shared,
                    json_body([](const scenario&) {
                        return boost::json::object{{"position", "soon"}};
                    }),
                    invalid("position")});
    rows.push_back({"POST", "/api/rooms/{room}/tracks",
                    participants_only(invalid_b, err_b(403, "You must be a participant of this room to upload tracks")),
                    setup::shared, upload_body("audio_file", "fake-text.mp3", "audio/mpeg"), invalid("audio_file")});
    rows.push_back({"POST", "/api/rooms/{room}/cover",
                    admin_only(invalid_b, err_b(403, "Only room administrators can update the cover")), setup::shared,
                    upload_body("cover_image", "fake-text.mp3", "image/png"), invalid("cover_image")});
    return rows;
}

inline std::vector<ws_row> ws_rows()
{
    using boost::json::object;
    const auto not_in_room = ws_error("not_in_room");
    std::vector<ws_row> rows{
        {"ping", {}, ws_users(reply("pong"), reply("pong")), "pong"},
        // §9.4: joining needs DB membership; a refused join leaves the socket in no room, so
        // every room command of a non-participant gets not_in_room.
        {.type = "join_room",
         .data =
             [](const scenario& s) {
                 return object{{"room_id", s.room}};
             },
         .expect = ws_users(reply("room_joined"), ws_error("access_denied")),
         .success = "room_joined"},
        {"leave_room", {}, ws_users(reply("room_left"), reply("room_left")), "room_left", setup::shared, true},
        {"get_room_state", {}, ws_users(reply("room_state"), not_in_room), "room_state", setup::shared, true},
        {"get_track_queue", {}, ws_users(reply("track_queue"), not_in_room), "track_queue", setup::shared, true},
        {.type = "vote_track",
         .data =
             [](const scenario& s) {
                 return object{{"track_id", s.track}, {"vote_type", "up"}};
             },
         .expect = ws_users(reply("vote_success"), not_in_room),
         .success = "vote_success",
         .join_first = true},
        {.type = "no_such_command",
         .expect = ws_users(ws_error("unknown_message_type"), ws_error("unknown_message_type")),
         .listed = false},
    };
    // playback_control: the administrator only (access_denied for other participants).
    for (std::string action : {"play", "start", "pause", "resume", "stop", "skip", "seek"}) {
        auto expect = ws_users(ws_error("access_denied"), not_in_room);
        expect[caller::admin] = reply("playback_control_success");
        rows.push_back({"playback_control",
                        [action](const scenario& s) {
                            object d{{"action", action}};
                            if (action == "play" || action == "start") d["track_id"] = s.track;
                            if (action == "seek") d["position"] = 1;
                            return d;
                        },
                        expect, "playback_control_success", action == "resume" ? setup::fresh_paused : setup::fresh,
                        true, action});
    }
    return rows;
}

}  // namespace spotik::test::authz
