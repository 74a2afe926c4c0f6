// Unit tests for what GET /api/websocket/status reports about a user: the sockets it has open
// (presence) and the rooms they joined (hub::rooms_of), which follow leaves over HTTP too.
#include "realtime/presence.hpp"
#include "realtime/hub.hpp"
#include "realtime/hub_test_recorder.hpp"

#include <gtest/gtest.h>

namespace spotik::realtime {
namespace {

using rooms = std::vector<std::string>;

TEST(presence, counts_each_users_sockets_until_the_last_one_closes)
{
    presence p;
    p.opened("alice");
    p.opened("alice");
    p.opened("bob");
    EXPECT_EQ(p.sockets_of("alice"), 2u);
    EXPECT_EQ(p.users(), 2u);
    p.closed("alice");
    EXPECT_EQ(p.sockets_of("alice"), 1u);
    p.closed("alice");
    p.closed("alice");  // one close too many changes nothing
    EXPECT_EQ(p.sockets_of("alice"), 0u);
    EXPECT_EQ(p.users(), 1u);
    EXPECT_EQ(p.sockets_of("carol"), 0u);
}

TEST(hub_rooms_of, lists_the_rooms_a_users_sockets_joined_in_id_order)
{
    hub h{16};
    auto a1 = std::make_shared<recorder>("alice");
    auto a2 = std::make_shared<recorder>("alice");
    auto b = std::make_shared<recorder>("bob");
    h.join("room-2", a1, {}, std::nullopt);
    h.join("room-1", a2, {}, std::nullopt);
    h.join("room-3", b, {}, std::nullopt);
    EXPECT_EQ(h.rooms_of("alice"), (rooms{"room-1", "room-2"}));
    EXPECT_EQ(h.rooms_of("bob"), (rooms{"room-3"}));
    EXPECT_TRUE(h.rooms_of("carol").empty());

    h.leave("room-2", a1.get());
    EXPECT_EQ(h.rooms_of("alice"), (rooms{"room-1"}));
    // Leaving over HTTP (user_left) detaches the user's sockets; a socket gone counts no more.
    h.publish({"room-1", "user_left", {{"user", {{"id", "alice"}}}}, {}});
    EXPECT_TRUE(h.rooms_of("alice").empty());
    b.reset();
    EXPECT_TRUE(h.rooms_of("bob").empty());
}

}  // namespace
}  // namespace spotik::realtime
