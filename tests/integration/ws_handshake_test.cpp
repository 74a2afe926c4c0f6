// The WebSocket handshake against the real binary (CONTRACT §9.1): the token by query,
// Authorization and subprotocol; the 401, 400 and 503 refusals (the cap also against handshakes
// racing in together); and tokens that end (logout, refresh, expiry) while their sockets are open.
#include "auth/jwt.hpp"
#include "integration/ws_flow_support.hpp"
#include "support/raw_connection.hpp"

#include <mutex>
#include <regex>
#include <thread>

namespace spotik::test {
namespace {

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
    // Offered along with a token in the query, it is echoed too: a browser fails a 101 that
    // selects none of the subprotocols it offered.
    ws_client c3("127.0.0.1", server.port(), ws_client::target_for(u.token), {}, "token." + u.token);
    EXPECT_EQ(c3.subprotocol(), "token." + u.token);
    expect_welcome(c3, u);
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

TEST(ws_handshake, a_wrong_version_or_key_gets_a_json_refusal)
{
    server_process server;
    auto client = server.client();
    auto u = register_user(client);
    auto attempt = [&](const std::string& version, const std::string& key) {
        return raw_exchange("127.0.0.1", server.port(),
                            "GET /ws?token=" + u.token +
                                " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Version: " +
                                version + "\r\nSec-WebSocket-Key: " + key + "\r\n\r\n",
                            k_wait);
    };
    auto old = attempt("8", "dGhlIHNhbXBsZSBub25jZQ==");
    EXPECT_EQ(old.rfind("HTTP/1.1 426", 0), 0u) << old;
    EXPECT_NE(old.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos) << old;
    EXPECT_NE(old.find("\"error\":\"Unsupported WebSocket version\""), std::string::npos) << old;
    auto bad_key = attempt("13", "abc");
    EXPECT_EQ(bad_key.rfind("HTTP/1.1 400", 0), 0u) << bad_key;
    EXPECT_NE(bad_key.find("\"error\":\"Invalid WebSocket key\""), std::string::npos) << bad_key;
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

// Handshakes that arrive together, all still checking their tokens, cannot overshoot the cap.
TEST(ws_handshake, racing_handshakes_stay_within_the_connection_cap)
{
    server_process server{{.env = {{"WS_MAX_CONNECTIONS", "8"}}}};
    auto http = server.client();
    auto u = register_user(http);
    std::mutex mutex;
    std::vector<std::unique_ptr<ws_client>> open;
    std::vector<std::thread> threads;
    for (int i = 0; i < 64; ++i)
        threads.emplace_back([&] {
            try {
                auto c = std::make_unique<ws_client>("127.0.0.1", server.port(), ws_client::target_for(u.token));
                std::lock_guard lock(mutex);
                open.push_back(std::move(c));
            } catch (const std::exception&) {
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(open.size(), 8u);
    EXPECT_LE(ws_counter(http, "open_sockets"), 8);
}

}  // namespace
}  // namespace spotik::test
