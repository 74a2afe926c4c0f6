// Unit tests for user_left in the hub: a user who left the room over HTTP keeps no socket in
// it, whether the event was published here or delivered by the Redis bus; the others stay.
#include "realtime/hub.hpp"
#include "realtime/hub_test_recorder.hpp"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace spotik::realtime {
namespace {

boost::json::object left(const std::string& user)
{
    return {{"user", {{"id", user}, {"username", user}}}, {"participant_count", 1}};
}

TEST(hub_leave, a_published_user_left_detaches_every_socket_of_that_user)
{
    hub h{16};
    auto stays = std::make_shared<recorder>("alice");
    auto leaves1 = std::make_shared<recorder>("bob");
    auto leaves2 = std::make_shared<recorder>("bob");
    for (const auto& c : {stays, leaves1, leaves2}) h.join("room", c, {}, std::nullopt);
    h.publish({"room", "user_left", left("bob"), {}});
    h.publish({"room", "track_added", {}, {}});
    EXPECT_EQ(stays->frames.size(), 2u);
    EXPECT_EQ(leaves1->frames.size(), 1u) << "the leaver's sockets get user_left, then nothing";
    EXPECT_EQ(leaves2->frames.size(), 1u);
    EXPECT_EQ(h.stats().sockets_in_rooms, 1u);
}

TEST(hub_leave, a_user_left_from_the_bus_detaches_too)
{
    hub h{16};
    auto stays = std::make_shared<recorder>("alice");
    auto leaves = std::make_shared<recorder>("bob");
    h.join("room", stays, {}, std::nullopt);
    h.join("room", leaves, {}, std::nullopt);
    auto envelope = [](const std::string& type, boost::json::object data, std::uint64_t seq) {
        boost::json::object e{{"type", type}, {"data", std::move(data)}, {"timestamp", 1.0}, {"seq", seq}};
        return std::make_shared<const std::string>(boost::json::serialize(e));
    };
    ASSERT_TRUE(h.deliver({"room", 1, "user_left", envelope("user_left", left("bob"), 1), {}}));
    ASSERT_TRUE(h.deliver({"room", 2, "track_added", envelope("track_added", {}, 2), {}}));
    EXPECT_EQ(stays->frames.size(), 2u);
    EXPECT_EQ(leaves->frames.size(), 1u);
    // A user_left for somebody else, or one without a user, detaches nobody.
    ASSERT_TRUE(h.deliver({"room", 3, "user_left", envelope("user_left", left("carol"), 3), {}}));
    ASSERT_TRUE(h.deliver({"room", 4, "user_left", envelope("user_left", {}, 4), {}}));
    h.publish({"room", "user_left", {{"user", "not an object"}}, {}});
    EXPECT_EQ(h.stats().sockets_in_rooms, 1u);
}

TEST(hub_leave, the_leaver_can_join_again)
{
    hub h{16};
    auto c = std::make_shared<recorder>("bob");
    h.join("room", c, {}, std::nullopt);
    h.publish({"room", "user_left", left("bob"), {}});
    h.join("room", c, {}, std::nullopt);
    h.publish({"room", "track_added", {}, {}});
    EXPECT_EQ(c->frames.size(), 2u);
}

}  // namespace
}  // namespace spotik::realtime
