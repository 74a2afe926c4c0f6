// WebSocket observability (issue 4, Deliver 6): GET /api/websocket/status lists sockets per
// room without user ids for anonymous callers (CONTRACT §10.7), and /api/metrics and
// /api/monitoring/performance carry the WebSocket figures.
#include "integration/ws_flow_support.hpp"

#include <thread>

namespace spotik::test {
namespace {

// True when `key` names a member anywhere inside `v`, with a numeric value.
bool has_number_key(const json::value& v, const std::string& key)
{
    if (const auto* o = v.if_object()) {
        for (const auto& kv : *o)
            if ((kv.key() == key && kv.value().is_number()) || has_number_key(kv.value(), key)) return true;
    } else if (const auto* a = v.if_array()) {
        for (const auto& item : *a)
            if (has_number_key(item, key)) return true;
    }
    return false;
}

TEST(ws_observability, status_lists_sockets_per_room_without_user_ids)
{
    server_process server;
    auto http = server.client();
    auto u = register_user(http);
    auto room = create_room(http, u.token, unique_name("obs"));
    auto c = open_ws(server, u.token);
    join(c, room);
    expect_answers_ping(c);
    auto r = http.get("/api/websocket/status");
    ASSERT_EQ(r.status, 200);
    auto body = r.json();
    EXPECT_EQ(body.at("connection_stats").at("total_connections"), 1);
    EXPECT_EQ(body.at("connection_stats").at("room_connections").at(room), 1);
    for (const char* key :
         {"open_sockets", "messages_in", "messages_out", "bytes_out", "slow_consumer_closes", "handshake_failures"})
        EXPECT_TRUE(has_number_key(body, key)) << key << " in " << r.body;
    EXPECT_GE(body.at("counters").at("messages_in").to_number<int>(), 2);
    EXPECT_EQ(r.body.find(u.id), std::string::npos) << "no user ids for anonymous callers";
}

// §10.7 for a signed-in caller: its own sockets and room, the number of users connected; none
// of it for anonymous callers, and nobody else's room.
TEST(ws_observability, status_tells_a_signed_in_caller_about_its_own_sockets)
{
    server_process server;
    auto http = server.client();
    auto a = register_user(http, "status_a");
    auto b = register_user(http, "status_b");
    auto idle = register_user(http, "status_idle");
    auto room = create_room(http, a.token, unique_name("status"));
    auto other_room = create_room(http, b.token, unique_name("status_b"));
    auto a1 = open_ws(server, a.token);
    auto a2 = open_ws(server, a.token);  // not joined
    auto b1 = open_ws(server, b.token);
    join(a1, room);
    join(b1, other_room);

    auto mine = http.get_auth("/api/websocket/status", a.token);
    ASSERT_EQ(mine.status, 200) << mine.body;
    auto body = mine.json();
    EXPECT_EQ(body.at("user_connected"), true);
    EXPECT_EQ(body.at("user_connections"), 2);
    EXPECT_EQ(body.at("user_room"), json::value(room));
    EXPECT_EQ(body.at("user_rooms"), json::array{json::value(room)});
    EXPECT_EQ(body.at("connection_stats").at("authenticated_users"), 2);
    EXPECT_EQ(mine.body.find(b.id), std::string::npos);

    auto nobody = http.get_auth("/api/websocket/status", idle.token).json();
    EXPECT_EQ(nobody.at("user_connected"), false);
    EXPECT_EQ(nobody.at("user_connections"), 0);
    EXPECT_TRUE(nobody.at("user_room").is_null());

    auto anonymous = http.get("/api/websocket/status");
    auto anon = anonymous.json().as_object();
    for (const char* key : {"user_connected", "user_connections", "user_room", "user_rooms"})
        EXPECT_FALSE(anon.contains(key)) << key;
    EXPECT_FALSE(anon.at("connection_stats").as_object().contains("authenticated_users"));

    // Closing a's sockets: a is no longer connected, once the server has seen them go.
    a1.close();
    a2.close();
    auto deadline = std::chrono::steady_clock::now() + k_wait;
    json::object after;
    do {
        after = http.get_auth("/api/websocket/status", a.token).json().as_object();
        if (after.at("user_connected") == false) break;
        std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(after.at("user_connected"), false);
    EXPECT_TRUE(after.at("user_room").is_null());
    EXPECT_EQ(after.at("connection_stats").at("authenticated_users"), 1);
}

TEST(ws_observability, metrics_and_performance_include_websocket_figures)
{
    server_process server;
    auto http = server.client();
    auto u = register_user(http);
    auto c = open_ws(server, u.token);
    expect_answers_ping(c);
    for (const char* path : {"/api/metrics", "/api/monitoring/performance"}) {
        auto r = http.get(path);
        ASSERT_EQ(r.status, 200) << path;
        auto body = r.json();
        for (const char* key : {"open_sockets", "slow_consumer_closes", "messages_out", "handshake_failures"})
            EXPECT_TRUE(has_number_key(body, key)) << key << " in " << path << ": " << r.body;
    }
}

}  // namespace
}  // namespace spotik::test
