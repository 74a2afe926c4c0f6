// Playback control and timing (CONTRACT §3, §7): auto-start, pause/resume arithmetic, skip,
// stop, seek, status, authorization, auto-advance at the end of a track, and a restart in
// the middle of a track, and tracks of 0 seconds.
#include "support/room_fixture.hpp"
#include "support/ws_client.hpp"
#include "util/time_format.hpp"

#include <thread>

namespace spotik::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::int64_t ms_of(const json::value& v)
{
    return *util::parse_iso8601_ms(std::string(v.as_string()));
}

class playback_api : public room_fixture {
protected:
    http_response post(const std::string& what, const std::string& token, json::object body = {})
    {
        return client_.post_json("/api/rooms/" + room_id_ + "/playback/" + what, body, token);
    }
};

TEST_F(playback_api, first_upload_auto_starts_and_later_ones_queue)
{
    auto room = room_state();
    EXPECT_EQ(room.at("is_playing"), false);
    auto first = upload_id(member_.token, "tone-7s-vbr.mp3");
    auto before = room_state();
    EXPECT_EQ(before.at("is_playing"), true);
    EXPECT_EQ(before.at("current_track").at("id"), first.c_str());
    EXPECT_EQ(before.at("current_track").at("uploader").at("username"), member_.username.c_str());
    EXPECT_EQ(before.at("current_playback_position").to_number<double>(), 0.0) << "V adds the elapsed time itself";
    EXPECT_TRUE(before.at("playback_paused_at").is_null());
    auto started = ms_of(before.at("playback_started_at"));
    upload_id(member_.token, "tone-3s-cbr.mp3");
    auto after = room_state();
    EXPECT_EQ(after.at("current_track").at("id"), first.c_str());
    EXPECT_EQ(ms_of(after.at("playback_started_at")), started);
}

TEST_F(playback_api, pause_resume_keep_the_timeline)
{
    auto t = upload_id(member_.token, "tone-7s-vbr.mp3");
    std::this_thread::sleep_for(300ms);
    auto p = post("pause", admin_.token);
    ASSERT_EQ(p.status, 200) << p.body;
    EXPECT_EQ(p.json().at("message"), "Playback paused successfully");
    auto pd = p.json().at("data").as_object();
    EXPECT_EQ(pd.at("track_id"), t.c_str());
    double position = pd.at("position").to_number<double>();
    EXPECT_GE(position, 0.25);
    EXPECT_LT(position, 3.0);
    auto paused = room_state();
    EXPECT_EQ(paused.at("is_playing"), false);
    EXPECT_NEAR(paused.at("current_playback_position").to_number<double>(), position, 0.002);
    EXPECT_EQ(ms_of(paused.at("playback_paused_at")), ms_of(pd.at("paused_at")));

    auto again = post("pause", admin_.token);
    EXPECT_EQ(again.status, 400);
    EXPECT_EQ(again.json().at("message"), "No track is currently playing");

    std::this_thread::sleep_for(300ms);
    auto r = post("resume", admin_.token);
    ASSERT_EQ(r.status, 200) << r.body;
    auto rd = r.json().at("data").as_object();
    EXPECT_NEAR(rd.at("position").to_number<double>(), position, 0.002)
        << "the paused offset, not the new elapsed time";
    auto resumed_at = ms_of(rd.at("resumed_at"));
    auto effective = ms_of(rd.at("effective_started_at"));
    EXPECT_NEAR(double(resumed_at - effective) / 1000.0, position, 0.002) << "S moved forward by the pause";
    auto playing = room_state();
    EXPECT_EQ(playing.at("is_playing"), true);
    EXPECT_EQ(ms_of(playing.at("playback_started_at")), effective);
    EXPECT_EQ(post("resume", admin_.token).status, 400);
}

TEST_F(playback_api, skip_moves_through_the_queue_and_stop_clears)
{
    auto a = upload_id(member_.token, "tone-7s-vbr.mp3");
    auto b = upload_id(member_.token, "tone-5s.wav");
    auto s = post("skip", admin_.token);
    ASSERT_EQ(s.status, 200) << s.body;
    EXPECT_EQ(s.json().at("data").at("skipped_track_id"), a.c_str());
    EXPECT_EQ(s.json().at("data").at("next_track_id"), b.c_str());
    auto room = room_state();
    EXPECT_EQ(room.at("current_track").at("id"), b.c_str());
    EXPECT_EQ(ms_of(room.at("playback_started_at")), ms_of(s.json().at("data").at("server_time")));
    // Played tracks stay in the queue: skipping again returns to the first.
    s = post("skip", admin_.token);
    EXPECT_EQ(s.json().at("data").at("next_track_id"), a.c_str());

    auto stop = post("stop", admin_.token);
    ASSERT_EQ(stop.status, 200);
    EXPECT_TRUE(stop.json().at("data").at("server_time").is_string());
    room = room_state();
    EXPECT_EQ(room.at("is_playing"), false);
    EXPECT_TRUE(room.at("current_track").is_null());
    EXPECT_TRUE(room.at("playback_started_at").is_null());
    EXPECT_EQ(post("stop", admin_.token).status, 200) << "stopping an idle room is fine";
    auto idle_skip = post("skip", admin_.token);
    EXPECT_EQ(idle_skip.status, 400);
    EXPECT_EQ(idle_skip.json().at("error"), "No active track");
}

TEST_F(playback_api, skip_with_a_single_track_stops)
{
    upload_id(member_.token, "tone-7s-vbr.mp3");
    auto s = post("skip", admin_.token);
    ASSERT_EQ(s.status, 200);
    EXPECT_TRUE(s.json().at("data").at("next_track_id").is_null());
    EXPECT_EQ(room_state().at("is_playing"), false);
}

TEST_F(playback_api, start_a_chosen_track_and_the_alias)
{
    upload_id(member_.token, "tone-7s-vbr.mp3");
    auto b = upload_id(member_.token, "tone-5s.wav");
    auto r = client_.post_json("/api/rooms/" + room_id_ + "/tracks/" + b + "/play", json::object{}, admin_.token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json().at("message"), "Playback started successfully");
    EXPECT_EQ(r.json().at("data").at("track_id"), b.c_str());
    EXPECT_EQ(ms_of(r.json().at("data").at("started_at")), ms_of(room_state().at("playback_started_at")));
    r = post("start", admin_.token, {{"track_id", b}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(post("start", admin_.token, {}).status, 422);
}

TEST_F(playback_api, only_the_administrator_controls_playback)
{
    auto t = upload_id(member_.token, "tone-7s-vbr.mp3");
    for (const char* what : {"pause", "resume", "skip", "stop"}) {
        auto r = post(what, member_.token);
        EXPECT_EQ(r.status, 403) << what;
        EXPECT_EQ(r.json().at("message"), "Only room administrator can control playback");
        EXPECT_EQ(post(what, "").status, 401);
    }
    EXPECT_EQ(
        client_.post_json("/api/rooms/" + room_id_ + "/tracks/" + t + "/play", json::object{}, member_.token).status,
        403);
    auto other_room = create_room(client_, admin_.token, "elsewhere");
    auto wrong = client_.post_json("/api/rooms/" + other_room + "/tracks/" + t + "/play", json::object{}, admin_.token);
    EXPECT_EQ(wrong.status, 404);
    EXPECT_EQ(wrong.json().at("message"), "Track does not belong to this room");
}

TEST_F(playback_api, status_and_seek)
{
    auto a = upload_id(member_.token, "tone-7s-vbr.mp3");
    auto b = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto st = client_.get_auth("/api/rooms/" + room_id_ + "/playback/status", member_.token);
    ASSERT_EQ(st.status, 200);
    auto d = st.json().at("data").as_object();
    EXPECT_EQ(d.at("is_playing"), true);
    EXPECT_EQ(d.at("current_track").at("id"), a.c_str());
    EXPECT_EQ(d.at("next_track").at("id"), b.c_str());
    EXPECT_EQ(d.at("queue_length"), 2);
    EXPECT_GE(d.at("position").to_number<double>(), 0.0);
    EXPECT_EQ(client_.get_auth("/api/rooms/" + room_id_ + "/playback/status", outsider_.token).status, 403);

    EXPECT_EQ(post("seek", admin_.token, {{"position", -1}}).status, 400);
    auto beyond = post("seek", admin_.token, {{"position", 60}});
    EXPECT_EQ(beyond.status, 400);
    EXPECT_EQ(beyond.json().at("message"), "Position exceeds track duration");
    EXPECT_EQ(post("seek", admin_.token, {{"position", "x"}}).status, 422);
    auto ok = post("seek", admin_.token, {{"position", 4.5}});
    ASSERT_EQ(ok.status, 200) << ok.body;
    st = client_.get_auth("/api/rooms/" + room_id_ + "/playback/status", member_.token);
    EXPECT_NEAR(st.json().at("data").at("position").to_number<double>(), 4.5, 0.5);
}

// POST /api/rooms/{room}/tracks with tests/fixtures/<fixture> as its audio_file.
http_response upload_fixture(http_client& client, const std::string& room, const std::string& token,
                             const std::string& fixture, const std::string& type = "audio/mpeg")
{
    multipart_builder mp;
    mp.add_file("audio_file", fixture, type, read_file_bytes(fixture_path(fixture)));
    return client.post_body("/api/rooms/" + room + "/tracks", mp.body(), mp.content_type(), token);
}

TEST(playback_timer, a_track_that_ends_advances_without_any_request)
{
    server_process server{{.env = {{"AUTO_ADVANCE_GRACE_MS", "0"}}}};
    auto client = server.client();
    auto admin = register_user(client, "admin");
    auto room = create_room(client, admin.token, "auto");
    auto up = [&](const char* f, const char* type) {
        auto r = upload_fixture(client, room, admin.token, f, type);
        EXPECT_EQ(r.status, 201) << r.body;
        return std::string(r.json().at("track").at("id").as_string());
    };
    auto a = up("tone-3s-cbr.mp3", "audio/mpeg");
    auto b = up("tone-4s.m4a", "audio/mp4");
    auto current = [&] {
        auto r = client.get_auth("/api/rooms/" + room, admin.token).json().at("data");
        return r.at("current_track").is_null() ? std::string()
                                               : std::string(r.at("current_track").at("id").as_string());
    };
    EXPECT_EQ(current(), a);
    auto deadline = std::chrono::steady_clock::now() + 8s;
    while (current() == a && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
    EXPECT_EQ(current(), b) << "moved to the next track after 3 s";
    // Delete the other track: at the end of b nothing is left to play, so the room stops.
    ASSERT_EQ(client.del("/api/rooms/" + room + "/tracks/" + a, admin.token).status, 200);
    deadline = std::chrono::steady_clock::now() + 8s;
    while (!current().empty() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
    EXPECT_EQ(current(), "");
    EXPECT_EQ(client.get_auth("/api/rooms/" + room, admin.token).json().at("data").at("is_playing"), false);
}

TEST(playback_timer, a_restart_mid_track_keeps_the_timeline_and_the_timer)
{
    server_process server{{.env = {{"AUTO_ADVANCE_GRACE_MS", "0"}}}};
    auto client = server.client();
    auto admin = register_user(client, "admin");
    auto room = create_room(client, admin.token, "restart");
    // The longest fixture (7 s), so a restart under a loaded machine still lands mid-track.
    ASSERT_EQ(upload_fixture(client, room, admin.token, "tone-7s-vbr.mp3").status, 201);
    auto started = client.get_auth("/api/rooms/" + room, admin.token).json().at("data").at("playback_started_at");
    server.restart();
    auto again = server.client();
    auto data = again.get_auth("/api/rooms/" + room, admin.token).json().at("data");
    EXPECT_EQ(data.at("is_playing"), true);
    EXPECT_EQ(data.at("playback_started_at"), started) << "same timeline after the restart";
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (again.get_auth("/api/rooms/" + room, admin.token).json().at("data").at("is_playing") == true &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    EXPECT_EQ(again.get_auth("/api/rooms/" + room, admin.token).json().at("data").at("is_playing"), false)
        << "the restored timer stopped the room at the end of its only track";
}

// A pause after the track's end (here with auto-advance off) pauses at the end: the position
// never runs past the track.
TEST(playback_timer, a_pause_after_the_end_of_the_track_pauses_at_its_end)
{
    server_process server{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto client = server.client();
    auto admin = register_user(client, "admin");
    auto room = create_room(client, admin.token, "late");
    auto up = upload_fixture(client, room, admin.token, "tone-3s-cbr.mp3");
    ASSERT_EQ(up.status, 201) << up.body;
    ASSERT_EQ(up.json().at("track").at("duration_seconds"), 3);
    std::this_thread::sleep_for(3600ms);
    auto paused = client.post_json("/api/rooms/" + room + "/playback/pause", json::object{}, admin.token);
    ASSERT_EQ(paused.status, 200) << paused.body;
    EXPECT_DOUBLE_EQ(paused.json().at("data").at("position").to_number<double>(), 3.0);
    auto data = client.get_auth("/api/rooms/" + room, admin.token).json().at("data");
    EXPECT_DOUBLE_EQ(data.at("current_playback_position").to_number<double>(), 3.0);
}

// Tracks of 0 seconds (truncated.mp3 holds well under half a second) play for one second
// each: before, with no grace, a queue of them auto-advanced thousands of times a second.
TEST(playback_timer, tracks_of_zero_seconds_advance_once_a_second)
{
    server_process server{{.env = {{"AUTO_ADVANCE_GRACE_MS", "0"}}}};
    auto client = server.client();
    auto admin = register_user(client, "admin");
    auto room = create_room(client, admin.token, "short");
    for (int i = 0; i < 2; ++i) {
        auto r = upload_fixture(client, room, admin.token, "truncated.mp3");
        ASSERT_EQ(r.status, 201) << r.body;
        ASSERT_EQ(r.json().at("track").at("duration_seconds"), 0);
    }
    ws_client listener("127.0.0.1", server.port(), ws_client::target_for(admin.token));
    listener.send_json({{"type", "join_room"}, {"data", {{"room_id", room}}}});
    listener.expect("room_joined", 15s);
    // The two tracks take turns for ever (the queue never drains): count for 2.5 s.
    int skips = 0;
    for (auto end = std::chrono::steady_clock::now() + 2500ms; std::chrono::steady_clock::now() < end;) {
        auto m = listener.next(100ms);
        if (m && type_of(*m) == "track_skipped") ++skips;
    }
    EXPECT_GE(skips, 1) << "the queue still moves";
    EXPECT_LE(skips, 4) << "about one advance a second in 2.5 s";
}

}  // namespace
}  // namespace spotik::test
