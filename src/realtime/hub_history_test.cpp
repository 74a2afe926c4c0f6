// Unit tests for the bounds of the hub's per-room history: by count and by bytes (the newest
// event is always kept), for published and bus-delivered events, and what a join then gets
// (including a last_seq the room never reached, and the users an event left out).
#include "realtime/hub.hpp"
#include "realtime/hub_test_recorder.hpp"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace spotik::realtime {
namespace {

boost::json::object big(int i)
{
    return {{"i", i}, {"padding", std::string(400, 'x')}};
}

TEST(hub_history, the_byte_bound_drops_the_oldest_events)
{
    hub h{256, 2000};
    for (int i = 1; i <= 10; ++i) h.publish({"room", "room_state_updated", big(i), {}});
    auto bytes = h.stats().history_bytes;
    EXPECT_LE(bytes, 2000u);
    EXPECT_GT(bytes, 1000u) << "it keeps as many as fit";
    // About four ~450-byte events fit: a client that missed the last three gets them, one
    // that missed nine is told the gap is too old.
    auto recent = std::make_shared<recorder>();
    auto r = h.join("room", recent, {}, 7);
    EXPECT_TRUE(r.recovered);
    EXPECT_EQ(r.replayed, 3u);
    auto old = std::make_shared<recorder>();
    EXPECT_FALSE(h.join("room", old, {}, 1).recovered);
}

// A replay goes to the sockets the event went to live: the voter's own do not get its
// track_voted, whether the event was published here or came over the bus.
TEST(hub_history, a_replay_leaves_out_the_users_an_event_excluded)
{
    hub h;
    h.publish({"room", "track_voted", {{"i", 1}}, {"voter"}});
    h.deliver({"room", 2, "track_voted", std::make_shared<const std::string>("{\"seq\":2}"), {"voter"}});
    h.publish({"room", "room_state_updated", {{"i", 3}}, {}});
    auto voter = std::make_shared<recorder>("voter");
    auto r = h.join("room", voter, {}, 0);
    EXPECT_TRUE(r.recovered);
    EXPECT_EQ(r.replayed, 1u);
    ASSERT_EQ(voter->frames.size(), 1u);
    EXPECT_NE(voter->frames[0].find("room_state_updated"), std::string::npos);
    auto other = std::make_shared<recorder>("other");
    EXPECT_EQ(h.join("room", other, {}, 0).replayed, 3u);
}

TEST(hub_history, the_newest_event_is_kept_even_when_larger_than_the_bound)
{
    hub h{256, 100};
    h.publish({"room", "room_state_updated", big(1), {}});
    h.publish({"room", "room_state_updated", big(2), {}});
    auto c = std::make_shared<recorder>();
    auto r = h.join("room", c, {}, 1);
    EXPECT_TRUE(r.recovered);
    ASSERT_EQ(r.replayed, 1u);
    EXPECT_NE(c->frames.back().find("\"seq\":2"), std::string::npos);
}

TEST(hub_history, bus_deliveries_are_bounded_too_and_deleting_the_room_frees_them)
{
    hub h{256, 2000};
    for (std::uint64_t seq = 1; seq <= 10; ++seq) {
        auto f = std::make_shared<const std::string>(boost::json::serialize(big(int(seq))));
        h.deliver({"room", seq, "room_state_updated", f, {}});
    }
    // A late copy of an old event does not grow the history past the bound.
    h.deliver({"room", 9, "room_state_updated", std::make_shared<const std::string>(std::string(500, 'y')), {}});
    EXPECT_LE(h.stats().history_bytes, 2000u);
    h.publish({"room", "room_deleted", {}, {}});
    EXPECT_EQ(h.stats().history_bytes, 0u);
}

TEST(hub_history, the_count_bound_still_applies)
{
    hub h{3, 1 << 20};
    for (int i = 1; i <= 10; ++i) h.publish({"room", "track_voted", {{"i", i}}, {}});
    auto c = std::make_shared<recorder>();
    EXPECT_TRUE(h.join("room", c, {}, 7).recovered);
    EXPECT_FALSE(h.join("room", std::make_shared<recorder>(), {}, 6).recovered);
}

TEST(hub_history, a_last_seq_the_room_never_reached_is_not_recovered)
{
    hub h{8, 1 << 20};
    for (int i = 1; i <= 3; ++i) h.publish({"room", "track_voted", {{"i", i}}, {}});
    auto c = std::make_shared<recorder>();
    auto r = h.join("room", c, {}, 500);
    EXPECT_FALSE(r.recovered);
    EXPECT_EQ(r.replayed, 0u);
    EXPECT_EQ(r.current_seq, 3u);
    EXPECT_TRUE(h.join("room", std::make_shared<recorder>(), {}, 3).recovered) << "up to date";
}

}  // namespace
}  // namespace spotik::realtime
