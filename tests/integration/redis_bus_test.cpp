// The Redis bus against a real redis-server, in process: two "replicas" (a bus and a hub each)
// on one Redis deliver every event once, in order, with the same seq; a client joining on a
// third replica recovers from the shared history; leases exclude each other; a room's turn
// passes on only once the events told in it are in Redis, a silent Redis costs the turns one
// timeout, not one each, and a try that timed out but took the turn keeps it; while Redis is
// down events still reach local clients and are forwarded (numbered above everything handed
// out) once it is back, even though the restart lost every key; and a wrong password is an
// error that never shows the password.
#include "realtime/redis_bus.hpp"
#include "support/redis_server.hpp"
#include "util/clock.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

namespace spotik::test {
namespace {

using namespace std::chrono_literals;
using realtime::hub;
using realtime::redis_bus;

class recorder final : public realtime::hub_client {
public:
    explicit recorder(std::string user = "viewer") : user_(std::move(user)) {}
    void deliver(const realtime::frame& f) override
    {
        std::lock_guard lock(mutex_);
        frames_.push_back(*f);
    }
    std::string_view user_id() const override { return user_; }
    std::vector<std::string> frames()
    {
        std::lock_guard lock(mutex_);
        return frames_;
    }
    // Waits until n frames arrived; returns them.
    std::vector<std::string> wait_for(std::size_t n, std::chrono::milliseconds timeout = 10s)
    {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (frames().size() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
        return frames();
    }

private:
    std::mutex mutex_;
    std::string user_;
    std::vector<std::string> frames_;
};

std::uint64_t seq_of(const std::string& frame)
{
    return boost::json::parse(frame).at("seq").to_number<std::uint64_t>();
}
std::int64_t n_of(const std::string& frame)
{
    return boost::json::parse(frame).at("data").at("n").to_number<std::int64_t>();
}

struct replica {
    replica(const redis_server& redis, std::string name, std::size_t history = 64, std::string password = {},
            std::size_t history_bytes = 1 << 20)
        : h(history, history_bytes)
    {
        redis_bus::options o;
        o.endpoint = {"127.0.0.1", redis.port(), password.empty() ? redis.password() : password, 0};
        o.timeout_ms = 500;
        o.history_size = history;
        o.history_max_bytes = history_bytes;
        o.replica_id = std::move(name);
        o.prefix = "t";
        bus = std::make_unique<redis_bus>(o, h, clock);
        h.set_history_source(bus.get());
        bus->start();
    }
    bool wait_connected(bool want, std::chrono::milliseconds timeout = 10s)
    {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (bus->connected() != want && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(10ms);
        return bus->connected() == want;
    }
    std::shared_ptr<recorder> join(const std::string& room, std::optional<std::uint64_t> last_seq = std::nullopt)
    {
        auto c = std::make_shared<recorder>();
        h.prepare_join(room, last_seq);
        h.join(room, c, {}, last_seq);
        return c;
    }
    void publish(const std::string& room, int n) { bus->publish({room, "tick", {{"n", n}}, {}}); }

    util::system_clock clock;
    hub h;
    std::unique_ptr<redis_bus> bus;
};

TEST(redis_bus, every_replica_gets_every_event_once_in_order_with_the_same_seq)
{
    redis_server redis;
    replica a{redis, "a"}, b{redis, "b"};
    ASSERT_TRUE(a.wait_connected(true));
    ASSERT_TRUE(b.wait_connected(true));
    auto ca = a.join("room"), cb = b.join("room");
    // Both replicas publish concurrently; n encodes (publisher, order) so order per publisher shows.
    std::thread ta([&] {
        for (int i = 0; i < 150; ++i) a.publish("room", i);
    });
    std::thread tb([&] {
        for (int i = 0; i < 150; ++i) b.publish("room", 1000 + i);
    });
    ta.join();
    tb.join();
    auto fa = ca->wait_for(300), fb = cb->wait_for(300);
    ASSERT_EQ(fa.size(), 300u);
    ASSERT_EQ(fa, fb) << "byte for byte, same order";
    std::int64_t last_a = -1, last_b = 999;
    for (std::size_t i = 0; i < fa.size(); ++i) {
        EXPECT_EQ(seq_of(fa[i]), i + 1);
        auto n = n_of(fa[i]);
        (n < 1000 ? last_a : last_b) < n ? void() : ADD_FAILURE() << "publisher order broken at " << i;
        (n < 1000 ? last_a : last_b) = n;
    }
    EXPECT_EQ(a.bus->status().published + b.bus->status().published, 300u);
    EXPECT_EQ(redis.command({"GET", "t:room:room:seq"}), "300");
    EXPECT_EQ(redis.command({"LLEN", "t:room:room:history"}), "64") << "trimmed to the history size";
}

TEST(redis_bus, the_shared_history_is_bounded_by_bytes_too)
{
    redis_server redis;
    replica a{redis, "a", 64, {}, 20000};
    ASSERT_TRUE(a.wait_connected(true));
    auto c = a.join("room");
    const std::string pad(1000, 'x');  // each event is about 1.1 KB: 18 fit in 20 000 bytes
    for (int i = 0; i < 40; ++i) a.bus->publish({"room", "tick", {{"n", i}, {"pad", pad}}, {}});
    ASSERT_EQ(c->wait_for(40).size(), 40u);
    // What the history holds: its messages' bytes (each wraps its frame for the bus) and count.
    const auto sum_script =
        "local b = 0 for _, m in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do b = b + #m end "
        "return b";
    const auto held = std::stoul(redis.command({"EVAL", sum_script, "1", "t:room:room:history"}));
    const auto kept = std::stoul(redis.command({"LLEN", "t:room:room:history"}));
    ASSERT_GT(kept, 1u);
    EXPECT_LT(kept, 40u);
    EXPECT_LE(held, 20000u);
    EXPECT_GT(held + held / kept, 20000u) << "one more message of the same size would not fit: no more dropped";
    EXPECT_EQ(redis.command({"GET", "t:room:room:history_bytes"}), std::to_string(held));

    // A byte count lost beside its history (a restore of an older backup) is counted again.
    ASSERT_EQ(redis.command({"DEL", "t:room:room:history_bytes"}), "1");
    a.bus->publish({"room", "tick", {{"n", 40}, {"pad", pad}}, {}});
    ASSERT_EQ(c->wait_for(41).size(), 41u);
    EXPECT_EQ(redis.command({"GET", "t:room:room:history_bytes"}),
              redis.command({"EVAL", sum_script, "1", "t:room:room:history"}));
    EXPECT_LE(std::stoul(redis.command({"GET", "t:room:room:history_bytes"})), 20000u);

    // One event bigger than the bound is still kept, alone.
    a.bus->publish({"room", "tick", {{"n", 41}, {"pad", std::string(30000, 'y')}}, {}});
    ASSERT_EQ(c->wait_for(42).size(), 42u);
    EXPECT_EQ(redis.command({"LLEN", "t:room:room:history"}), "1");
}

TEST(redis_bus, a_client_of_another_replica_recovers_from_the_shared_history)
{
    redis_server redis;
    replica a{redis, "a"};
    ASSERT_TRUE(a.wait_connected(true));
    auto ca = a.join("room");
    for (int i = 1; i <= 20; ++i) a.publish("room", i);
    ASSERT_EQ(ca->wait_for(20).size(), 20u);
    // A replica that started after those events (its hub knows nothing of the room).
    replica c{redis, "c"};
    ASSERT_TRUE(c.wait_connected(true));
    auto late = c.join("room", 12);
    auto got = late->frames();
    ASSERT_EQ(got.size(), 8u);
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], ca->frames()[12 + i]);
    a.publish("room", 21);
    ASSERT_EQ(late->wait_for(9).size(), 9u);
    EXPECT_EQ(seq_of(late->frames()[8]), 21u);
    EXPECT_EQ(late->wait_for(10, 300ms).size(), 9u) << "live events come once";
}

TEST(redis_bus, leases_exclude_each_other_until_they_expire)
{
    redis_server redis;
    replica a{redis, "a"}, b{redis, "b"};
    ASSERT_TRUE(a.wait_connected(true));
    ASSERT_TRUE(b.wait_connected(true));
    EXPECT_EQ(a.bus->try_lease("advance:r:1", 300), redis_bus::lease::acquired);
    EXPECT_EQ(b.bus->try_lease("advance:r:1", 300), redis_bus::lease::taken);
    EXPECT_EQ(b.bus->try_lease("advance:r:2", 300), redis_bus::lease::acquired) << "another track end";
    std::this_thread::sleep_for(400ms);
    EXPECT_EQ(b.bus->try_lease("advance:r:1", 300), redis_bus::lease::acquired) << "expired";
}

// A room's turn is one replica's at a time, and ends only once the events published before
// its release are in Redis: whoever takes it next finds them in the history.
TEST(redis_bus, a_rooms_turn_passes_on_only_after_the_events_told_in_it)
{
    redis_server redis;
    replica a{redis, "a"}, b{redis, "b"};
    ASSERT_TRUE(a.wait_connected(true));
    ASSERT_TRUE(b.wait_connected(true));
    for (int round = 1; round <= 20; ++round) {
        auto token = a.bus->take_turn("room", 3000, 3000);
        ASSERT_FALSE(token.empty());
        EXPECT_EQ(b.bus->take_turn("room", 3000, 30), "") << "held by A: B gives up after its wait";
        a.publish("room", round);
        a.bus->give_turn("room", token);
        auto next = b.bus->take_turn("room", 3000, 3000);
        ASSERT_FALSE(next.empty()) << "round " << round;
        EXPECT_EQ(redis.command({"LLEN", "t:room:room:history"}), std::to_string(round))
            << "the event told in A's turn is in Redis before B has the turn";
        b.bus->give_turn("room", next);
    }
    auto other = a.bus->take_turn("other", 3000, 0);
    ASSERT_FALSE(other.empty()) << "another room's turn is free";
    b.bus->give_turn("other", "not-the-holder");
    EXPECT_EQ(b.bus->take_turn("other", 3000, 100), "") << "someone else's token ends nothing";
    // A turn whose holder never gives it back (a replica that died) expires.
    ASSERT_FALSE(a.bus->take_turn("lost", 200, 0).empty());
    EXPECT_FALSE(b.bus->take_turn("lost", 200, 2000).empty());
    redis.stop();
    ASSERT_TRUE(a.wait_connected(false));
    auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(a.bus->take_turn("room", 3000, 3000), "") << "no Redis: the change goes ahead at once";
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

// A Redis that stops answering (its connections still open) must not stall every room change
// for a timeout each, one after the other: one caller waits the timeout out, the others wait
// with it for the bus to hear from Redis again or to find it gone, then go ahead.
TEST(redis_bus, a_silent_redis_costs_the_turns_one_timeout_not_one_each)
{
    redis_server redis;
    replica a{redis, "a"};
    ASSERT_TRUE(a.wait_connected(true));
    ASSERT_FALSE(a.bus->take_turn("warm", 3000, 0).empty());  // the query connection is open
    redis.freeze(true);
    constexpr int k_callers = 16;  // in a row, 16 timeouts of 500 ms would be 8 s
    std::vector<std::thread> callers;
    std::vector<std::chrono::steady_clock::duration> took(k_callers);
    std::vector<std::string> tokens(k_callers);
    for (int i = 0; i < k_callers; ++i)
        callers.emplace_back([&, i] {
            auto start = std::chrono::steady_clock::now();
            tokens[std::size_t(i)] = a.bus->take_turn("room" + std::to_string(i), 3000, 3000);
            took[std::size_t(i)] = std::chrono::steady_clock::now() - start;
        });
    for (auto& t : callers) t.join();
    redis.freeze(false);
    for (int i = 0; i < k_callers; ++i) {
        EXPECT_EQ(tokens[std::size_t(i)], "") << "caller " << i;
        EXPECT_LT(took[std::size_t(i)], 4s) << "caller " << i << ": its 3 s wait and at most one timeout";
    }
}

// A try whose answer was lost to a stall may still take the turn once Redis runs it: the taker
// tries again with the same token and finds the turn its own, instead of going ahead without it
// (while the bus, still connected, publishes in Redis's order) or leaving it stuck until expiry.
TEST(redis_bus, a_turn_taken_by_a_try_that_timed_out_is_still_the_takers)
{
    redis_server redis;
    replica a{redis, "a"}, b{redis, "b"};
    ASSERT_TRUE(a.wait_connected(true));
    ASSERT_TRUE(b.wait_connected(true));
    ASSERT_FALSE(a.bus->take_turn("warm", 3000, 0).empty());  // the query connection is open
    auto seen = a.join("room");
    a.publish("room", 1);  // the bus has just heard from Redis: it will not time out its PING first
    ASSERT_EQ(seen->wait_for(1).size(), 1u);
    redis.freeze(true);
    std::thread thaw([&] {
        std::this_thread::sleep_for(800ms);  // past the 500 ms timeout, short of the bus's PING deadline
        redis.freeze(false);
    });
    auto token = a.bus->take_turn("room", 3000, 3000);
    thaw.join();
    ASSERT_FALSE(token.empty()) << "the turn is had once Redis answers again";
    EXPECT_TRUE(a.bus->connected());
    EXPECT_EQ(redis.command({"GET", "t:room:room:turn"}), token);
    EXPECT_EQ(b.bus->take_turn("room", 3000, 50), "") << "and held";
    a.bus->give_turn("room", token);
    EXPECT_FALSE(b.bus->take_turn("room", 3000, 3000).empty());
}

// After Redis restarted, the first turn goes through the bus's new connection to it, not a
// query connection left from before (which used to fail and let the change go ahead unordered).
TEST(redis_bus, the_first_turn_after_a_redis_restart_is_had)
{
    redis_server redis;
    replica a{redis, "a"};
    ASSERT_TRUE(a.wait_connected(true));
    ASSERT_FALSE(a.bus->take_turn("warm", 3000, 0).empty());  // the query connection is open
    redis.stop();
    ASSERT_TRUE(a.wait_connected(false));
    redis.start();
    ASSERT_TRUE(a.wait_connected(true));
    EXPECT_FALSE(a.bus->take_turn("room", 3000, 0).empty());
}

TEST(redis_bus, while_redis_is_down_local_delivery_goes_on_and_events_are_forwarded_after)
{
    redis_server redis;
    replica a{redis, "a"}, b{redis, "b"};
    ASSERT_TRUE(a.wait_connected(true));
    ASSERT_TRUE(b.wait_connected(true));
    auto ca = a.join("room"), cb = b.join("room");
    for (int i = 1; i <= 5; ++i) a.publish("room", i);
    ASSERT_EQ(cb->wait_for(5).size(), 5u);

    redis.stop();
    ASSERT_TRUE(a.wait_connected(false));
    ASSERT_TRUE(b.wait_connected(false));
    EXPECT_EQ(a.bus->status().state, "disconnected");
    for (int i = 6; i <= 8; ++i) a.publish("room", i);
    auto local = ca->wait_for(8);
    ASSERT_EQ(local.size(), 8u) << "local sockets keep getting events";
    EXPECT_EQ(seq_of(local[7]), 8u) << "numbered provisionally after the last seq";
    EXPECT_EQ(cb->frames().size(), 5u);
    EXPECT_EQ(a.bus->status().outbox, 3u);

    redis.start();  // an empty Redis: every key was lost
    ASSERT_TRUE(a.wait_connected(true));
    ASSERT_TRUE(b.wait_connected(true));
    auto forwarded = cb->wait_for(8);
    ASSERT_EQ(forwarded.size(), 8u) << "what A's clients saw during the outage reaches B";
    for (int i = 5; i < 8; ++i) {
        EXPECT_EQ(n_of(forwarded[i]), i + 1);
        EXPECT_GT(seq_of(forwarded[i]), 8u) << "numbered above every seq already handed out";
        EXPECT_GT(seq_of(forwarded[i]), seq_of(forwarded[i - 1]));
    }
    EXPECT_EQ(ca->wait_for(9, 300ms).size(), 8u) << "A's clients do not get them twice";
    EXPECT_EQ(a.bus->status().outbox, 0u);
    // Live delivery resumes with numbering above all of it, on both.
    b.publish("room", 9);
    auto fa = ca->wait_for(9), fb = cb->wait_for(9);
    ASSERT_EQ(fa.size(), 9u);
    ASSERT_EQ(fb.size(), 9u);
    EXPECT_EQ(fa[8], fb[8]);
    EXPECT_GT(seq_of(fa[8]), seq_of(fb[7]));
    EXPECT_GE(a.bus->status().reconnects, 1u);
}

TEST(redis_bus, a_wrong_password_is_reported_without_the_password)
{
    redis_server redis{{.password = "right-password"}};
    replica good{redis, "good"};
    EXPECT_TRUE(good.wait_connected(true));
    replica bad{redis, "bad", 64, "wrong-password-xyz"};
    EXPECT_FALSE(bad.wait_connected(true, 1500ms));
    auto s = bad.bus->status();
    EXPECT_FALSE(s.connected);
    EXPECT_NE(s.last_error.find("authentication failed"), std::string::npos) << s.last_error;
    EXPECT_EQ(s.last_error.find("wrong-password"), std::string::npos);
    // Local delivery still works for the replica that cannot reach Redis.
    auto c = bad.join("room");
    bad.publish("room", 1);
    EXPECT_EQ(c->wait_for(1).size(), 1u);
}

}  // namespace
}  // namespace spotik::test
