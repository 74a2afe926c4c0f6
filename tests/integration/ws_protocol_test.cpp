// The native WebSocket protocol against the real binary (CONTRACT §9.1-§9.5): the handshake
// (token by query, Authorization and subprotocol; 401/400/503 refusals) and every client
// command with its replies and errors, including malformed frames that must leave the socket
// open.
#include "auth/jwt.hpp"
#include "support/room_fixture.hpp"
#include "support/ws_client.hpp"
#include "util/clock.hpp"

#include <regex>

namespace spotik::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr auto k_wait = 15s;     // a reply that must come (generous: ASan on a loaded machine)
constexpr auto k_quiet = 800ms;  // silence that shows nothing else is coming

ws_client connect_ws(const server_process& server, const std::string& token)
{
    return ws_client("127.0.0.1", server.port(), ws_client::target_for(token));
}

// A socket whose connection_established has been read.
ws_client open_ws(const server_process& server, const std::string& token)
{
    auto c = connect_ws(server, token);
    c.expect("connection_established", k_wait);
    return c;
}

json::object next_msg(ws_client& c)
{
    auto m = c.next(k_wait);
    if (!m) throw std::runtime_error("no message within the wait (" + c.end_reason() + ")");
    return std::move(*m);
}

json::object join(ws_client& c, const std::string& room_id)
{
    c.send_json({{"type", "join_room"}, {"data", {{"room_id", room_id}}}});
    return c.expect("room_joined", k_wait);
}

// The error code of an `error` message, after checking the envelope.
std::string error_code_of(const json::object& m)
{
    EXPECT_EQ(type_of(m), "error") << json::serialize(m);
    const auto* data = m.if_contains("data");
    if (!data || !data->is_object()) return "<no data>";
    EXPECT_TRUE(data->as_object().contains("message")) << json::serialize(m);
    const auto* code = data->as_object().if_contains("error_code");
    return code && code->is_string() ? std::string(code->as_string()) : "<no error_code>";
}

// A socket that still answers: ping -> pong.
void expect_alive(ws_client& c)
{
    ASSERT_TRUE(c.send_json({{"type", "ping"}, {"data", {{"client_time", 1}}}})) << c.end_reason();
    auto m = next_msg(c);
    EXPECT_EQ(type_of(m), "pong") << json::serialize(m);
    EXPECT_TRUE(c.is_open());
}

std::int64_t now_ms()
{
    return util::system_clock{}.now_ms();
}

// ---------------------------------------------------------------- handshake

void expect_welcome(ws_client& c, const registered_user& u)
{
    auto m = next_msg(c);
    ASSERT_EQ(type_of(m), "connection_established") << json::serialize(m);
    EXPECT_TRUE(m.at("timestamp").is_number());
    EXPECT_FALSE(m.contains("seq")) << "a direct message, not a room event";
    const auto& d = m.at("data").as_object();
    EXPECT_EQ(d.at("user").at("id"), u.id.c_str());
    EXPECT_EQ(d.at("user").at("username"), u.username.c_str());
    EXPECT_FALSE(d.at("user").as_object().contains("password_hash"));
    EXPECT_TRUE(std::regex_match(std::string(d.at("connection_id").as_string()), std::regex("[0-9a-f]{32}")));
}

TEST(ws_handshake, token_in_the_query_and_connection_established_first)
{
    server_process server;
    auto client = server.client();
    auto u = register_user(client);
    auto c = connect_ws(server, u.token);
    expect_welcome(c, u);
    EXPECT_EQ(c.subprotocol(), "");
    expect_alive(c);
}

TEST(ws_handshake, token_in_the_authorization_header)
{
    server_process server;
    auto client = server.client();
    auto u = register_user(client);
    ws_client c("127.0.0.1", server.port(), "/ws", {{"Authorization", "Bearer " + u.token}});
    expect_welcome(c, u);
}

TEST(ws_handshake, token_subprotocol_is_accepted_and_echoed)
{
    server_process server;
    auto client = server.client();
    auto u = register_user(client);
    ws_client c("127.0.0.1", server.port(), "/ws", {}, "token." + u.token);
    EXPECT_EQ(c.subprotocol(), "token." + u.token);
    expect_welcome(c, u);
    // Among other offered protocols, the token one is picked and echoed alone.
    ws_client c2("127.0.0.1", server.port(), "/ws", {}, "chat, token." + u.token);
    EXPECT_EQ(c2.subprotocol(), "token." + u.token);
    expect_welcome(c2, u);
}

void expect_refused_401(const ws_handshake_result& r, const std::string& what)
{
    EXPECT_FALSE(r.upgraded) << what;
    EXPECT_EQ(r.status, 401) << what << ": " << r.body;
    EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos) << what;
    auto body = r.json();
    EXPECT_TRUE(body.as_object().contains("message")) << what << ": " << r.body;
    EXPECT_TRUE(body.as_object().contains("error")) << what << ": " << r.body;
}

TEST(ws_handshake, missing_invalid_and_expired_tokens_get_401_without_upgrade)
{
    server_process server;
    auto client = server.client();
    auto u = register_user(client);
    const std::string host = "127.0.0.1";
    expect_refused_401(ws_client::try_connect(host, server.port(), "/ws"), "no token");
    expect_refused_401(ws_client::try_connect(host, server.port(), "/ws?token="), "empty token");
    expect_refused_401(ws_client::try_connect(host, server.port(), "/ws?token=not.a.jwt"), "garbage token");
    expect_refused_401(ws_client::try_connect(host, server.port(), "/ws", {{"Authorization", "Bearer x.y.z"}}),
                       "garbage bearer");
    expect_refused_401(ws_client::try_connect(host, server.port(), "/ws", {}, "token.x.y.z"), "garbage subprotocol");
    // A well-formed token signed with another secret.
    util::system_clock clk;
    auth::jwt_codec other{"another-secret-another-secret-0123456789", "spotik", clk};
    std::int64_t now = clk.now_s();
    auto forged = other.sign({.sub = u.id, .jti = auth::new_jti(), .iat = now, .nbf = now, .exp = now + 3600});
    expect_refused_401(ws_client::try_connect(host, server.port(), ws_client::target_for(forged)), "forged token");
    // Expired: signed with the server's secret two hours ago for one hour.
    util::manual_clock past{(now - 7200) * 1000};
    auth::jwt_codec codec{server.env("JWT_SECRET"), "spotik", past};
    auto expired =
        codec.sign({.sub = u.id, .jti = auth::new_jti(), .iat = now - 7200, .nbf = now - 7200, .exp = now - 3600});
    expect_refused_401(ws_client::try_connect(host, server.port(), ws_client::target_for(expired)), "expired token");
    // The same codec signs a valid token when the times are current: the refusal was the expiry.
    auth::jwt_codec current{server.env("JWT_SECRET"), "spotik", clk};
    auto valid = current.sign({.sub = u.id, .jti = auth::new_jti(), .iat = now, .nbf = now, .exp = now + 3600});
    EXPECT_TRUE(ws_client::try_connect(host, server.port(), ws_client::target_for(valid)).upgraded);
    auto status = client.get("/api/websocket/status").json();
    EXPECT_GE(status.at("counters").at("handshake_failures").to_number<int>(), 7);
}

TEST(ws_handshake, revoked_token_is_refused)
{
    server_process server;
    auto client = server.client();
    auto u = register_user(client);
    auto before = ws_client::try_connect("127.0.0.1", server.port(), ws_client::target_for(u.token));
    EXPECT_TRUE(before.upgraded) << before.status << " " << before.body;
    ASSERT_EQ(client.post_json("/api/auth/logout", json::object{}, u.token).status, 200);
    expect_refused_401(ws_client::try_connect("127.0.0.1", server.port(), ws_client::target_for(u.token)), "revoked");
    expect_refused_401(ws_client::try_connect("127.0.0.1", server.port(), "/ws", {}, "token." + u.token),
                       "revoked via subprotocol");
}

// ---------------------------------------------------------------- tokens ending while a socket is open

// The socket's last messages: an authentication_error, then the server's close with 1008.
void expect_ended_for_token(ws_client& c, const std::string& what)
{
    std::optional<json::object> m;
    // Pongs and events already queued may come first.
    for (int i = 0; i < 20; ++i) {
        m = c.next(k_wait);
        if (!m || type_of(*m) == "authentication_error") break;
    }
    ASSERT_TRUE(m) << what << ": closed without authentication_error (" << c.end_reason() << ")";
    ASSERT_EQ(type_of(*m), "authentication_error") << what << ": " << json::serialize(*m);
    EXPECT_EQ(m->at("data").at("error"), "Authentication failed") << what;
    EXPECT_FALSE(c.next(k_wait)) << what << ": a message after authentication_error";
    EXPECT_EQ(c.close_code(), 1008) << what << ": " << c.end_reason();
}

TEST(ws_tokens, logout_ends_the_token_s_open_sockets_at_the_next_ping_round)
{
    server_process server{{.env = {{"WS_PING_INTERVAL", "1"}}}};
    auto client = server.client();
    auto u = register_user(client, "leaver");
    auto other = register_user(client, "stayer");
    auto a1 = open_ws(server, u.token);
    auto a2 = open_ws(server, u.token);
    auto b = open_ws(server, other.token);
    // A second session of the same user, with its own token, is not affected.
    auto login = client.post_json("/api/auth/login", json::object{{"email", u.email}, {"password", u.password}});
    ASSERT_EQ(login.status, 200) << login.body;
    auto second_token = std::string(login.json().at("data").at("token").as_string());
    auto c = open_ws(server, second_token);
    ASSERT_EQ(client.post_json("/api/auth/logout", json::object{}, u.token).status, 200);
    expect_ended_for_token(a1, "first socket of the logged-out token");
    expect_ended_for_token(a2, "second socket of the logged-out token");
    expect_alive(b);
    expect_alive(c);
}

TEST(ws_tokens, a_command_after_logout_is_refused_and_the_socket_closed)
{
    // Pings far apart: the refusal comes from the command's own check, not from a round.
    server_process server{{.env = {{"WS_PING_INTERVAL", "600"}, {"WS_ACTIVITY_TIMEOUT", "1200"}}}};
    auto client = server.client();
    auto u = register_user(client);
    auto room_id = create_room(client, u.token, "Revoked");
    auto ws = open_ws(server, u.token);
    join(ws, room_id);
    ASSERT_EQ(client.post_json("/api/auth/logout", json::object{}, u.token).status, 200);
    ASSERT_TRUE(ws.send_json({{"type", "get_room_state"}, {"data", json::object{}}}));
    expect_ended_for_token(ws, "get_room_state after logout");
    // The server let go of the socket too.
    std::int64_t open = -1;
    for (int i = 0; i < 100 && open != 0; ++i) {
        open = client.get("/api/websocket/status").json().at("counters").at("open_sockets").to_number<std::int64_t>();
        if (open != 0) std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(open, 0);
}

TEST(ws_tokens, a_refreshed_token_s_socket_ends_after_the_grace_period)
{
    server_process server{{.env = {{"WS_PING_INTERVAL", "1"}, {"JWT_BLACKLIST_GRACE_PERIOD", "2"}}}};
    auto client = server.client();
    auto u = register_user(client);
    auto old_socket = open_ws(server, u.token);
    auto r = client.post_json("/api/auth/refresh", json::object{}, u.token);
    ASSERT_EQ(r.status, 200) << r.body;
    auto fresh = std::string(r.json().at("data").at("token").as_string());
    auto new_socket = open_ws(server, fresh);
    expect_alive(old_socket);  // inside the grace period
    expect_ended_for_token(old_socket, "socket of the refreshed token");
    expect_alive(new_socket);
}

TEST(ws_tokens, a_socket_ends_when_its_token_expires)
{
    server_process server{{.env = {{"WS_PING_INTERVAL", "1"}}}};
    auto client = server.client();
    auto u = register_user(client);
    util::system_clock clk;
    auth::jwt_codec codec{server.env("JWT_SECRET"), "spotik", clk};
    std::int64_t now = clk.now_s();
    auto short_lived = codec.sign({.sub = u.id, .jti = auth::new_jti(), .iat = now, .nbf = now, .exp = now + 3});
    auto expiring = open_ws(server, short_lived);
    auto lasting = open_ws(server, u.token);
    expect_ended_for_token(expiring, "socket of an expired token");
    EXPECT_GE(clk.now_s(), now + 3) << "closed before the token expired";
    expect_alive(lasting);
}

TEST(ws_handshake, plain_get_is_400_upgrade_required)
{
    server_process server;
    auto client = server.client();
    auto u = register_user(client);
    for (const auto& r : {client.get("/ws"), client.get_auth("/ws", u.token), client.get("/ws?token=" + u.token)}) {
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_EQ(r.json().at("error"), "WebSocket upgrade required") << r.body;
    }
}

TEST(ws_handshake, connection_cap_answers_503)
{
    server_process server{{.env = {{"WS_MAX_CONNECTIONS", "2"}}}};
    auto client = server.client();
    auto u = register_user(client);
    auto a = open_ws(server, u.token);
    auto b = open_ws(server, u.token);  // several sockets per user
    auto third = ws_client::try_connect("127.0.0.1", server.port(), ws_client::target_for(u.token));
    EXPECT_FALSE(third.upgraded);
    EXPECT_EQ(third.status, 503) << third.body;
    EXPECT_TRUE(third.json().as_object().contains("error")) << third.body;
    expect_alive(a);
    expect_alive(b);
    // A freed slot can be used again.
    a.close();
    bool reopened = false;
    for (int i = 0; i < 50 && !reopened; ++i) {
        reopened = ws_client::try_connect("127.0.0.1", server.port(), ws_client::target_for(u.token)).upgraded;
        if (!reopened) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(reopened);
}

// ---------------------------------------------------------------- commands

class ws_commands : public room_fixture {
protected:
    ws_commands() : room_fixture({.env = {{"AUTO_ADVANCE", "false"}}}) {}

    std::string vote_path(const std::string& track) { return "/api/rooms/" + room_id_ + "/tracks/" + track + "/vote"; }
    http_response http_playback(const std::string& action)
    {
        return client_.post_json("/api/rooms/" + room_id_ + "/playback/" + action, json::object{}, admin_.token);
    }
};

TEST_F(ws_commands, join_room_errors_then_success)
{
    auto outsider = open_ws(server_, outsider_.token);
    outsider.send_json({{"type", "join_room"}, {"data", {{"room_id", room_id_}}}});
    EXPECT_EQ(error_code_of(next_msg(outsider)), "access_denied");
    outsider.send_json({{"type", "join_room"}, {"data", {{"room_id", "00000000-0000-4000-8000-000000000000"}}}});
    EXPECT_EQ(error_code_of(next_msg(outsider)), "room_not_found");
    outsider.send_json({{"type", "join_room"}, {"data", {{"room_id", "not-a-uuid"}}}});
    EXPECT_EQ(error_code_of(next_msg(outsider)), "room_not_found");
    outsider.send_json({{"type", "join_room"}, {"data", json::object{}}});
    EXPECT_EQ(error_code_of(next_msg(outsider)), "missing_room_id");
    outsider.send_json({{"type", "join_room"}});
    EXPECT_EQ(error_code_of(next_msg(outsider)), "missing_room_id");
    expect_alive(outsider);
    // An outsider who was refused receives no room events.
    upload_id(member_.token, "tone-3s-cbr.mp3");
    EXPECT_EQ(outsider.drain(k_quiet).size(), 0u);

    auto m = open_ws(server_, member_.token);
    m.send_json({{"type", "join_room"}, {"data", {{"room_id", room_id_}}}});
    auto joined = next_msg(m);
    ASSERT_EQ(type_of(joined), "room_joined") << json::serialize(joined);
    EXPECT_FALSE(joined.contains("seq"));
    EXPECT_TRUE(joined.at("timestamp").is_number());
    const auto& d = joined.at("data").as_object();
    EXPECT_EQ(d.at("room").at("id"), room_id_.c_str());
    EXPECT_EQ(d.at("room").at("is_participant"), true);
    EXPECT_EQ(d.at("room").at("is_administrator"), false);
    EXPECT_EQ(d.at("room").at("administrator_id"), admin_.id.c_str());
    EXPECT_EQ(d.at("room").at("user").at("id"), member_.id.c_str()) << "the canonical Room names its viewer";
    EXPECT_EQ(d.at("room").at("is_playing"), true) << "the upload above auto-started";
    EXPECT_EQ(d.at("websocket_connected"), true);
    EXPECT_TRUE(d.at("message").is_string());
    EXPECT_TRUE(d.at("last_seq").is_number());
    EXPECT_EQ(m.drain(k_quiet).size(), 0u) << "no replay without last_seq";
}

// Any JSON number is a last_seq (1.5 and 1e300 once made the command fail with internal_error).
TEST_F(ws_commands, join_room_accepts_any_number_as_last_seq)
{
    for (const char* last_seq : {"1.5", "-2.5", "1e300", "-1e300", "18446744073709551615"}) {
        auto c = open_ws(server_, member_.token);
        ASSERT_TRUE(c.send_text(std::string(R"({"type":"join_room","data":{"room_id":")") + room_id_ +
                                R"(","last_seq":)" + last_seq + "}}"));
        auto m = next_msg(c);
        EXPECT_EQ(type_of(m), "room_joined") << "last_seq " << last_seq << ": " << json::serialize(m);
        c.drain(k_quiet);  // the replayed events, if any
        expect_alive(c);
    }
}

TEST_F(ws_commands, ping_answers_pong_with_the_clock_fields)
{
    auto c = open_ws(server_, member_.token);
    auto before = now_ms();
    c.send_json({{"type", "ping"}, {"data", {{"client_time", 1737000000123.5}}}});
    auto pong = next_msg(c);
    auto after = now_ms();
    ASSERT_EQ(type_of(pong), "pong") << json::serialize(pong);
    const auto& d = pong.at("data").as_object();
    EXPECT_EQ(d.at("client_time").to_number<double>(), 1737000000123.5);
    auto receive = d.at("server_receive_ms").to_number<std::int64_t>();
    auto send = d.at("server_send_ms").to_number<std::int64_t>();
    auto us = d.at("server_time_us").to_number<std::int64_t>();
    EXPECT_LE(receive, send);
    EXPECT_GE(receive, before - 1);
    EXPECT_LE(send, after + 1);
    EXPECT_GE(us / 1000, receive);
    EXPECT_LE(us / 1000, send);
    // Without client_time the reply still comes (client_time null).
    c.send_json({{"type", "ping"}});
    auto bare = next_msg(c);
    ASSERT_EQ(type_of(bare), "pong");
    EXPECT_TRUE(bare.at("data").at("client_time").is_null());
}

TEST_F(ws_commands, get_room_state_and_queue_need_a_joined_room)
{
    auto c = open_ws(server_, member_.token);
    c.send_json({{"type", "get_room_state"}});
    EXPECT_EQ(error_code_of(next_msg(c)), "not_in_room");
    c.send_json({{"type", "get_track_queue"}});
    EXPECT_EQ(error_code_of(next_msg(c)), "not_in_room");
    c.send_json({{"type", "vote_track"}, {"data", {{"track_id", "x"}}}});
    EXPECT_EQ(error_code_of(next_msg(c)), "not_in_room");
    c.send_json({{"type", "playback_control"}, {"data", {{"action", "pause"}}}});
    EXPECT_EQ(error_code_of(next_msg(c)), "not_in_room");
    join(c, room_id_);
    c.send_json({{"type", "get_room_state"}, {"data", json::object{}}});
    auto state = next_msg(c);
    ASSERT_EQ(type_of(state), "room_state") << json::serialize(state);
    const auto& d = state.at("data").as_object();
    EXPECT_EQ(d.at("room").at("id"), room_id_.c_str());
    EXPECT_EQ(d.at("room").at("is_participant"), true);
    EXPECT_EQ(d.at("room").at("is_playing"), false);
    EXPECT_EQ(d.at("websocket_connected"), true);
    EXPECT_TRUE(d.at("connection_id").is_string());
}

TEST_F(ws_commands, get_track_queue_matches_the_http_queue)
{
    auto t1 = upload_id(member_.token, "tone-7s-vbr.mp3");
    auto t2 = upload_id(member_.token, "tone-3s-cbr.mp3");
    ASSERT_EQ(client_.post_json(vote_path(t2), json::object{}, member_.token).status, 200);
    auto c = open_ws(server_, member_.token);
    join(c, room_id_);
    c.drain(k_quiet);
    c.send_json({{"type", "get_track_queue"}});
    auto q = next_msg(c);
    ASSERT_EQ(type_of(q), "track_queue") << json::serialize(q);
    const auto& d = q.at("data").as_object();
    EXPECT_EQ(d.at("room_id"), room_id_.c_str());
    EXPECT_EQ(d.at("total_count"), 2);
    const auto& tracks = d.at("tracks").as_array();
    ASSERT_EQ(tracks.size(), 2u);
    EXPECT_EQ(tracks[0].at("id"), t2.c_str()) << "ordered by votes";
    EXPECT_EQ(tracks[0].at("user_has_voted"), true) << "relative to the socket's user";
    EXPECT_EQ(tracks[1].at("id"), t1.c_str());
    EXPECT_EQ(tracks[1].at("user_has_voted"), false);
    auto http = client_.get_auth("/api/rooms/" + room_id_ + "/tracks", member_.token).json();
    EXPECT_EQ(json::value(tracks), http.at("tracks"));
}

TEST_F(ws_commands, vote_track_replies_and_only_others_get_track_voted)
{
    auto t = upload_id(admin_.token, "tone-3s-cbr.mp3");
    auto voter = open_ws(server_, member_.token);
    auto voter2 = open_ws(server_, member_.token);
    auto other = open_ws(server_, admin_.token);
    join(voter, room_id_);
    join(voter2, room_id_);
    join(other, room_id_);

    voter.send_json({{"type", "vote_track"}, {"data", {{"track_id", t}, {"vote_type", "up"}}}});
    auto ok = next_msg(voter);
    ASSERT_EQ(type_of(ok), "vote_success") << json::serialize(ok);
    EXPECT_EQ(ok.at("data").at("track_id"), t.c_str());
    EXPECT_EQ(ok.at("data").at("vote_type"), "added");
    EXPECT_EQ(ok.at("data").at("vote_score"), 1);
    EXPECT_EQ(ok.at("data").at("user_has_voted"), true);
    auto voted = next_msg(other);
    ASSERT_EQ(type_of(voted), "track_voted") << json::serialize(voted);
    EXPECT_EQ(voted.at("data").at("track").at("id"), t.c_str());
    EXPECT_EQ(voted.at("data").at("track").at("vote_score"), 1);
    EXPECT_EQ(voted.at("data").at("voter").at("id"), member_.id.c_str());
    EXPECT_EQ(voted.at("data").at("vote_added"), true);

    voter.send_json({{"type", "vote_track"}, {"data", {{"track_id", t}, {"vote_type", "remove"}}}});
    ok = next_msg(voter);
    ASSERT_EQ(type_of(ok), "vote_success") << json::serialize(ok);
    EXPECT_EQ(ok.at("data").at("vote_type"), "removed");
    EXPECT_EQ(ok.at("data").at("vote_score"), 0);
    EXPECT_EQ(ok.at("data").at("user_has_voted"), false);
    voted = next_msg(other);
    ASSERT_EQ(type_of(voted), "track_voted");
    EXPECT_EQ(voted.at("data").at("track").at("vote_score"), 0);
    EXPECT_EQ(voted.at("data").at("vote_added"), false);

    voter.send_json({{"type", "vote_track"}, {"data", {{"track_id", t}, {"vote_type", "down"}}}});
    EXPECT_EQ(error_code_of(next_msg(voter)), "invalid_vote_type");
    voter.send_json({{"type", "vote_track"}, {"data", {{"vote_type", "up"}}}});
    EXPECT_EQ(error_code_of(next_msg(voter)), "missing_track_id");
    voter.send_json({{"type", "vote_track"},
                     {"data", {{"track_id", "00000000-0000-4000-8000-000000000000"}, {"vote_type", "up"}}}});
    EXPECT_EQ(error_code_of(next_msg(voter)), "vote_failed");

    // Neither of the voter's sockets got its own track_voted, nor anything else.
    EXPECT_EQ(types_of(voter.drain(k_quiet)), std::vector<std::string>{});
    EXPECT_EQ(types_of(voter2.drain(k_quiet)), std::vector<std::string>{});
    EXPECT_EQ(types_of(other.drain(k_quiet)), std::vector<std::string>{});
}

TEST_F(ws_commands, playback_control_is_for_the_administrator_and_mirrors_http)
{
    auto t1 = upload_id(member_.token, "tone-7s-vbr.mp3");
    auto t2 = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto m = open_ws(server_, member_.token);
    auto a = open_ws(server_, admin_.token);
    join(m, room_id_);
    join(a, room_id_);

    m.send_json({{"type", "playback_control"}, {"data", {{"action", "pause"}}}});
    EXPECT_EQ(error_code_of(next_msg(m)), "access_denied");
    EXPECT_EQ(room_state().at("is_playing"), true) << "a refused command changes nothing";
    a.send_json({{"type", "playback_control"}, {"data", {{"action", "rewind"}}}});
    EXPECT_EQ(error_code_of(next_msg(a)), "invalid_action");
    a.send_json({{"type", "playback_control"}, {"data", json::object{}}});
    EXPECT_EQ(error_code_of(next_msg(a)), "invalid_action");
    a.send_json({{"type", "playback_control"}, {"data", {{"action", "play"}}}});
    EXPECT_EQ(error_code_of(next_msg(a)), "missing_track_id");
    a.send_json({{"type", "playback_control"}, {"data", {{"action", "seek"}}}});
    EXPECT_EQ(error_code_of(next_msg(a)), "missing_position");
    EXPECT_EQ(m.drain(k_quiet).size(), 0u);

    // Each action over the socket answers the body of the HTTP route, and broadcasts the same
    // events; the HTTP twin of each action is run too and the shapes compared.
    auto keys = [](const json::value& v) {
        std::vector<std::string> out;
        for (const auto& kv : v.as_object()) out.emplace_back(kv.key());
        std::sort(out.begin(), out.end());
        return out;
    };
    auto ws_action = [&](const std::string& action, json::object extra = {}) {
        extra["action"] = action;
        a.send_json({{"type", "playback_control"}, {"data", extra}});
        auto msgs = std::vector<json::object>{};
        for (;;) {
            auto msg = next_msg(a);
            msgs.push_back(msg);
            if (type_of(msg) == "playback_control_success" || type_of(msg) == "error") break;
        }
        return msgs;
    };

    auto paused = ws_action("pause");
    EXPECT_EQ(types_of(paused),
              (std::vector<std::string>{"playback_paused", "room_state_updated", "playback_control_success"}));
    const auto& pr = paused.back().at("data").as_object();
    EXPECT_EQ(pr.at("action"), "pause");
    EXPECT_EQ(pr.at("result").at("message"), "Playback paused successfully");
    EXPECT_EQ(pr.at("result").at("data").at("track_id"), t1.c_str());
    EXPECT_EQ(types_of(m.drain(k_quiet)), (std::vector<std::string>{"playback_paused", "room_state_updated"}));
    auto http_resume = http_playback("resume");
    ASSERT_EQ(http_resume.status, 200) << http_resume.body;
    auto http_pause = http_playback("pause");
    ASSERT_EQ(http_pause.status, 200);
    EXPECT_EQ(keys(pr.at("result")), keys(http_pause.json()));
    EXPECT_EQ(keys(pr.at("result").at("data")), keys(http_pause.json().at("data")));
    EXPECT_EQ(types_of(a.drain(k_quiet)), (std::vector<std::string>{"playback_resumed", "room_state_updated",
                                                                    "playback_paused", "room_state_updated"}));

    auto resumed = ws_action("resume");
    ASSERT_EQ(type_of(resumed.back()), "playback_control_success") << json::serialize(resumed.back());
    const auto& rr = resumed.back().at("data").as_object();
    EXPECT_EQ(rr.at("action"), "resume");
    EXPECT_EQ(keys(rr.at("result").at("data")), keys(http_resume.json().at("data")));
    EXPECT_EQ(types_of(resumed),
              (std::vector<std::string>{"playback_resumed", "room_state_updated", "playback_control_success"}));

    auto skipped = ws_action("skip");
    ASSERT_EQ(type_of(skipped.back()), "playback_control_success") << json::serialize(skipped.back());
    EXPECT_EQ(types_of(skipped), (std::vector<std::string>{"track_skipped", "playback_started", "room_state_updated",
                                                           "playback_control_success"}));
    const auto& sr = skipped.back().at("data").at("result").as_object();
    EXPECT_EQ(sr.at("data").at("next_track_id"), t2.c_str());
    auto http_skip = http_playback("skip");
    ASSERT_EQ(http_skip.status, 200);
    EXPECT_EQ(keys(sr.at("data")), keys(http_skip.json().at("data")));
    a.drain(k_quiet);

    auto stopped = ws_action("stop");
    ASSERT_EQ(type_of(stopped.back()), "playback_control_success") << json::serialize(stopped.back());
    EXPECT_EQ(types_of(stopped), (std::vector<std::string>{"playback_stopped", "track_skipped", "room_state_updated",
                                                           "playback_control_success"}));
    EXPECT_EQ(room_state().at("is_playing"), false);

    auto played = ws_action("play", {{"track_id", t2}});
    ASSERT_EQ(type_of(played.back()), "playback_control_success") << json::serialize(played.back());
    EXPECT_EQ(types_of(played),
              (std::vector<std::string>{"playback_started", "room_state_updated", "playback_control_success"}));
    EXPECT_EQ(room_state().at("current_track").at("id"), t2.c_str());
    auto http_stop = http_playback("stop");
    ASSERT_EQ(http_stop.status, 200);
    EXPECT_EQ(keys(stopped.back().at("data").at("result")), keys(http_stop.json()));

    // An action the state does not allow is a failure, not a success.
    auto again = ws_action("pause");
    EXPECT_EQ(error_code_of(again.back()), "playback_control_failed");
}

TEST_F(ws_commands, unknown_type_gets_an_error_and_the_socket_stays_open)
{
    auto c = open_ws(server_, member_.token);
    c.send_json({{"type", "subscribe_everything"}, {"data", json::object{}}});
    auto m = next_msg(c);
    EXPECT_EQ(error_code_of(m), "unknown_message_type");
    EXPECT_EQ(m.at("data").at("message"), "Unknown message type: subscribe_everything");
    expect_alive(c);
    join(c, room_id_);
    expect_alive(c);
}

TEST_F(ws_commands, malformed_frames_get_errors_and_the_socket_stays_open)
{
    auto c = open_ws(server_, member_.token);
    join(c, room_id_);
    for (std::string bad : {"{not json", "[1,2,3]", "\"join_room\"", "42", "{\"data\":{}}", "{\"type\":5}", "",
                            "{\"type\":\"ping\"", "{\"type\":null}"}) {
        ASSERT_TRUE(c.send_text(bad)) << c.end_reason();
        auto m = next_msg(c);
        EXPECT_EQ(type_of(m), "error") << "for " << bad << ": " << json::serialize(m);
        EXPECT_TRUE(m.at("data").at("message").is_string());
        EXPECT_TRUE(m.at("data").at("error_code").is_string());
    }
    ASSERT_TRUE(c.send_binary(R"({"type":"ping"})"));
    EXPECT_EQ(type_of(next_msg(c)), "error") << "binary frames are refused";
    ASSERT_TRUE(c.send_binary(std::string("\x00\xff\x10", 3)));
    EXPECT_EQ(type_of(next_msg(c)), "error");
    expect_alive(c);
    // Still in its room.
    upload_id(admin_.token, "tone-3s-cbr.mp3");
    EXPECT_EQ(type_of(c.expect("track_added", k_wait)), "track_added");
}

TEST_F(ws_commands, leave_room_stops_room_events)
{
    auto t = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto leaving = open_ws(server_, admin_.token);
    auto staying = open_ws(server_, admin_.token);
    join(leaving, room_id_);
    join(staying, room_id_);
    leaving.drain(k_quiet);
    staying.drain(k_quiet);
    leaving.send_json({{"type", "leave_room"}, {"data", json::object{}}});
    auto left = next_msg(leaving);
    ASSERT_EQ(type_of(left), "room_left") << json::serialize(left);
    EXPECT_TRUE(left.at("data").at("message").is_string());
    ASSERT_EQ(client_.post_json(vote_path(t), json::object{}, member_.token).status, 200);
    EXPECT_EQ(type_of(staying.expect("track_voted", k_wait)), "track_voted") << "the event happened";
    EXPECT_EQ(types_of(leaving.drain(k_quiet)), std::vector<std::string>{});
    leaving.send_json({{"type", "get_room_state"}});
    EXPECT_EQ(error_code_of(next_msg(leaving)), "not_in_room");
    // Leaving the socket's room does not leave the room itself.
    EXPECT_EQ(room_state().at("is_participant"), true);
}

TEST_F(ws_commands, joining_another_room_leaves_the_first)
{
    auto other_room = create_room(client_, admin_.token, unique_name("second"));
    auto t = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto a = open_ws(server_, admin_.token);
    join(a, room_id_);
    a.drain(k_quiet);
    auto second = join(a, other_room);
    EXPECT_EQ(second.at("data").at("room").at("id"), other_room.c_str());
    ASSERT_EQ(client_.post_json(vote_path(t), json::object{}, member_.token).status, 200);
    EXPECT_EQ(types_of(a.drain(k_quiet)), std::vector<std::string>{}) << "no events of the room it left";
    auto status = client_.get("/api/websocket/status").json();
    const auto& rooms = status.at("connection_stats").at("room_connections").as_object();
    EXPECT_FALSE(rooms.contains(room_id_));
    EXPECT_EQ(rooms.at(other_room), 1);
}

}  // namespace
}  // namespace spotik::test
