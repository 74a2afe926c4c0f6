// The WebSocket channel under misbehaving clients and at shutdown (issue 4, Deliver 3 and
// Acceptance): a client that stops reading is cut off while its room keeps receiving every
// event; idle sockets are closed after WS_ACTIVITY_TIMEOUT while ones answering Pings stay;
// floods get rate_limited then 1008; oversize messages get 1009; SIGTERM closes with 1001;
// and a closed socket never changes database membership (CONTRACT §9.7, §9.8).
#include "integration/ws_flow_support.hpp"
#include "support/raw_connection.hpp"

#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace spotik::test {
namespace {

using clock_type = std::chrono::steady_clock;

// Everything a closed client had received.
std::vector<json::object> rest_of(ws_client& c)
{
    return c.drain(1ms);
}

// Reads a socket on its own thread (so it keeps up while the test thread makes requests).
class background_reader {
public:
    explicit background_reader(ws_client& c) : client_(c), thread_([this] { run(); }) {}
    ~background_reader() { stop(); }
    void stop()
    {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    std::size_t count(const std::string& type)
    {
        std::lock_guard lock(mutex_);
        return std::size_t(count_type(messages_, type));
    }
    std::vector<json::object> messages()
    {
        std::lock_guard lock(mutex_);
        return messages_;
    }
    std::string failure()
    {
        std::lock_guard lock(mutex_);
        return failure_;
    }

private:
    void run()
    {
        try {
            while (!stop_) {
                if (auto m = client_.next(100ms)) {
                    std::lock_guard lock(mutex_);
                    messages_.push_back(std::move(*m));
                } else if (!client_.is_open()) {
                    std::lock_guard lock(mutex_);
                    failure_ = "reader's socket ended: " + client_.end_reason();
                    return;
                }
            }
        } catch (const std::exception& e) {
            std::lock_guard lock(mutex_);
            failure_ = e.what();
        }
    }

    ws_client& client_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<json::object> messages_;
    std::string failure_;
    std::thread thread_;
};

// ---------------------------------------------------------------- slow consumer

TEST(ws_resilience, a_client_that_stops_reading_is_cut_off_and_the_room_gets_everything)
{
    server_process server{{.env = {{"WS_MAX_QUEUE_BYTES", "65536"}, {"AUTO_ADVANCE", "false"}}}};
    auto http = server.client();
    auto admin = register_user(http, "admin");
    auto member = register_user(http, "member");
    auto room = create_room(http, admin.token, unique_name("slow"));
    ASSERT_EQ(http.post_json("/api/rooms/" + room + "/join", json::object{}, member.token).status, 200);
    // More participants make every room payload (and so every event below) bigger.
    for (int i = 0; i < 8; ++i) {
        auto extra = register_user(http, "extra");
        ASSERT_EQ(http.post_json("/api/rooms/" + room + "/join", json::object{}, extra.token).status, 200);
    }

    auto fast = open_ws(server, member.token);
    join(fast, room);
    background_reader reader(fast);
    // Room updates with a 500-character description: each broadcasts a room_state_updated of
    // several KiB, so the few MiB that loopback TCP buffers absorb fill up after some hundreds.
    int events = 0;
    auto update_room = [&] {
        std::string description(500, events % 2 == 0 ? 'a' : 'b');
        auto r = http.put_json("/api/rooms/" + room, {{"description", description}}, admin.token);
        ++events;
        return r.status;
    };
    // Warm-up with readers only: the server's memory after it is the baseline.
    while (events < 300) ASSERT_EQ(update_room(), 200);
    const long baseline_kib = server_heap_kib(http);

    auto slow = open_ws(server, member.token, {.receive_buffer_bytes = 2048});
    join(slow, room);  // and from now on never read again
    // Keep going until the slow socket has been cut off, and then some: an unbounded queue
    // would keep every one of those events in memory.
    bool cut = false;
    int cut_at = 0;
    while (events < 5000 && !(cut && events >= cut_at + 600)) {
        ASSERT_EQ(update_room(), 200);
        if (!cut && events % 25 == 0 && ws_counter(http, "slow_consumer_closes") >= 1) {
            cut = true;
            cut_at = events;
        }
    }
    EXPECT_TRUE(cut) << "no slow-consumer close after " << events << " events";
    RecordProperty("events_until_cut", cut_at);

    // The reading member received every event, in order, with no gap.
    auto deadline = clock_type::now() + 30s;
    while (reader.count("room_state_updated") < std::size_t(events) && clock_type::now() < deadline &&
           reader.failure().empty())
        std::this_thread::sleep_for(50ms);
    reader.stop();
    EXPECT_EQ(reader.failure(), "");
    auto got = reader.messages();
    ASSERT_EQ(count_type(got, "room_state_updated"), events);
    std::uint64_t previous = 0;
    std::size_t bytes = 0;
    for (const auto& m : got) {
        ASSERT_EQ(type_of(m), "room_state_updated") << json::serialize(m);
        auto seq = m.at("seq").to_number<std::uint64_t>();
        if (previous != 0) ASSERT_EQ(seq, previous + 1) << "gap in the fast reader's events";
        previous = seq;
        bytes += json::serialize(m).size();
    }
    EXPECT_GT(bytes, 65536u * 4) << "the events outweigh the queue limit many times";

    // The slow one was disconnected: a 1008 close frame, or the connection dropped.
    ASSERT_TRUE(slow.closed(30s)) << "the slow consumer is still connected";
    auto code = slow.close_code();
    EXPECT_TRUE(!code || *code == 1008) << "close code " << *code;
    auto partial = rest_of(slow);
    EXPECT_LT(count_type(partial, "room_state_updated"), events);

    // The server is fine: still serving HTTP and sockets, and it counted exactly one close.
    EXPECT_EQ(http.get("/live").status, 200);
    EXPECT_EQ(ws_counter(http, "slow_consumer_closes"), 1);
    expect_answers_ping(fast);
    auto again = open_ws(server, member.token);
    join(again, room);
    expect_answers_ping(again);
    EXPECT_EQ(ws_counter(http, "open_sockets"), 2);

    // Server memory is back to its baseline: no frame is queued any more, and the live heap is
    // not holding the MiBs of events the slow client never read.
    EXPECT_EQ(ws_counter(http, "queued_bytes"), 0);
    const long after_kib = server_heap_kib(http);
    // What an unbounded queue would still hold: every event after the cut.
    const long unread_kib = long(bytes / std::size_t(events) * std::size_t(events - cut_at) / 1024);
    RecordProperty("heap_growth_kib", int(after_kib - baseline_kib));
    RecordProperty("unread_kib", int(unread_kib));
    EXPECT_LT(after_kib - baseline_kib, unread_kib / 4)
        << "live heap " << baseline_kib << " KiB before, " << after_kib << " after";
}

// ---------------------------------------------------------------- idle timeout

server_options idle_options()
{
    return {.env = {{"WS_PING_INTERVAL", "1"}, {"WS_ACTIVITY_TIMEOUT", "3"}}};
}

// A browser-like client: it answers Pings (while reading) and sends nothing itself.
TEST(ws_resilience, a_client_answering_pings_stays_connected)
{
    server_process server{idle_options()};
    auto http = server.client();
    auto u = register_user(http);
    auto c = open_ws(server, u.token);
    auto start = clock_type::now();
    auto msgs = c.drain(6s);  // reads (answering Pings) for 6 s of silence
    EXPECT_TRUE(msgs.empty());
    EXPECT_TRUE(c.is_open()) << "closed after "
                             << std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start).count()
                             << " ms: " << c.end_reason();
    expect_answers_ping(c);
}

TEST(ws_resilience, a_silent_client_that_never_answers_is_closed)
{
    server_process server{idle_options()};
    auto http = server.client();
    auto u = register_user(http);
    raw_connection raw("127.0.0.1", server.port());
    auto head = raw_upgrade(raw, u.token);
    ASSERT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
    EXPECT_NE(head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
    auto upgraded = clock_type::now();
    // Reading (and discarding) the server's frames never answers them.
    EXPECT_FALSE(raw.closed_by_peer(1500ms)) << "closed well before the activity timeout";
    EXPECT_TRUE(raw.closed_by_peer(8s)) << "still open long after the activity timeout";
    auto after = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - upgraded);
    EXPECT_LT(after.count(), 9000);
    // Gone from the server's count too.
    auto deadline = clock_type::now() + 10s;
    while (ws_counter(http, "open_sockets") != 0 && clock_type::now() < deadline) std::this_thread::sleep_for(50ms);
    EXPECT_EQ(ws_counter(http, "open_sockets"), 0);
}

// ---------------------------------------------------------------- floods and oversize

server_options flood_options()
{
    return {.env = {{"WS_RATE_LIMIT", "5"}, {"WS_RATE_BURST", "5"}}};
}

TEST(ws_resilience, a_flood_is_rate_limited_then_closed_with_1008)
{
    server_process server{flood_options()};
    auto http = server.client();
    auto u = register_user(http);
    auto bystander = open_ws(server, u.token);
    auto c = open_ws(server, u.token);
    for (int i = 0; i < 50; ++i) c.send_json({{"type", "ping"}, {"data", {{"client_time", i}}}});
    ASSERT_TRUE(c.closed(k_wait)) << "a flooding socket stays open";
    EXPECT_EQ(c.close_code(), 1008) << c.end_reason();
    auto msgs = rest_of(c);
    int pongs = count_type(msgs, "pong");
    EXPECT_GE(pongs, 5) << "the burst is served";
    EXPECT_LT(pongs, 50);
    auto first_error = std::find_if(msgs.begin(), msgs.end(), [](const auto& m) { return type_of(m) == "error"; });
    ASSERT_NE(first_error, msgs.end());
    EXPECT_EQ(first_error->at("data").at("error_code"), "rate_limited");
    EXPECT_GE(first_error - msgs.begin(), 5) << "the error follows the served burst";
    EXPECT_GE(ws_counter(http, "rate_limited"), 1);
    // Another socket of the same user is unaffected.
    expect_answers_ping(bystander);
    EXPECT_TRUE(bystander.is_open());
}

TEST(ws_resilience, a_short_burst_only_gets_one_error)
{
    server_process server{flood_options()};
    auto http = server.client();
    auto u = register_user(http);
    auto c = open_ws(server, u.token);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(c.send_json({{"type", "ping"}}));
    auto msgs = c.drain(800ms);
    EXPECT_EQ(count_type(msgs, "error"), 1);
    EXPECT_GE(count_type(msgs, "pong"), 5);
    EXPECT_LT(count_type(msgs, "pong"), 8);
    EXPECT_EQ(count_type(msgs, "error") + count_type(msgs, "pong"), int(msgs.size()));
    EXPECT_TRUE(c.is_open());
    std::this_thread::sleep_for(1200ms);  // the bucket refills
    expect_answers_ping(c);
}

TEST(ws_resilience, an_oversize_message_closes_that_socket_with_1009)
{
    server_process server{{.env = {{"WS_MAX_MESSAGE_BYTES", "1024"}}}};
    auto http = server.client();
    auto u = register_user(http);
    auto bystander = open_ws(server, u.token);
    auto c = open_ws(server, u.token);
    // Just under the limit is fine.
    ASSERT_TRUE(c.send_json({{"type", "ping"}, {"data", {{"client_time", std::string(900, 'x')}}}}));
    EXPECT_EQ(c.expect("pong", k_wait).at("data").at("client_time").as_string().size(), 900u);
    // Far over the limit, so the client is still sending when the server refuses it: the 1009
    // close frame must still reach it (no reset).
    c.send_json({{"type", "ping"}, {"data", {{"client_time", std::string(512 * 1024, 'x')}}}});
    ASSERT_TRUE(c.closed(k_wait));
    EXPECT_EQ(c.close_code(), 1009) << c.end_reason();
    EXPECT_EQ(ws_counter(http, "oversize_closes"), 1);
    expect_answers_ping(bystander);
    auto fresh = open_ws(server, u.token);
    expect_answers_ping(fresh);
    EXPECT_EQ(http.get("/live").status, 200);
}

// ---------------------------------------------------------------- shutdown and membership

TEST(ws_resilience, sigterm_closes_every_socket_with_1001_and_exits_0)
{
    server_process server;
    auto http = server.client();
    auto admin = register_user(http, "admin");
    auto room = create_room(http, admin.token, unique_name("bye"));
    auto joined = open_ws(server, admin.token);
    join(joined, room);
    auto idle = open_ws(server, admin.token);
    ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
    for (auto* c : {&joined, &idle}) {
        ASSERT_TRUE(c->closed(k_wait)) << "still open after SIGTERM";
        EXPECT_EQ(c->close_code(), 1001) << c->end_reason();
    }
    auto status = server.wait_exit(20s);
    ASSERT_TRUE(status.has_value()) << "the server did not exit";
    EXPECT_EQ(*status, 0) << server.output();
}

class ws_membership : public room_fixture {};

TEST_F(ws_membership, closing_a_socket_never_changes_room_membership)
{
    {
        auto polite = open_ws(server_, member_.token);
        join(polite, room_id_);
        polite.close();
    }
    {
        // A connection that just drops (no Close frame).
        raw_connection raw("127.0.0.1", server_.port());
        ASSERT_EQ(raw_upgrade(raw, member_.token).rfind("HTTP/1.1 101", 0), 0u);
        raw.close();
    }
    auto deadline = clock_type::now() + 10s;
    while (ws_counter(client_, "open_sockets") != 0 && clock_type::now() < deadline) std::this_thread::sleep_for(50ms);
    EXPECT_EQ(ws_counter(client_, "open_sockets"), 0);
    auto r = client_.get_auth("/api/rooms/" + room_id_, member_.token);
    ASSERT_EQ(r.status, 200);
    auto room = r.json();
    EXPECT_EQ(room.at("data").at("is_participant"), true);
    bool listed = false;
    for (const auto& p : room.at("data").at("participants").as_array())
        listed = listed || p.at("user").at("id") == member_.id.c_str();
    EXPECT_TRUE(listed);
    // And the member can rejoin the socket room right away (no re-join over HTTP needed).
    auto again = open_ws(server_, member_.token);
    EXPECT_EQ(join(again, room_id_).at("data").at("room").at("is_participant"), true);
}

}  // namespace
}  // namespace spotik::test
