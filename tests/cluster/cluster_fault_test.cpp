// Fault tests for three replicas behind nginx (issue 5, item 6): a replica killed with SIGKILL
// (its clients reconnect through nginx to the others and, by seq, lose no event; its rooms keep
// advancing), and Redis restarted with the loss of every key (replicas report degraded, local
// delivery goes on, what was acknowledged meanwhile reaches every replica afterwards, and
// cross-replica delivery resumes).
#include "cluster_helpers.hpp"

#include <thread>

namespace spotik::test::cluster_tests {
namespace {

struct tracked_socket {
    std::string name;
    std::string token;
    std::unique_ptr<ws_client> ws;
    socket_log log;
    std::uint64_t joined_at = 0;  // the room's seq when it first joined
    int reconnects = 0;
};

TEST(cluster_faults, killing_a_replica_loses_no_event_and_leaves_no_room_stuck)
{
    cluster c{{.env = {{"AUTO_ADVANCE", "true"}, {"AUTO_ADVANCE_GRACE_MS", "0"}}}};
    auto http = c.via_nginx();
    auto admin = register_user(http, "admin");
    auto room = create_room(http, admin.token, unique_name("kill"));
    std::vector<registered_user> voters;
    for (int i = 0; i < 4; ++i) {
        voters.push_back(register_user(http, "voter"));
        ASSERT_EQ(http.post_json("/api/rooms/" + room + "/join", json::object{}, voters.back().token).status, 200);
    }
    // Six sockets through nginx: round robin puts two on each replica.
    std::vector<tracked_socket> sockets(6);
    for (std::size_t i = 0; i < sockets.size(); ++i) {
        auto& s = sockets[i];
        s.name = "socket" + std::to_string(i);
        s.token = admin.token;
        s.ws = std::make_unique<ws_client>(c.socket_via_nginx(admin.token));
        s.joined_at = join(*s.ws, room).at("data").at("last_seq").to_number<std::uint64_t>();
    }
    for (std::size_t i = 0; i < c.size(); ++i) {
        auto status = c.client(i).get("/api/websocket/status").json();
        EXPECT_EQ(status.at("connection_stats").at("room_connections").at(room), 2) << "replica " << i;
    }
    auto t1 = upload(http, room, admin.token, "tone-3s-cbr.mp3");  // starts playing
    auto t2 = upload(http, room, admin.token, "tone-3s-bare.mp3");
    c.replica(1).kill9();

    // Votes while the dead replica's clients are away; nginx routes around it.
    const std::string vote = "/api/rooms/" + room + "/tracks/" + t2 + "/vote";
    for (auto& v : voters) ASSERT_EQ(http.post_json(vote, json::object{}, v.token).status, 200);
    int dropped = 0;
    for (auto& s : sockets) {
        for (;;) {
            auto m = s.ws->next(200ms);
            if (m) {
                s.log.push_back(*m);
                continue;
            }
            if (s.ws->is_open()) break;
            // Its replica died: reconnect through nginx with the last seq it saw.
            ++dropped;
            ++s.reconnects;
            std::uint64_t last = s.joined_at;
            for (const auto& e : s.log)
                if (is_room_event(e)) last = seq_of(e);
            s.ws = std::make_unique<ws_client>(c.socket_via_nginx(s.token));
            join(*s.ws, room, last);
        }
    }
    EXPECT_EQ(dropped, 2) << "the two sockets of the killed replica";
    // The room goes on by itself: t1 ends and t2 starts, then t2 ends and t1 starts again
    // (played tracks stay in the queue); then the administrator stops it.
    for (int ends = 0; ends < 2;) {
        auto m = sockets[0].ws->next(k_wait);
        ASSERT_TRUE(m) << "no auto-advance after the kill";
        sockets[0].log.push_back(*m);
        if (type_of(*m) == "track_skipped") ++ends;
    }
    ASSERT_EQ(http.post_json("/api/rooms/" + room + "/playback/stop", json::object{}, admin.token).status, 200);
    for (auto& s : sockets) read_until(*s.ws, s.log, "playback_stopped");
    for (auto& s : sockets) drain_into(*s.ws, s.log);

    std::map<std::string, const socket_log*> views;
    std::uint64_t final_seq = 0;
    for (auto& s : sockets) {
        views[s.name] = &s.log;
        for (const auto& m : s.log)
            if (is_room_event(m)) final_seq = std::max(final_seq, seq_of(m));
    }
    check_consistent(views);
    for (auto& s : sockets) {
        std::vector<std::uint64_t> seqs;
        for (const auto& m : s.log)
            if (is_room_event(m)) seqs.push_back(seq_of(m));
        expect_contiguous(seqs, s.joined_at, final_seq, s.name + (s.reconnects ? " (reconnected)" : ""));
        EXPECT_EQ(of_type(s.log, "track_voted").size(), voters.size()) << s.name;
        auto skipped = of_type(s.log, "track_skipped");
        ASSERT_EQ(skipped.size(), 3u) << s.name << ": two ends and the stop";
        EXPECT_EQ(skipped[0].at("data").at("reason"), "ended");
        EXPECT_EQ(skipped[0].at("data").at("next_track").at("id"), t2.c_str());
        EXPECT_EQ(skipped[1].at("data").at("reason"), "ended");
        EXPECT_EQ(skipped[1].at("data").at("next_track").at("id"), t1.c_str());
        EXPECT_EQ(skipped[2].at("data").at("reason"), "stopped");
    }
    std::size_t advances = 0;
    for (std::size_t i = 0; i < c.size(); ++i) advances += c.count_in_output(i, "\"auto-advance\"");
    EXPECT_EQ(advances, 2u);
}

// GET /health on replica i: (status code, body status, redis connection).
std::tuple<int, std::string, std::string> health(cluster& c, std::size_t i)
{
    auto r = c.client(i).get("/health");
    auto body = r.json().as_object();
    return {r.status, std::string(body.at("status").as_string()),
            std::string(body.at("redis").at("connection").as_string())};
}

TEST(cluster_faults, restarting_redis_loses_nothing_acknowledged)
{
    cluster c{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto http = c.via_nginx();
    auto room = make_voting_room(c, http, 7, "redis");
    const auto& voters = room.voters;
    auto& observers = room.observers;
    std::vector<socket_log> logs(c.size());
    const std::string& vote = room.vote_path;
    for (int v = 0; v < 2; ++v) ASSERT_EQ(http.post_json(vote, json::object{}, voters[v].token).status, 200);
    for (std::size_t i = 0; i < c.size(); ++i) drain_into(observers[i], logs[i]);
    for (std::size_t i = 0; i < c.size(); ++i) ASSERT_EQ(of_type(logs[i], "track_voted").size(), 2u) << i;

    c.redis().stop();
    for (std::size_t i = 0; i < c.size(); ++i) {
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::get<1>(health(c, i)) != "degraded" && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(50ms);
        auto [code, status, connection] = health(c, i);
        EXPECT_EQ(code, 200) << "degraded is still 200";
        EXPECT_EQ(status, "degraded") << "replica " << i;
        EXPECT_EQ(connection, "failed");
        EXPECT_EQ(c.client(i).get("/health/redis").status, 503);
    }
    // Acknowledged writes during the outage, all through replica 0.
    auto direct = c.client(0);
    for (int v = 2; v < 5; ++v) ASSERT_EQ(direct.post_json(vote, json::object{}, voters[v].token).status, 200);
    drain_into(observers[0], logs[0]);
    EXPECT_EQ(of_type(logs[0], "track_voted").size(), 5u) << "local delivery goes on";
    // A client coming back meanwhile is not replayed to: its last_seq may be another replica's
    // number for another event. It gets the whole room.
    {
        std::uint64_t last_seen = 0;
        for (const auto& m : logs[0])
            if (is_room_event(m)) last_seen = seq_of(m);
        auto late = c.socket(1, voters[0].token);
        join(late, room.id, last_seen);
        auto state = late.expect("room_state", k_wait);
        EXPECT_EQ(state.at("data").at("recovered"), false);
    }

    c.redis().start();  // empty: the restart lost every key
    c.wait_bus_connected(20s);
    for (int v = 5; v < 7; ++v) ASSERT_EQ(http.post_json(vote, json::object{}, voters[v].token).status, 200);
    for (std::size_t i = 0; i < c.size(); ++i) drain_into(observers[i], logs[i], 2s);
    std::map<std::string, const socket_log*> views;
    for (std::size_t i = 0; i < c.size(); ++i) {
        // Every socket is told the stored room once the bus is back, after what was forwarded.
        EXPECT_FALSE(of_type(logs[i], "room_state_updated").empty()) << "replica " << i;
        views["observer@" + std::to_string(i)] = &logs[i];
        auto votes = of_type(logs[i], "track_voted");
        std::set<std::string> who;
        for (const auto& m : votes) who.insert(std::string(m.at("data").at("voter").at("id").as_string()));
        EXPECT_EQ(votes.size(), voters.size()) << "replica " << i << " got every vote, outage included";
        EXPECT_EQ(who.size(), voters.size()) << "replica " << i;
        auto [code, status, connection] = health(c, i);
        EXPECT_EQ(status, "healthy") << "replica " << i;
        EXPECT_EQ(connection, "active");
        auto listed = c.client(i).get_auth("/api/rooms/" + room.id + "/tracks", room.admin.token);
        EXPECT_EQ(listed.json().at("tracks").at(0).at("vote_score"), int(voters.size()));
    }
    // Seqs still only go up on every socket; after the outage they agree across replicas again.
    for (std::size_t i = 0; i < c.size(); ++i) {
        std::uint64_t last = 0;
        for (const auto& m : logs[i])
            if (is_room_event(m)) {
                EXPECT_GT(seq_of(m), last) << "replica " << i;
                last = seq_of(m);
            }
    }
    auto after = [&](std::size_t i) {
        socket_log tail;
        for (const auto& m : logs[i])
            if (type_of(m) == "track_voted" && (m.at("data").at("voter").at("id") == voters[5].id.c_str() ||
                                                m.at("data").at("voter").at("id") == voters[6].id.c_str()))
                tail.push_back(m);
        return tail;
    };
    auto t0 = after(0), t1 = after(1), t2 = after(2);
    check_consistent({{"0", &t0}, {"1", &t1}, {"2", &t2}});
}

}  // namespace
}  // namespace spotik::test::cluster_tests
