// Unit tests for hub::deliver and hub::prepare_join, the hub side of the Redis bus: numbered
// events reach each client once and in order even when two callers overlap, older events fill
// history holes for replay, exclusions and room deletion apply, and the history source is
// asked to catch up exactly when the local history cannot answer a join.
#include "realtime/hub.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace spotik::realtime {
namespace {

class capture final : public hub_client {
public:
    explicit capture(std::string user = "viewer") : user_(std::move(user)) {}
    void deliver(const frame& f) override
    {
        // The frames below end with "seq":N}; the envelope is checked elsewhere.
        auto at = f->rfind(':');
        std::lock_guard lock(mutex_);
        seqs_.push_back(std::stoull(f->substr(at + 1)));
    }
    std::string_view user_id() const override { return user_; }
    std::vector<std::uint64_t> seqs()
    {
        std::lock_guard lock(mutex_);
        return seqs_;
    }

private:
    std::mutex mutex_;
    std::string user_;
    std::vector<std::uint64_t> seqs_;
};

sequenced_event ev(std::uint64_t seq, std::string type = "x", std::vector<std::string> exclude = {})
{
    auto f = std::make_shared<const std::string>(R"({"type":")" + type + R"(","data":{"seq":)" + std::to_string(seq) +
                                                 R"(},"timestamp":1,"seq":)" + std::to_string(seq) + "}");
    return {"room", seq, std::move(type), f, std::move(exclude)};
}

TEST(hub_deliver, new_events_reach_clients_once_and_older_ones_fill_the_history)
{
    hub h{8};
    auto c = std::make_shared<capture>();
    h.join("room", c, {}, std::nullopt);
    EXPECT_TRUE(h.deliver(ev(5)));
    EXPECT_FALSE(h.deliver(ev(5))) << "a duplicate";
    EXPECT_TRUE(h.deliver(ev(7)));
    EXPECT_FALSE(h.deliver(ev(6))) << "older than the newest: history only";
    EXPECT_EQ(c->seqs(), (std::vector<std::uint64_t>{5, 7}));
    EXPECT_EQ(h.current_seq("room"), 7u);
    auto late = std::make_shared<capture>();
    auto r = h.join("room", late, {}, 4);
    EXPECT_TRUE(r.recovered);
    EXPECT_EQ(late->seqs(), (std::vector<std::uint64_t>{5, 6, 7})) << "replayed in seq order";
}

TEST(hub_deliver, exclusions_to_clients_false_and_room_deletion)
{
    hub h;
    auto voter = std::make_shared<capture>("voter"), other = std::make_shared<capture>("other");
    h.join("room", voter, {}, std::nullopt);
    h.join("room", other, {}, std::nullopt);
    h.deliver(ev(1, "track_voted", {"voter"}));
    h.deliver(ev(2), false);
    EXPECT_EQ(voter->seqs(), std::vector<std::uint64_t>{});
    EXPECT_EQ(other->seqs(), std::vector<std::uint64_t>{1});
    EXPECT_EQ(h.current_seq("room"), 2u);
    h.deliver(ev(3, "room_deleted"));
    EXPECT_EQ(other->seqs(), (std::vector<std::uint64_t>{1, 3}));
    h.deliver(ev(4));
    EXPECT_EQ(other->seqs(), (std::vector<std::uint64_t>{1, 3})) << "no socket stays in a deleted room";
    EXPECT_EQ(h.stats().rooms, 0u);
}

TEST(hub_deliver, overlapping_callers_deliver_each_seq_once_in_order)
{
    for (int round = 0; round < 20; ++round) {
        hub h{512};
        auto c = std::make_shared<capture>();
        h.join("room", c, {}, std::nullopt);
        // The bus thread (1..300) and a catch-up (1..200) racing.
        std::thread a([&] {
            for (std::uint64_t s = 1; s <= 300; ++s) h.deliver(ev(s));
        });
        std::thread b([&] {
            for (std::uint64_t s = 1; s <= 200; ++s) h.deliver(ev(s));
        });
        a.join();
        b.join();
        auto seqs = c->seqs();
        ASSERT_EQ(seqs.size(), 300u);
        for (std::size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1);
    }
}

class counting_source final : public history_source {
public:
    explicit counting_source(hub& h) : hub_(h) {}
    void catch_up(const std::string&) override
    {
        ++calls;
        for (std::uint64_t s = 1; s <= 10; ++s) hub_.deliver(ev(s));
    }
    int calls = 0;

private:
    hub& hub_;
};

TEST(hub_deliver, prepare_join_catches_up_only_when_the_local_history_cannot_answer)
{
    hub h{4};
    counting_source source{h};
    h.prepare_join("room", std::nullopt);
    EXPECT_EQ(source.calls, 0) << "no source set yet";
    h.set_history_source(&source);
    h.prepare_join("room", std::nullopt);
    EXPECT_EQ(source.calls, 1) << "an unknown room";
    EXPECT_EQ(h.current_seq("room"), 10u);
    h.prepare_join("room", std::nullopt);
    h.prepare_join("room", 10);
    h.prepare_join("room", 6);
    EXPECT_EQ(source.calls, 1) << "fresh joins, nothing missed, and a gap the history covers";
    h.prepare_join("room", 50);
    EXPECT_EQ(source.calls, 2) << "the future: this replica may lag behind the bus";
    h.prepare_join("room", 2);
    EXPECT_EQ(source.calls, 3) << "older than the local history (7..10)";
}

}  // namespace
}  // namespace spotik::realtime
