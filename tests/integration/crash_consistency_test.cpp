// SIGKILL in the middle of uploads, votes and playback changes, then a restart on the same data
// (issue: hardening, item 5). After every restart: each acknowledged write is there (track rows,
// each voter's vote, the playback state of the last acknowledged command, or of the command in
// flight at the kill), no track row lacks its audio file, no audio file lacks its row, nothing
// partial is left in the storage folders, and the server serves as before. Runs on SQLite and,
// as pg.*, on PostgreSQL.
#include "support/crash_traffic.hpp"

#include <atomic>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

namespace spotik::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr int k_rounds = 5;
constexpr int k_uploaders = 3;
constexpr int k_voters = 4;

// Figures over all rounds, printed at the end.
struct tally {
    int uploads_acknowledged = 0, uploads_unacknowledged_committed = 0, uploads_in_flight = 0;
    int votes_acknowledged = 0, votes_in_flight = 0, votes_in_flight_applied = 0;
    int playback_acknowledged = 0, playback_in_flight_applied = 0;
    int unexpected_statuses = 0;
    std::size_t tracks_verified = 0, votes_verified = 0;
};

class crash_consistency : public ::testing::Test {
protected:
    // Tracks that ended long ago never advance by themselves during the test: the playback
    // state is only what the commands made it.
    server_process server_{{.env = {{"AUTO_ADVANCE_GRACE_MS", "60000"}}}};
    registered_user admin_;
    std::vector<registered_user> uploaders_, voters_;
    std::string playback_room_, upload_room_;

    std::mutex mutex_;  // guards everything below while the workers run
    std::vector<known_track> tracks_;
    std::vector<std::map<std::string, bool>> voted_;  // per voter: track id -> has voted
    std::vector<std::optional<std::pair<std::string, bool>>> vote_in_flight_;
    playback_expectation playback_;
    std::optional<playback_command> playback_in_flight_;
    int uploads_in_flight_ = 0;
    std::set<std::string> streamed_;
    tally tally_;

    void SetUp() override
    {
        auto c = server_.client();
        admin_ = register_user(c, "admin");
        playback_room_ = create_room(c, admin_.token, unique_name("playback"));
        upload_room_ = create_room(c, admin_.token, unique_name("uploads"));
        for (int i = 0; i < k_uploaders; ++i) uploaders_.push_back(register_user(c, "uploader"));
        for (int i = 0; i < k_voters; ++i) voters_.push_back(register_user(c, "voter"));
        for (const auto* group : {&uploaders_, &voters_})
            for (const auto& u : *group)
                for (const auto& room : {playback_room_, upload_room_})
                    ASSERT_EQ(c.post_json("/api/rooms/" + room + "/join", json::object{}, u.token).status, 200);
        // The playback room's queue; its first track starts playing.
        for (const char* fixture : {"tone-7s-vbr.mp3", "tone-5s.wav", "tone-4s.m4a"}) {
            auto r = upload_fixture(c, playback_room_, admin_.token, fixture);
            ASSERT_EQ(r.status, 201) << r.body;
            tracks_.push_back(track_from(r.json().at("track"), playback_room_));
        }
        const auto room = c.get_auth("/api/rooms/" + playback_room_, admin_.token).json().at("data");
        playback_ = expectation_from(room);
        ASSERT_TRUE(playback_.playing);
        voted_.resize(k_voters);
        vote_in_flight_.resize(k_voters);
    }

    known_track random_track(std::mt19937& rng, const std::string& room = {})
    {
        std::lock_guard lock(mutex_);
        std::vector<const known_track*> pool;
        for (const auto& t : tracks_)
            if (room.empty() || t.room_id == room) pool.push_back(&t);
        return *pool[rng() % pool.size()];
    }

    void count_unexpected(const http_response& r, const std::string& what)
    {
        std::lock_guard lock(mutex_);
        ++tally_.unexpected_statuses;
        ADD_FAILURE() << what << " answered " << r.status << ": " << r.body.substr(0, 300);
    }

    void upload_loop(int who, const std::atomic<bool>& stop, unsigned seed)
    {
        std::mt19937 rng{seed};
        auto c = server_.client();
        while (!stop) {
            const auto& fixture = k_audio_fixtures[rng() % k_audio_fixtures.size()];
            http_response r;
            try {
                r = upload_fixture(c, upload_room_, uploaders_[who].token, fixture);
            } catch (const std::exception&) {
                std::lock_guard lock(mutex_);
                ++uploads_in_flight_;
                return;
            }
            if (r.status != 201) {
                count_unexpected(r, "upload");
                continue;
            }
            std::lock_guard lock(mutex_);
            tracks_.push_back(track_from(r.json().at("track"), upload_room_));
            ++tally_.uploads_acknowledged;
        }
    }

    void vote_loop(int who, const std::atomic<bool>& stop, unsigned seed)
    {
        std::mt19937 rng{seed};
        auto c = server_.client();
        while (!stop) {
            const auto track = random_track(rng);
            const bool add = rng() % 3 != 0;  // more adds than removals, so scores grow
            const std::string path = "/api/rooms/" + track.room_id + "/tracks/" + track.id + "/vote";
            {
                std::lock_guard lock(mutex_);
                vote_in_flight_[who] = {track.id, add};
            }
            http_response r;
            try {
                r = add ? c.post_json(path, json::object{}, voters_[who].token) : c.del(path, voters_[who].token);
            } catch (const std::exception&) {
                return;  // the vote stays in flight
            }
            std::lock_guard lock(mutex_);
            vote_in_flight_[who].reset();
            if (r.status != 200) {
                ++tally_.unexpected_statuses;
                ADD_FAILURE() << "vote answered " << r.status << ": " << r.body;
                continue;
            }
            voted_[who][track.id] = r.json().at("user_has_voted").as_bool();
            ++tally_.votes_acknowledged;
        }
    }

    void playback_loop(const std::atomic<bool>& stop, unsigned seed)
    {
        std::mt19937 rng{seed};
        auto c = server_.client();
        while (!stop) {
            playback_expectation now;
            {
                std::lock_guard lock(mutex_);
                now = playback_;
            }
            const auto target = random_track(rng, playback_room_);
            auto command = next_command(now, target.id, rng);
            {
                std::lock_guard lock(mutex_);
                playback_in_flight_ = command;
            }
            http_response r;
            try {
                r = send_command(c, playback_room_, admin_.token, command);
            } catch (const std::exception&) {
                return;  // the command stays in flight
            }
            std::lock_guard lock(mutex_);
            playback_in_flight_.reset();
            if (r.status != 200) {
                ++tally_.unexpected_statuses;
                ADD_FAILURE() << command.what << " answered " << r.status << ": " << r.body;
                continue;
            }
            playback_ = acknowledged_state(command, r.json().at("data"));
            ++tally_.playback_acknowledged;
        }
    }

    // Runs the workers, kills the server at a random moment, restarts it; returns the delay.
    int run_and_kill(std::mt19937& rng)
    {
        std::atomic<bool> stop{false};
        std::vector<std::thread> workers;
        for (int i = 0; i < k_uploaders; ++i)
            workers.emplace_back([&, i, s = unsigned(rng())] { upload_loop(i, stop, s); });
        for (int i = 0; i < k_voters; ++i) workers.emplace_back([&, i, s = unsigned(rng())] { vote_loop(i, stop, s); });
        workers.emplace_back([&, s = unsigned(rng())] { playback_loop(stop, s); });
        const int delay_ms = 400 + int(rng() % 1200);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        server_.kill9();
        stop = true;
        for (auto& w : workers) w.join();
        server_.restart();
        return delay_ms;
    }

    void verify_tracks(http_client& c, std::map<std::string, json::object>& rows, int& new_rows)
    {
        for (const auto& room : {playback_room_, upload_room_}) {
            auto r = c.get_auth("/api/rooms/" + room + "/tracks", admin_.token);
            ASSERT_EQ(r.status, 200) << r.body;
            const auto body = r.json();
            for (const auto& t : body.at("tracks").as_array())
                rows[std::string(t.at("id").as_string())] = t.as_object();
        }
        std::set<std::string> known;
        for (const auto& t : tracks_) {
            known.insert(t.id);
            EXPECT_TRUE(rows.contains(t.id)) << "acknowledged track " << t.id << " is gone";
        }
        tally_.tracks_verified += tracks_.size();
        for (const auto& [id, row] : rows) {
            if (known.contains(id)) continue;
            ++new_rows;  // committed, its 201 lost with the server
            tracks_.push_back(track_from(row, std::string(row.at("room_id").as_string())));
        }
        EXPECT_LE(new_rows, uploads_in_flight_) << "rows that no upload in flight can explain";
        expect_storage_matches(server_.data_dir(), rows);
    }

    void verify_votes(http_client& c, const std::map<std::string, json::object>& rows)
    {
        std::map<std::string, int> voters_per_track;
        for (int v = 0; v < k_voters; ++v) {
            for (const auto& room : {playback_room_, upload_room_}) {
                auto r = c.get_auth("/api/rooms/" + room + "/tracks", voters_[v].token);
                ASSERT_EQ(r.status, 200) << r.body;
                const auto body = r.json();
                for (const auto& t : body.at("tracks").as_array()) {
                    const std::string id(t.at("id").as_string());
                    const bool has = t.at("user_has_voted").as_bool();
                    const bool expected = voted_[v].contains(id) && voted_[v][id];
                    const auto& pending = vote_in_flight_[v];
                    if (pending && pending->first == id) {
                        EXPECT_TRUE(has == expected || has == pending->second) << "voter " << v << ", track " << id;
                        if (has != expected) ++tally_.votes_in_flight_applied;
                    } else {
                        EXPECT_EQ(has, expected)
                            << "acknowledged vote lost or invented: voter " << v << ", track " << id;
                    }
                    voted_[v][id] = has;
                    voters_per_track[id] += has ? 1 : 0;
                    ++tally_.votes_verified;
                }
            }
            if (vote_in_flight_[v]) ++tally_.votes_in_flight;
            vote_in_flight_[v].reset();
        }
        for (const auto& [id, row] : rows)
            EXPECT_EQ(row.at("vote_score").to_number<int>(), voters_per_track[id]) << "vote_score of " << id;
    }

    void verify_playback(http_client& c)
    {
        auto r = c.get_auth("/api/rooms/" + playback_room_, admin_.token);
        ASSERT_EQ(r.status, 200) << r.body;
        const auto room = r.json().at("data");
        const auto actual = expectation_from(room);
        if (!matches(actual, playback_)) {
            EXPECT_TRUE(playback_in_flight_ && matches_command(actual, *playback_in_flight_, playback_))
                << "playback is neither the last acknowledged state nor the command in flight: "
                << json::serialize(room);
            ++tally_.playback_in_flight_applied;
        }
        playback_ = actual;
        playback_in_flight_.reset();
    }
};

TEST_F(crash_consistency, sigkill_mid_traffic_keeps_every_acknowledged_write_and_no_orphan)
{
    std::mt19937 rng{std::random_device{}()};
    for (int round = 1; round <= k_rounds; ++round) {
        const int before = tally_.uploads_acknowledged;
        uploads_in_flight_ = 0;
        const int delay_ms = run_and_kill(rng);
        auto c = server_.client();
        std::map<std::string, json::object> rows;
        int new_rows = 0;
        verify_tracks(c, rows, new_rows);
        verify_votes(c, rows);
        verify_playback(c);
        expect_streams(c, admin_.token, tracks_, streamed_);
        tally_.uploads_in_flight += uploads_in_flight_;
        tally_.uploads_unacknowledged_committed += new_rows;
        std::cout << "[ crash    ] round " << round << ": SIGKILL after " << delay_ms << " ms, "
                  << tally_.uploads_acknowledged - before << " uploads acknowledged, " << uploads_in_flight_
                  << " in flight (" << new_rows << " committed), " << rows.size() << " tracks stored" << std::endl;
        if (HasFailure()) break;
    }
    // Still serving: a new upload, a vote and a playback command after the last restart.
    auto c = server_.client();
    auto up = upload_fixture(c, upload_room_, uploaders_[0].token, "tone-3s-cbr.mp3");
    ASSERT_EQ(up.status, 201) << up.body;
    const std::string id(up.json().at("track").at("id").as_string());
    EXPECT_EQ(c.post_json("/api/tracks/" + id + "/vote", json::object{}, voters_[0].token).status, 200);
    EXPECT_EQ(c.post_json("/api/rooms/" + playback_room_ + "/playback/stop", json::object{}, admin_.token).status, 200);
    EXPECT_EQ(c.get("/health/storage").status, 200);
    const auto& t = tally_;
    std::cout << "[ crash    ] " << k_rounds << " rounds on " << test_store_driver() << ": acknowledged "
              << t.uploads_acknowledged << " uploads, " << t.votes_acknowledged << " votes, " << t.playback_acknowledged
              << " playback commands; verified " << t.tracks_verified << " track presences and " << t.votes_verified
              << " vote states; in flight at the kills: " << t.uploads_in_flight << " uploads ("
              << t.uploads_unacknowledged_committed << " committed), " << t.votes_in_flight << " votes ("
              << t.votes_in_flight_applied << " applied), playback commands applied " << t.playback_in_flight_applied
              << std::endl;
    EXPECT_GT(t.uploads_acknowledged, 0);
    EXPECT_GT(t.votes_acknowledged, 0);
    EXPECT_GT(t.playback_acknowledged, 0);
    EXPECT_EQ(t.unexpected_statuses, 0);
}

}  // namespace
}  // namespace spotik::test
