// Events leave in the order their changes were committed (issue 4): concurrent votes on one
// track reach a listener with the scores counting up one by one, and after racing playback
// commands the last room_state_updated shows the room as it is stored. Before, a change that
// committed first could be told second, and a client applying the events in order was left
// with a stale score or track.
#include "integration/ws_flow_support.hpp"

#include <thread>

namespace spotik::test {
namespace {

class ws_order : public room_fixture {
protected:
    // Every message of `type` on `c` until `count` of them have arrived.
    static std::vector<json::object> collect(ws_client& c, const std::string& type, std::size_t count)
    {
        std::vector<json::object> found;
        while (found.size() < count) {
            auto m = c.next(k_wait);
            if (!m) throw std::runtime_error("only " + std::to_string(found.size()) + " " + type);
            if (type_of(*m) == type) found.push_back(std::move(*m));
        }
        return found;
    }

    // Runs `fn(i)` for i in [0, n) on n threads started together.
    template <class Fn>
    static void all_at_once(int n, Fn fn)
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i) threads.emplace_back(fn, i);
        for (auto& t : threads) t.join();
    }
};

TEST_F(ws_order, concurrent_votes_are_told_in_the_order_they_were_counted)
{
    constexpr int k_voters = 12;
    std::vector<registered_user> voters;
    for (int i = 0; i < k_voters; ++i) {
        voters.push_back(register_user(client_, "voter"));
        ASSERT_EQ(client_.post_json("/api/rooms/" + room_id_ + "/join", json::object{}, voters.back().token).status,
                  200);
    }
    auto listener = open_ws(server_, admin_.token);
    join(listener, room_id_);
    for (int round = 0; round < 4; ++round) {
        auto track = upload_id(member_.token, "tone-3s-bare.mp3");
        const std::string path = "/api/rooms/" + room_id_ + "/tracks/" + track + "/vote";
        all_at_once(k_voters, [&](int i) {
            EXPECT_EQ(server_.client().post_json(path, json::object{}, voters[std::size_t(i)].token).status, 200);
        });
        auto added = collect(listener, "track_voted", k_voters);
        all_at_once(k_voters,
                    [&](int i) { EXPECT_EQ(server_.client().del(path, voters[std::size_t(i)].token).status, 200); });
        auto removed = collect(listener, "track_voted", k_voters);
        for (int i = 0; i < k_voters; ++i) {
            EXPECT_EQ(added[std::size_t(i)].at("data").at("track").at("vote_score"), i + 1) << "round " << round;
            EXPECT_EQ(removed[std::size_t(i)].at("data").at("track").at("vote_score"), k_voters - 1 - i)
                << "round " << round;
        }
    }
}

TEST_F(ws_order, after_racing_playback_commands_the_last_room_state_is_the_stored_one)
{
    for (const char* f : {"tone-3s-bare.mp3", "tone-5s.wav", "tone-7s-vbr.mp3"}) upload_id(member_.token, f);
    auto listener = open_ws(server_, member_.token);
    join(listener, room_id_);
    const std::string base = "/api/rooms/" + room_id_;
    const char* commands[] = {"/playback/skip", "/playback/pause", "/playback/resume", "/playback/skip"};
    for (int round = 0; round < 6; ++round) {
        all_at_once(4, [&](int i) { server_.client().post_json(base + commands[i], json::object{}, admin_.token); });
        // Quiet once every event is out; the last room_state_updated must match the store.
        auto events = listener.drain(k_quiet);
        std::optional<json::object> last;
        for (auto& m : events)
            if (type_of(m) == "room_state_updated") last = m;
        ASSERT_TRUE(last) << "round " << round;
        auto stored = room_state();
        const auto& told = last->at("data").at("room");
        EXPECT_EQ(told.at("current_track").is_null() ? json::value() : told.at("current_track").at("id"),
                  stored.at("current_track").is_null() ? json::value() : stored.at("current_track").at("id"))
            << "round " << round;
        EXPECT_EQ(told.at("is_playing"), stored.at("is_playing")) << "round " << round;
        EXPECT_EQ(told.at("playback_started_at"), stored.at("playback_started_at")) << "round " << round;
        EXPECT_EQ(told.at("playback_paused_at"), stored.at("playback_paused_at")) << "round " << round;
    }
}

}  // namespace
}  // namespace spotik::test
