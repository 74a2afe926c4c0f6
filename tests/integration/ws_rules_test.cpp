// Clients that break the channel's rules, at the level of frames (issue 4, Deliver 3): a flood
// kept up at a steady pace is cut off after one rate_limited error, not warned again and again;
// nothing a client sends after its Close frame is acted on (RFC 6455 §5.5.1); a Close frame with
// a code no peer may send is answered with 1002 (RFC 6455 §7.4); frames a client sends in the same
// write as its upgrade request, before the 101, are read, not lost; Pings a client never reads
// the Pongs of do not pile up; a frame trickled in does not count as activity.
#include "integration/ws_flow_support.hpp"
#include "support/raw_connection.hpp"

#include <thread>

namespace spotik::test {
namespace {

using clock_type = std::chrono::steady_clock;

// One masked client frame (RFC 6455 §5.2) with a payload of up to 65535 bytes.
std::string client_frame(unsigned char first_byte, std::string_view payload)
{
    std::string f(1, char(first_byte));
    if (payload.size() < 126) {
        f.push_back(char(0x80 | payload.size()));
    } else {
        f.push_back(char(0x80 | 126));
        f.push_back(char(payload.size() >> 8));
        f.push_back(char(payload.size() & 0xFF));
    }
    const std::string mask = "\x1F\x2E\x3D\x4C";
    f += mask;
    for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(char(payload[i] ^ mask[i % 4]));
    return f;
}

std::string close_frame(std::uint16_t code)
{
    return client_frame(0x88, std::string{char(code >> 8), char(code & 0xFF)});
}

std::string text_frame(const json::value& message)
{
    return client_frame(0x81, json::serialize(message));
}

// The server's close frame for `code`, as it ends the bytes it sent.
std::string server_close(std::uint16_t code)
{
    return std::string{'\x88', '\x02', char(code >> 8), char(code & 0xFF)};
}

raw_connection upgraded(const server_process& server, const std::string& token)
{
    raw_connection raw("127.0.0.1", server.port());
    auto head = raw_upgrade(raw, token);
    EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
    return raw;
}

TEST(ws_rules, a_flood_kept_up_at_a_steady_pace_is_cut_off_after_one_error)
{
    // 20 messages a second against a limit of 5 (burst 5): some find a token, most do not.
    server_process server{{.env = {{"WS_RATE_LIMIT", "5"}, {"WS_RATE_BURST", "5"}}}};
    auto http = server.client();
    auto u = register_user(http);
    auto bystander = open_ws(server, u.token);
    auto c = open_ws(server, u.token);
    int sent = 0;
    for (auto start = clock_type::now(); clock_type::now() - start < 10s; ++sent)
        if (!c.send_json({{"type", "ping"}}) || c.closed(50ms)) break;
    ASSERT_FALSE(c.is_open()) << "still open after " << sent << " messages at four times the rate";
    EXPECT_EQ(c.close_code(), 1008) << c.end_reason();
    EXPECT_LT(sent, 60) << "cut off only after about 3 s";
    auto msgs = c.drain(1ms);
    EXPECT_EQ(count_type(msgs, "error"), 1) << "one rate_limited error, then the close";
    EXPECT_GE(count_type(msgs, "pong"), 5) << "the burst is served";
    expect_answers_ping(bystander);
}

class ws_rules_room : public room_fixture {
protected:
    ws_rules_room() : room_fixture({.env = {{"AUTO_ADVANCE", "false"}}}) {}
    int vote_score(const std::string& track)
    {
        auto r = client_.get_auth("/api/rooms/" + room_id_ + "/tracks", member_.token);
        EXPECT_EQ(r.status, 200) << r.body;
        const auto body = r.json();
        for (const auto& t : body.at("tracks").as_array())
            if (t.at("id") == track.c_str()) return int(t.at("vote_score").to_number<std::int64_t>());
        ADD_FAILURE() << "track " << track << " not listed";
        return -1;
    }
};

TEST_F(ws_rules_room, a_command_sent_after_the_close_frame_is_not_acted_on)
{
    auto track = upload_id(admin_.token, "tone-3s-cbr.mp3");
    auto vote = [&](const char* how) {
        return text_frame({{"type", "vote_track"}, {"data", {{"track_id", track}, {"vote_type", how}}}});
    };
    auto raw = upgraded(server_, member_.token);
    ASSERT_TRUE(raw.send(text_frame({{"type", "join_room"}, {"data", {{"room_id", room_id_}}}})));
    EXPECT_NE(raw.read_until("room_joined", k_wait).find("room_joined"), std::string::npos);
    ASSERT_TRUE(raw.send(vote("up")));
    EXPECT_NE(raw.read_until("vote_success", k_wait).find("vote_success"), std::string::npos);
    EXPECT_EQ(vote_score(track), 1);
    // The close and then a command, in one write: the close is answered, the command dropped.
    ASSERT_TRUE(raw.send(close_frame(1000) + vote("remove")));
    ASSERT_TRUE(raw.closed_by_peer(k_wait));
    auto rest = raw.read_all(1ms);
    EXPECT_EQ(rest.find("vote_success"), std::string::npos) << "the command after the close ran";
    EXPECT_TRUE(rest.ends_with(server_close(1000)));
    std::this_thread::sleep_for(300ms);  // a command that slipped through would have run by now
    EXPECT_EQ(vote_score(track), 1);
}

TEST_F(ws_rules_room, a_close_code_no_peer_may_send_gets_1002)
{
    for (std::uint16_t code : {999, 1005, 1006, 1015, 2999, 5000}) {
        auto raw = upgraded(server_, member_.token);
        ASSERT_TRUE(raw.send(close_frame(code)));
        ASSERT_TRUE(raw.closed_by_peer(k_wait)) << code;
        EXPECT_TRUE(raw.read_all(1ms).ends_with(server_close(1002))) << code;
    }
    // A valid one is echoed.
    auto raw = upgraded(server_, member_.token);
    ASSERT_TRUE(raw.send(close_frame(4000)));
    ASSERT_TRUE(raw.closed_by_peer(k_wait));
    EXPECT_TRUE(raw.read_all(1ms).ends_with(server_close(4000)));
}

// A Ping that comes before the client's Close is answered before the server's Close (RFC 6455
// §5.5.2: a Pong is owed to every Ping received before a Close).
TEST(ws_rules, a_ping_before_the_close_is_answered_before_the_close)
{
    server_process server;
    auto http = server.client();
    auto u = register_user(http);
    auto raw = upgraded(server, u.token);
    raw.read_until("connection_established", k_wait);
    ASSERT_TRUE(raw.send(client_frame(0x89, "are you there") + close_frame(1000)));
    ASSERT_TRUE(raw.closed_by_peer(k_wait));
    auto rest = raw.read_all(1ms);
    const std::string pong = std::string{'\x8A', '\x0D'} + "are you there";
    EXPECT_TRUE(rest.ends_with(pong + server_close(1000))) << "the Pong, then the Close";
}

// A client that sends Pings and never reads the Pongs has one Pong waiting on the server at a
// time (RFC 6455 §5.5.3), however many Pings it sends: empty frames cost memory, not bytes, and
// would otherwise pile up past WS_MAX_QUEUE_BYTES unseen.
TEST(ws_rules, pings_from_a_client_that_never_reads_do_not_pile_up)
{
    server_process server;
    auto http = server.client();
    auto u = register_user(http);
    auto raw = upgraded(server, u.token);
    const long before = server_heap_kib(http);
    std::string batch;
    for (int i = 0; i < 50000; ++i) batch += client_frame(0x89, "");
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(raw.send(batch, 60s)) << "batch " << i;  // 2 million Pings
    // The socket is still open, and its Pings have all been read once one command is answered.
    ASSERT_TRUE(raw.send(text_frame({{"type", "ping"}, {"data", {{"client_time", 7}}}})));
    long grown = 0;
    for (auto end = clock_type::now() + 3s; clock_type::now() < end; std::this_thread::sleep_for(200ms))
        grown = std::max(grown, server_heap_kib(http) - before);
    EXPECT_LT(grown, 16 * 1024) << "KiB of heap grown for 2 million empty Pings";
    EXPECT_EQ(http.get("/live").status, 200);
}

// Only whole frames count as activity: a frame trickled a byte at a time keeps no socket that
// answers no Ping alive past WS_ACTIVITY_TIMEOUT.
TEST(ws_rules, a_frame_trickled_byte_by_byte_does_not_hold_off_the_activity_timeout)
{
    server_process server{{.env = {{"WS_PING_INTERVAL", "1"}, {"WS_ACTIVITY_TIMEOUT", "3"}}}};
    auto http = server.client();
    auto u = register_user(http);
    auto raw = upgraded(server, u.token);
    const std::string frame = text_frame({{"type", "ping"}, {"data", {{"pad", std::string(1000, 'x')}}}});
    const auto start = clock_type::now();
    bool closed = false;
    for (std::size_t i = 0; i < frame.size() && !closed && clock_type::now() - start < 12s; ++i)
        closed = !raw.send(frame.substr(i, 1)) || raw.closed_by_peer(400ms);
    EXPECT_TRUE(closed) << "still open while a frame trickles in";
    EXPECT_LT(clock_type::now() - start, 9s);
}

TEST_F(ws_rules_room, frames_sent_with_the_upgrade_request_are_handled)
{
    raw_connection raw("127.0.0.1", server_.port());
    ASSERT_TRUE(raw.send("GET /ws?token=" + member_.token +
                         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
                         text_frame({{"type", "join_room"}, {"data", {{"room_id", room_id_}}}}) +
                         text_frame({{"type", "ping"}, {"data", {{"client_time", 12345}}}})));
    auto head = raw.read_until("\r\n\r\n", k_wait);
    EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
    auto frames = raw.read_until("\"client_time\":12345", k_wait);
    const auto welcome = frames.find("connection_established");
    const auto joined = frames.find("room_joined");
    const auto pong = frames.find("\"pong\"");
    ASSERT_NE(pong, std::string::npos) << "the ping sent with the handshake went unanswered";
    ASSERT_NE(joined, std::string::npos) << "the join sent with the handshake was lost";
    EXPECT_LT(welcome, joined);
    EXPECT_LT(joined, pong);
}

}  // namespace
}  // namespace spotik::test
