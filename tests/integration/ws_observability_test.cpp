// WebSocket observability (issue 4, Deliver 6): GET /api/websocket/status lists sockets per
// room without user ids for anonymous callers (CONTRACT §10.7), and /api/metrics and
// /api/monitoring/performance carry the WebSocket figures.
#include "integration/ws_flow_support.hpp"

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
