// A reader that pauses (issue 4, Deliver 3): while a client does not read, the kernel's socket
// buffers fill and the server's writer is left with frames half sent; when the client reads
// again, every event must arrive whole, in order and once, and the server must not have cut
// it off as long as its queue stayed under WS_MAX_QUEUE_BYTES.
#include "integration/ws_flow_support.hpp"

namespace spotik::test {
namespace {

class ws_backpressure : public room_fixture {
protected:
    ws_backpressure() : room_fixture({.env = {{"WS_MAX_QUEUE_BYTES", "16777216"}, {"AUTO_ADVANCE", "false"}}}) {}
};

TEST_F(ws_backpressure, a_reader_that_pauses_gets_every_event_whole_once_it_reads_again)
{
    auto paused = open_ws(server_, member_.token, {.receive_buffer_bytes = 2048});
    const auto base = join(paused, room_id_).at("data").at("last_seq").to_number<std::uint64_t>();

    // Room updates with descriptions of varied length, so frames end at every offset of the
    // kernel's buffer, until the server holds frames it could not hand to the kernel.
    int events = 0;
    std::vector<std::string> sent;
    auto update_room = [&] {
        std::string description(200 + std::size_t(events * 37 % 300), char('a' + events % 26));
        auto r = client_.put_json("/api/rooms/" + room_id_, {{"description", description}}, admin_.token);
        sent.push_back(std::move(description));
        ++events;
        return r.status;
    };
    // (A frame or two may wait for the writer's turn anyway; 64 KiB queued means it is blocked.)
    constexpr std::int64_t blocked = 65536;
    while (events < 5000 && !(events % 20 == 0 && ws_counter(client_, "queued_bytes") > blocked)) {
        ASSERT_EQ(update_room(), 200);
    }
    ASSERT_GT(ws_counter(client_, "queued_bytes"), blocked)
        << "the socket buffers never filled in " << events << " events";
    for (int i = 0; i < 100; ++i) ASSERT_EQ(update_room(), 200);

    // Reading again: everything arrives, whole and in sequence.
    for (int i = 0; i < events; ++i) {
        auto m = paused.next(k_wait);
        ASSERT_TRUE(m) << "event " << i << " of " << events << " missing: " << paused.end_reason();
        ASSERT_EQ(type_of(*m), "room_state_updated") << json::serialize(*m);
        ASSERT_EQ(seq_of(*m), base + 1 + std::uint64_t(i));
        ASSERT_EQ(m->at("data").at("room").at("description").as_string(), sent[std::size_t(i)]);
    }
    EXPECT_TRUE(paused.drain(k_quiet).empty());
    EXPECT_EQ(ws_counter(client_, "slow_consumer_closes"), 0);
    EXPECT_EQ(ws_counter(client_, "queued_bytes"), 0);
    paused.send_json({{"type", "ping"}});
    EXPECT_EQ(type_of(paused.expect("pong", k_wait)), "pong");
}

}  // namespace
}  // namespace spotik::test
