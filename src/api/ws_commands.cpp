// WebSocket command handling.
#include "api/ws_commands.hpp"

#include "api/json_number.hpp"
#include "api/views.hpp"
#include "obs/log.hpp"
#include "util/ids.hpp"
#include "util/time_format.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace spotik::api {
namespace {

using boost::json::object;
using realtime::frame;
using realtime::hub;

std::optional<std::string> string_field(const object& data, const char* name)
{
    const auto* v = data.if_contains(name);
    if (!v || !v->is_string() || v->as_string().empty()) return std::nullopt;
    return std::string(v->as_string());
}

std::string message_of(const boost::json::value& body)
{
    if (body.is_object()) {
        for (const char* key : {"message", "error"})
            if (const auto* v = body.as_object().if_contains(key); v && v->is_string())
                return std::string(v->as_string());
    }
    return "Request failed";
}

// The user among the view's participants, or nullptr when they are not one.
const storage::user_record* participant_in(const service::room_view& view, std::string_view user_id)
{
    for (const auto& p : view.participants)
        if (p.user_id == user_id) return &p.user;
    return nullptr;
}

}  // namespace

std::optional<storage::user_record> ws_commands::viewer_in(const service::room_view& view, std::string_view user_id)
{
    if (const auto* user = participant_in(view, user_id)) return *user;
    return ctx_.store.find_user(user_id);
}

ws_commands::ws_commands(context& ctx, const http::router& router, realtime::hub& h)
    : ctx_(ctx), router_(router), hub_(h), swept_until_ms_(ctx.clock.now_ms())
{
}

std::optional<realtime::ws_identity> ws_commands::authenticate(const std::string& token)
{
    auto who = ctx_.auth.authenticate(token);
    if (!who) return std::nullopt;
    return realtime::ws_identity{std::move(who->user), who->claims.jti, who->claims.exp};
}

bool ws_commands::token_valid(const ws_connection& conn)
{
    return bool(ctx_.auth.authenticate_verified(conn.user_id.view(), conn.token_id, conn.token_expires_at));
}

realtime::token_sweep ws_commands::sweep_tokens()
{
    // Each round looks a little further back than the previous one ended: a revocation written
    // by another replica whose clock lags, or committed just after its own timestamp, is still
    // seen. Telling a socket twice is harmless (it is closed the first time).
    constexpr std::int64_t overlap_ms = 5000;
    std::int64_t now = ctx_.clock.now_ms();
    realtime::token_sweep sweep{now / 1000, {}};
    try {
        for (auto& jti : ctx_.store.tokens_revoked_between(swept_until_ms_ - overlap_ms, now))
            sweep.revoked.insert(std::move(jti));
        swept_until_ms_ = now;
    } catch (const std::exception& e) {
        obs::warn("websocket token sweep failed", {{"detail", e.what()}});
    }
    return sweep;
}

frame ws_commands::welcome(const ws_connection& conn, const storage::user_record& user)
{
    return hub::make_frame("connection_established", {{"connection_id", conn.connection_id.view()},
                                                      {"user", user_json(user)},
                                                      {"server_time", util::iso8601_ms(ctx_.clock.now_ms())},
                                                      {"message", "WebSocket connection authenticated successfully"}});
}

frame ws_commands::error(std::string_view code, std::string_view message)
{
    return hub::make_frame("error", {{"error_code", code}, {"message", message}});
}

const std::vector<ws_commands::command>& ws_commands::commands()
{
    using client = std::shared_ptr<realtime::hub_client>;
    static const std::vector<command> table{
        {"join_room", [](ws_commands& c, ws_connection& conn, const object& data,
                         const client& self) { return c.join(conn, data, self); }},
        {"leave_room",
         [](ws_commands& c, ws_connection& conn, const object&, const client& self) {
             c.disconnect(conn, self.get());
             return std::vector<frame>{hub::make_frame("room_left", {{"message", "Left room successfully"}})};
         }},
        {"get_room_state",
         [](ws_commands& c, ws_connection& conn, const object&, const client&) { return c.room_state(conn); }},
        {"get_track_queue",
         [](ws_commands& c, ws_connection& conn, const object&, const client&) { return c.queue(conn); }},
        {"vote_track",
         [](ws_commands& c, ws_connection& conn, const object& data, const client&) { return c.vote(conn, data); }},
        {"playback_control",
         [](ws_commands& c, ws_connection& conn, const object& data, const client&) { return c.playback(conn, data); }},
    };
    return table;
}

std::vector<std::string> ws_commands::message_types()
{
    std::vector<std::string> types{"ping"};
    for (const auto& c : commands()) types.emplace_back(c.type);
    return types;
}

std::vector<frame> ws_commands::handle(ws_connection& conn, const std::string& type, const object& data,
                                       const std::shared_ptr<realtime::hub_client>& self)
{
    for (const auto& c : commands())
        if (c.type == type) return c.run(*this, conn, data, self);
    return {error("unknown_message_type", "Unknown message type: " + type)};
}

void ws_commands::disconnect(ws_connection& conn, const realtime::hub_client* self)
{
    if (conn.room_id) hub_.leave(conn.room_id->str(), self);
    conn.room_id.reset();
}

std::vector<frame> ws_commands::join(ws_connection& conn, const object& data,
                                     const std::shared_ptr<realtime::hub_client>& self)
{
    auto room_id = string_field(data, "room_id");
    if (!room_id) return {error("missing_room_id", "room_id is required")};
    if (!util::is_uuid(*room_id)) return {error("room_not_found", "Room not found")};
    *room_id = util::normalize_uuid(*room_id);
    auto view = ctx_.rooms.show(*room_id, conn.user_id.str(), false);
    if (!view) return {error("room_not_found", "Room not found")};
    // The view's participant list was just read: membership needs no second query.
    const auto* member = participant_in(*view, conn.user_id.view());
    if (member == nullptr) return {error("access_denied", "You are not a participant of this room")};
    std::optional<std::uint64_t> last_seq;
    if (const auto* v = data.if_contains("last_seq"); v && v->is_number()) last_seq = sequence_number(*v);
    // While Redis is down every replica numbers its own events: a last_seq may come from
    // another replica's numbering and name a different event here, so nothing is replayed and
    // the client gets the whole room instead.
    const bool unnumbered = last_seq && ctx_.bus && !ctx_.bus->status().connected;
    if (unnumbered) last_seq.reset();
    if (conn.room_id && conn.room_id->view() != *room_id) disconnect(conn, self.get());
    // Several replicas: fetch the shared history first when this replica's does not reach back.
    hub_.prepare_join(*room_id, last_seq);
    auto room = [&] { return room_json(*view, member, ctx_.cfg.storage.public_path, ctx_.clock.now_ms()); };
    auto reply = hub::make_frame("room_joined", {{"room", room()},
                                                 {"message", "Joined room: " + view->room.name},
                                                 {"websocket_connected", true},
                                                 {"connection_id", conn.connection_id.view()},
                                                 {"last_seq", hub_.current_seq(*room_id)}});
    auto joined = hub_.join(*room_id, self, {reply}, last_seq);
    conn.room_id = util::inline_id(*room_id);
    if (!joined.recovered || unnumbered)
        // Rare (the gap is older than the history): the room is built again rather than copied
        // for every join.
        return {hub::make_frame(
            "room_state",
            {{"room", room()}, {"websocket_connected", true}, {"recovered", false}, {"last_seq", joined.current_seq}})};
    return {};
}

std::vector<frame> ws_commands::room_state(ws_connection& conn)
{
    if (!conn.room_id) return {error("not_in_room", "Join a room first")};
    std::string room_id = conn.room_id->str();
    auto view = ctx_.rooms.show(room_id, conn.user_id.str(), false);
    auto viewer = view ? viewer_in(*view, conn.user_id.view()) : std::nullopt;
    if (!viewer) return {error("room_not_found", "Room not found")};
    return {hub::make_frame("room_state",
                            {{"room", room_json(*view, &*viewer, ctx_.cfg.storage.public_path, ctx_.clock.now_ms())},
                             {"websocket_connected", true},
                             {"connection_id", conn.connection_id.view()},
                             {"last_seq", hub_.current_seq(room_id)}})};
}

std::pair<int, boost::json::value> ws_commands::route(const ws_connection& conn, const std::string& method,
                                                      const std::string& path, object body)
{
    http::request req;
    req.method = method;
    req.path = req.target = path;
    req.headers = {{"content-type", "application/json"}};
    req.grant = http::token_grant{conn.user_id.str(), conn.token_id, conn.token_expires_at};
    req.body = boost::json::serialize(body);
    req.request_id = "ws_" + std::string(conn.connection_id.view().substr(0, 16));
    req.received_at_ms = ctx_.clock.now_ms();
    auto m = router_.match(method, path);
    if (!m.found) return {404, object{{"message", "Not found"}}};
    req.params = std::move(m.params);
    auto rep = m.found->fn(req);
    boost::system::error_code ec;
    auto parsed = boost::json::parse(rep.body, ec);
    return {rep.status, ec ? boost::json::value(object{}) : std::move(parsed)};
}

std::vector<frame> ws_commands::queue(ws_connection& conn)
{
    if (!conn.room_id) return {error("not_in_room", "Join a room first")};
    auto [status, body] = route(conn, "GET", "/api/rooms/" + conn.room_id->str() + "/tracks");
    if (status != 200) return {error("queue_error", message_of(body))};
    auto& o = body.as_object();
    return {hub::make_frame("track_queue", {{"room_id", conn.room_id->view()},
                                            {"tracks", o["tracks"]},
                                            {"total_count", o["total_count"]},
                                            {"server_time", util::iso8601_ms(ctx_.clock.now_ms())}})};
}

std::vector<frame> ws_commands::vote(ws_connection& conn, const object& data)
{
    if (!conn.room_id) return {error("not_in_room", "Join a room first")};
    auto track = string_field(data, "track_id");
    if (!track) return {error("missing_track_id", "track_id is required")};
    auto kind = string_field(data, "vote_type").value_or("up");
    if (kind != "up" && kind != "remove") return {error("invalid_vote_type", "vote_type must be up or remove")};
    auto [status, body] = route(conn, kind == "up" ? "POST" : "DELETE",
                                "/api/rooms/" + conn.room_id->str() + "/tracks/" + *track + "/vote");
    if (status != 200) return {error("vote_failed", message_of(body))};
    auto& o = body.as_object();
    return {hub::make_frame("vote_success", {{"track_id", *track},
                                             {"vote_type", kind == "up" ? "added" : "removed"},
                                             {"vote_score", o["vote_score"]},
                                             {"user_has_voted", o["user_has_voted"]},
                                             {"message", o["message"]}})};
}

std::vector<frame> ws_commands::playback(ws_connection& conn, const object& data)
{
    if (!conn.room_id) return {error("not_in_room", "Join a room first")};
    auto action = string_field(data, "action");
    if (!action) return {error("invalid_action", "action is required")};
    std::string base = "/api/rooms/" + conn.room_id->str();
    std::string path;
    object body;
    if (*action == "play" || *action == "start") {
        auto track = string_field(data, "track_id");
        if (!track) return {error("missing_track_id", "track_id is required")};
        path = base + "/tracks/" + *track + "/play";
    } else if (*action == "pause" || *action == "resume" || *action == "stop" || *action == "skip") {
        path = base + "/playback/" + *action;
    } else if (*action == "seek") {
        const auto* pos = data.if_contains("position");
        if (!pos || !pos->is_number()) return {error("missing_position", "position is required")};
        path = base + "/playback/seek";
        body["position"] = *pos;
    } else {
        return {error("invalid_action", "Unknown playback action: " + *action)};
    }
    auto [status, result] = route(conn, "POST", path, std::move(body));
    if (status == 403) return {error("access_denied", message_of(result))};
    if (status != 200) return {error("playback_control_failed", message_of(result))};
    return {hub::make_frame("playback_control_success", {{"action", *action}, {"result", std::move(result)}})};
}

}  // namespace spotik::api
