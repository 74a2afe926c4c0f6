// Three replicas on one Redis and one database behind nginx (issue 5, item 6): the two-user
// session reaches sockets on every replica with the same seqs and bytes, votes cast at once
// through different replicas are all counted and all broadcast, auto-advance fires exactly
// once per track end, and a client reconnecting to another replica recovers by last_seq.
#include "cluster_helpers.hpp"

#include "util/time_format.hpp"

#include <thread>

namespace spotik::test::cluster_tests {
namespace {

TEST(cluster, two_user_session_reaches_sockets_on_every_replica)
{
    cluster c{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto http = c.via_nginx();
    auto a_user = register_user(http, "alice");
    auto b_user = register_user(http, "bob");
    auto room = create_room(http, a_user.token, unique_name("session"));
    const std::string base = "/api/rooms/" + room;
    auto admin_post = [&](const std::string& what) {
        auto r = http.post_json(base + "/playback/" + what, json::object{}, a_user.token);
        EXPECT_EQ(r.status, 200) << what << ": " << r.body;
    };
    socket_log la, lb1, lb2;
    auto a1 = c.socket(0, a_user.token);
    join(a1, room);
    ASSERT_EQ(http.post_json(base + "/join", json::object{}, b_user.token).status, 200);
    auto b1 = c.socket(1, b_user.token);
    auto b2 = c.socket(2, b_user.token);
    join(b1, room);
    join(b2, room);

    // Every request below goes through nginx, so the writes land on all three replicas.
    auto t1 = upload(http, room, b_user.token, "tone-7s-vbr.mp3");
    auto t2 = upload(http, room, b_user.token, "tone-3s-cbr.mp3");
    ASSERT_EQ(http.post_json(base + "/tracks/" + t2 + "/vote", json::object{}, b_user.token).status, 200);
    std::this_thread::sleep_for(300ms);
    admin_post("pause");
    admin_post("resume");
    admin_post("skip");
    admin_post("stop");
    // Events reach replica 1 over Redis; b1 leaves only once the last of them (the
    // room_state_updated after playback_stopped) has arrived, or it would rightly miss it.
    read_until(b1, lb1, "playback_stopped");
    read_until(b1, lb1, "room_state_updated");
    b1.send_json({{"type", "leave_room"}});
    read_until(b1, lb1, "room_left");
    ASSERT_EQ(http.post_json(base + "/leave", json::object{}, b_user.token).status, 200);
    // Having left over HTTP, B gets none of the room's later events on any replica: A's vote
    // would reach b2 only (A is the voter).
    ASSERT_EQ(http.post_json(base + "/tracks/" + t2 + "/vote", json::object{}, a_user.token).status, 200);
    drain_into(a1, la);
    drain_into(b1, lb1);
    drain_into(b2, lb2);

    const types playback_part{"playback_paused", "room_state_updated", "playback_resumed",   "room_state_updated",
                              "track_skipped",   "playback_started",   "room_state_updated", "playback_stopped",
                              "track_skipped",   "room_state_updated"};
    types expect_a{"user_joined",        "track_added", "playback_started",
                   "room_state_updated", "track_added", "track_voted"};
    expect_a.insert(expect_a.end(), playback_part.begin(), playback_part.end());
    expect_a.push_back("user_left");
    types expect_b{"track_added", "playback_started", "room_state_updated", "track_added"};  // B voted
    expect_b.insert(expect_b.end(), playback_part.begin(), playback_part.end());
    types expect_b1 = expect_b, expect_b2 = expect_b;
    expect_b1.push_back("room_left");
    expect_b2.push_back("user_left");
    EXPECT_EQ(types_of(la), expect_a) << "replica 0";
    EXPECT_EQ(types_of(lb1), expect_b1) << "replica 1";
    EXPECT_EQ(types_of(lb2), expect_b2) << "replica 2";
    check_consistent({{"a1@0", &la}, {"b1@1", &lb1}, {"b2@2", &lb2}});
    // A saw every room event of the session: consecutive seqs.
    std::vector<std::uint64_t> seqs;
    for (const auto& m : la)
        if (is_room_event(m)) seqs.push_back(seq_of(m));
    ASSERT_FALSE(seqs.empty());
    expect_contiguous(seqs, seqs.front() - 1, seqs.back(), "a1");
    EXPECT_EQ(of_type(la, "track_voted").at(0).at("data").at("voter").at("id"), b_user.id.c_str());
    EXPECT_EQ(of_type(lb2, "track_skipped").at(0).at("data").at("next_track").at("id"), t2.c_str());
    EXPECT_EQ(of_type(la, "playback_started").at(0).at("data").at("track").at("id"), t1.c_str());
    // Each replica handled part of the traffic: all three served HTTP requests.
    for (std::size_t i = 0; i < c.size(); ++i) EXPECT_GT(c.count_in_output(i, "\"request\""), 0u) << "replica " << i;
}

TEST(cluster, votes_cast_at_once_through_different_replicas_are_all_counted)
{
    cluster c{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto http = c.via_nginx();
    auto room = make_voting_room(c, http, 9, "votes");
    const auto& voters = room.voters;
    auto& observers = room.observers;
    std::vector<int> status(voters.size());
    std::vector<std::thread> threads;
    for (std::size_t v = 0; v < voters.size(); ++v)
        threads.emplace_back([&, v] {
            auto direct = c.client(v % c.size());
            status[v] = direct.post_json(room.vote_path, json::object{}, voters[v].token).status;
        });
    for (auto& t : threads) t.join();
    for (std::size_t v = 0; v < voters.size(); ++v) EXPECT_EQ(status[v], 200) << "voter " << v;
    std::map<std::string, socket_log> logs;
    std::map<std::string, const socket_log*> views;
    for (std::size_t i = 0; i < c.size(); ++i) {
        auto& log = logs["observer@" + std::to_string(i)];
        drain_into(observers[i], log);
        views["observer@" + std::to_string(i)] = &log;
        auto votes = of_type(log, "track_voted");
        ASSERT_EQ(votes.size(), voters.size()) << "replica " << i;
        std::set<std::string> who;
        for (const auto& m : votes) who.insert(std::string(m.at("data").at("voter").at("id").as_string()));
        EXPECT_EQ(who.size(), voters.size()) << "one event per voter on replica " << i;
        auto listed = c.client(i).get_auth("/api/rooms/" + room.id + "/tracks", room.admin.token);
        EXPECT_EQ(listed.json().at("tracks").at(0).at("vote_score"), int(voters.size())) << "read on replica " << i;
    }
    check_consistent(views);
}

// Each replica orders its own changes; a room's shared turn on Redis orders them across
// replicas, so a vote counted on one replica is told before a vote counted after it on another.
// Without it, a listener could get the scores out of order and keep a stale one.
TEST(cluster, votes_through_different_replicas_are_told_in_the_order_they_were_counted)
{
    constexpr int k_voters = 9;
    cluster c{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto http = c.via_nginx();
    auto room = make_voting_room(c, http, k_voters, "order");
    const std::string& path = room.vote_path;
    const auto& voters = room.voters;
    auto& observers = room.observers;
    std::vector<socket_log> logs(c.size());
    for (int round = 0; round < 6; ++round) {
        const bool add = round % 2 == 0;
        std::vector<std::thread> threads;
        for (std::size_t v = 0; v < voters.size(); ++v)
            threads.emplace_back([&, v] {
                auto direct = c.client(v % c.size());
                auto r =
                    add ? direct.post_json(path, json::object{}, voters[v].token) : direct.del(path, voters[v].token);
                EXPECT_EQ(r.status, 200) << "voter " << v << ": " << r.body;
            });
        for (auto& t : threads) t.join();
        for (std::size_t i = 0; i < c.size(); ++i)
            for (int k = 0; k < k_voters; ++k) {
                auto vote = read_until(observers[i], logs[i], "track_voted");
                EXPECT_EQ(vote.at("data").at("new_vote_score"), add ? k + 1 : k_voters - 1 - k)
                    << "round " << round << ", vote " << k << " on replica " << i;
            }
    }
    std::map<std::string, const socket_log*> views;
    for (std::size_t i = 0; i < c.size(); ++i) views["observer@" + std::to_string(i)] = &logs[i];
    check_consistent(views);
}

TEST(cluster, auto_advance_fires_exactly_once_per_track_end)
{
    cluster c{{.env = {{"AUTO_ADVANCE", "true"}, {"AUTO_ADVANCE_GRACE_MS", "0"}}}};
    auto http = c.via_nginx();
    auto admin = register_user(http, "admin");
    auto room = create_room(http, admin.token, unique_name("advance"));
    std::vector<ws_client> observers;
    for (std::size_t i = 0; i < c.size(); ++i) {
        observers.push_back(c.socket(i, admin.token));
        join(observers.back(), room);
    }
    auto t1 = upload(http, room, admin.token, "tone-3s-cbr.mp3");
    auto t2 = upload(http, room, admin.token, "tone-3s-bare.mp3");
    // Played tracks stay in the queue (CONTRACT §3), so the two alternate: t1 -> t2 -> t1. After
    // the second track end the administrator stops playback.
    std::vector<socket_log> logs(c.size());
    read_until(observers[0], logs[0], "track_skipped");
    read_until(observers[0], logs[0], "track_skipped");
    ASSERT_EQ(http.post_json("/api/rooms/" + room + "/playback/stop", json::object{}, admin.token).status, 200);
    for (std::size_t i = 0; i < c.size(); ++i) read_until(observers[i], logs[i], "playback_stopped");
    for (std::size_t i = 0; i < c.size(); ++i) drain_into(observers[i], logs[i], 2s);  // nothing more may come
    for (std::size_t i = 0; i < c.size(); ++i) {
        std::vector<json::object> ended;
        for (const auto& m : of_type(logs[i], "track_skipped"))
            if (m.at("data").at("reason") == "ended") ended.push_back(m);
        ASSERT_EQ(ended.size(), 2u) << "replica " << i << ": " << testing::PrintToString(types_of(logs[i]));
        EXPECT_EQ(ended[0].at("data").at("skipped_track").at("id"), t1.c_str());
        EXPECT_EQ(ended[0].at("data").at("next_track").at("id"), t2.c_str());
        EXPECT_EQ(ended[1].at("data").at("skipped_track").at("id"), t2.c_str());
        EXPECT_EQ(ended[1].at("data").at("next_track").at("id"), t1.c_str());
        // Started by the upload, then by each advance; stopped by the administrator.
        EXPECT_EQ(of_type(logs[i], "playback_started").size(), 3u) << "replica " << i;
        EXPECT_EQ(of_type(logs[i], "playback_stopped").size(), 1u) << "replica " << i;
        auto played_ms = *util::parse_iso8601_ms(std::string(ended[1].at("data").at("server_time").as_string())) -
                         *util::parse_iso8601_ms(std::string(ended[0].at("data").at("server_time").as_string()));
        EXPECT_GE(played_ms, 2900) << "advanced at the end of the 3 s track, not before";
    }
    check_consistent({{"0", &logs[0]}, {"1", &logs[1]}, {"2", &logs[2]}});
    std::size_t advances = 0;
    for (std::size_t i = 0; i < c.size(); ++i) advances += c.count_in_output(i, "\"auto-advance\"");
    EXPECT_EQ(advances, 2u) << "one replica advanced each track end";
}

TEST(cluster, a_client_reconnecting_to_another_replica_recovers_by_last_seq)
{
    cluster c{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto http = c.via_nginx();
    auto admin = register_user(http, "admin");
    auto voter = register_user(http, "voter");
    auto room = create_room(http, admin.token, unique_name("replay"));
    ASSERT_EQ(http.post_json("/api/rooms/" + room + "/join", json::object{}, voter.token).status, 200);
    auto track = upload(http, room, admin.token, "tone-3s-cbr.mp3");
    const std::string vote = "/api/rooms/" + room + "/tracks/" + track + "/vote";
    auto toggle = [&, on = false]() mutable {
        auto r = on ? http.del(vote, voter.token) : http.post_json(vote, json::object{}, voter.token);
        ASSERT_EQ(r.status, 200) << r.body;
        on = !on;
    };
    auto observer = c.socket(1, admin.token);
    join(observer, room);
    std::uint64_t last_seen = 0;
    {
        auto first = c.socket(0, admin.token);
        join(first, room);
        toggle();
        last_seen = seq_of(first.expect("track_voted", k_wait));
        first.close();
    }
    for (int i = 0; i < 5; ++i) toggle();
    auto again = c.socket(2, admin.token);
    auto joined = join(again, room, last_seen);
    EXPECT_EQ(joined.at("data").at("last_seq").to_number<std::uint64_t>(), last_seen + 5);
    socket_log replayed, watched;
    drain_into(again, replayed);
    drain_into(observer, watched);
    ASSERT_EQ(types_of(replayed), types(5, "track_voted"));
    std::vector<std::uint64_t> seqs;
    for (const auto& m : replayed) seqs.push_back(seq_of(m));
    expect_contiguous(seqs, last_seen, last_seen + 5, "replayed on replica 2");
    check_consistent({{"replayed@2", &replayed}, {"observer@1", &watched}});
    toggle();
    socket_log live;
    drain_into(again, live);
    ASSERT_EQ(types_of(live), types{"track_voted"});
    EXPECT_EQ(seq_of(live[0]), last_seen + 6);
}

TEST(cluster, a_token_revoked_on_one_replica_is_refused_by_all)
{
    cluster c{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto first = c.client(0);
    auto user = register_user(first, "leaver");
    for (std::size_t i = 0; i < c.size(); ++i) ASSERT_EQ(c.client(i).get_auth("/api/auth/me", user.token).status, 200);
    ASSERT_EQ(first.post_json("/api/auth/logout", json::object{}, user.token).status, 200);
    for (std::size_t i = 0; i < c.size(); ++i)
        EXPECT_EQ(c.client(i).get_auth("/api/auth/me", user.token).status, 401) << "replica " << i;
    auto refused = ws_client::try_connect("127.0.0.1", c.replica(2).port(), ws_client::target_for(user.token));
    EXPECT_FALSE(refused.upgraded);
    EXPECT_EQ(refused.status, 401);
}

}  // namespace
}  // namespace spotik::test::cluster_tests
