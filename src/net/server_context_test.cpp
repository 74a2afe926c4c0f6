// Unit tests for the session registry: the pinger's share of buckets, the whole-registry visit
// once a round, and sessions that ended before the visit.
#include "net/server_context.hpp"

#include "realtime/ws_service.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace spotik::net {
namespace {

struct recording_session : registered_session {
    int due_visits = 0;
    int other_visits = 0;
    int closes = 0;
    void close_if_idle() override { ++closes; }
    void ping_round(const realtime::token_sweep&, bool due) override { ++(due ? due_visits : other_visits); }
};

struct registry_with_sessions {
    session_registry registry;
    std::vector<std::shared_ptr<recording_session>> sessions;
    std::vector<std::uint64_t> ids;
    explicit registry_with_sessions(std::size_t n)
    {
        for (std::size_t i = 0; i < n; ++i) {
            sessions.push_back(std::make_shared<recording_session>());
            ids.push_back(registry.add(sessions.back(), /*pinged=*/true));
        }
    }
};

TEST(session_registry, a_share_of_buckets_pings_only_its_sessions)
{
    registry_with_sessions r(3 * session_registry::buckets);
    r.registry.ping_round({}, 0, 16, false);
    int due = 0;
    for (std::size_t i = 0; i < r.sessions.size(); ++i) {
        const bool in_share = r.ids[i] % session_registry::buckets < 16;
        EXPECT_EQ(r.sessions[i]->due_visits, in_share ? 1 : 0) << "session " << r.ids[i];
        EXPECT_EQ(r.sessions[i]->other_visits, 0);
        due += r.sessions[i]->due_visits;
    }
    EXPECT_EQ(due, 3 * 16);
}

TEST(session_registry, the_shares_of_a_round_ping_every_session_once)
{
    registry_with_sessions r(1000);
    const std::size_t ticks = 7;  // shares of unequal size
    for (std::size_t n = 0; n < ticks; ++n)
        r.registry.ping_round({}, n * session_registry::buckets / ticks, (n + 1) * session_registry::buckets / ticks,
                              n == 0);
    const std::size_t first_share_end = session_registry::buckets / ticks;
    for (std::size_t i = 0; i < r.sessions.size(); ++i) {
        EXPECT_EQ(r.sessions[i]->due_visits, 1) << "session " << r.ids[i];
        // The round's first tick also checked the tokens of everyone outside its share.
        EXPECT_EQ(r.sessions[i]->other_visits, r.ids[i] % session_registry::buckets < first_share_end ? 0 : 1);
    }
}

TEST(session_registry, a_round_start_visits_everyone_else_without_a_ping)
{
    registry_with_sessions r(600);
    r.registry.ping_round({}, 10, 20, true);
    for (std::size_t i = 0; i < r.sessions.size(); ++i) {
        const bool in_share = r.ids[i] % session_registry::buckets >= 10 && r.ids[i] % session_registry::buckets < 20;
        EXPECT_EQ(r.sessions[i]->due_visits, in_share ? 1 : 0);
        EXPECT_EQ(r.sessions[i]->other_visits, in_share ? 0 : 1);
    }
}

TEST(session_registry, ended_and_removed_sessions_are_skipped_and_not_counted)
{
    registry_with_sessions r(10);
    EXPECT_EQ(r.registry.size(), 10u);
    r.registry.remove(r.ids[0]);
    r.registry.remove(r.ids[0]);  // twice: no effect the second time
    EXPECT_EQ(r.registry.size(), 9u);
    auto ended = r.sessions[1];
    r.sessions[1].reset();
    std::weak_ptr<recording_session> gone = ended;
    ended.reset();
    ASSERT_TRUE(gone.expired());
    r.registry.ping_round({}, 0, session_registry::buckets, false);
    r.registry.close_idle_all();
    EXPECT_EQ(r.sessions[0]->due_visits, 0);
    EXPECT_EQ(r.sessions[0]->closes, 0);
    for (std::size_t i = 2; i < r.sessions.size(); ++i) {
        EXPECT_EQ(r.sessions[i]->due_visits, 1);
        EXPECT_EQ(r.sessions[i]->closes, 1);
    }
}

TEST(session_registry, sessions_not_added_as_pinged_are_drained_but_never_pinged)
{
    session_registry registry;
    auto plain = std::make_shared<recording_session>();
    auto pinged = std::make_shared<recording_session>();
    registry.add(plain);
    registry.add(pinged, /*pinged=*/true);
    registry.ping_round({}, 0, session_registry::buckets, true);
    registry.close_idle_all();
    EXPECT_EQ(plain->due_visits + plain->other_visits, 0);
    EXPECT_EQ(plain->closes, 1);
    EXPECT_EQ(pinged->due_visits, 1);
    EXPECT_EQ(pinged->closes, 1);
}

}  // namespace
}  // namespace spotik::net
