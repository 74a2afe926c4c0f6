// Unit tests for the hub's handling of deleted rooms: after room_deleted (published here or
// delivered by the Redis bus) the room's entry, seq and history are gone, so a server that
// creates and deletes rooms all day does not keep a history for each of them (the soak
// benchmark, bench/soak, found the hub growing by one history per deleted room).
#include "realtime/hub.hpp"
#include "realtime/hub_test_recorder.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace spotik::realtime {
namespace {

bool has_room(const hub& h, const std::string& id)
{
    auto ids = h.room_ids();
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

TEST(hub_forget, a_published_room_deleted_drops_the_room_and_its_history)
{
    hub h{16};
    auto c = std::make_shared<recorder>();
    h.join("gone", c, {}, std::nullopt);
    for (int i = 0; i < 10; ++i) {
        h.publish({"gone", "track_voted", {{"i", i}}, {}});
        h.publish({"kept", "track_voted", {{"i", i}}, {}});
    }
    h.publish({"gone", "room_deleted", {{"room_name", "x"}}, {}});
    ASSERT_EQ(c->frames.size(), 11u);
    EXPECT_NE(c->frames.back().find("\"room_deleted\""), std::string::npos);
    EXPECT_FALSE(has_room(h, "gone"));
    EXPECT_TRUE(has_room(h, "kept"));
    EXPECT_EQ(h.current_seq("gone"), 0u);
    EXPECT_EQ(h.current_seq("kept"), 10u);

    // Nothing of the old room is replayed to a socket that joins the id again.
    auto late = std::make_shared<recorder>();
    h.join("gone", late, {}, 3);
    EXPECT_TRUE(late->frames.empty());
    h.publish({"gone", "track_voted", {}, {}});
    EXPECT_EQ(c->frames.size(), 11u) << "the old socket was dropped with the room";
    EXPECT_EQ(late->frames.size(), 1u);
}

TEST(hub_forget, rooms_created_and_deleted_leave_no_entries)
{
    hub h{256};
    for (int r = 0; r < 500; ++r) {
        auto id = "room-" + std::to_string(r);
        for (int i = 0; i < 20; ++i) h.publish({id, "room_state_updated", {{"i", i}}, {}});
        h.publish({id, "room_deleted", {}, {}});
    }
    EXPECT_TRUE(h.room_ids().empty());
}

TEST(hub_forget, a_delivered_room_deleted_drops_the_room_too)
{
    hub h{16};
    auto c = std::make_shared<recorder>();
    h.join("gone", c, {}, std::nullopt);
    auto frame_of = [](std::uint64_t seq, const std::string& type) {
        return std::make_shared<const std::string>(R"({"type":")" + type + R"(","data":{},"timestamp":1,"seq":)" +
                                                   std::to_string(seq) + "}");
    };
    EXPECT_TRUE(h.deliver({"gone", 1, "track_voted", frame_of(1, "track_voted"), {}}));
    EXPECT_TRUE(h.deliver({"gone", 2, "room_deleted", frame_of(2, "room_deleted"), {}}));
    EXPECT_EQ(c->frames.size(), 2u);
    EXPECT_FALSE(has_room(h, "gone"));
    EXPECT_EQ(h.current_seq("gone"), 0u);
}

}  // namespace
}  // namespace spotik::realtime
