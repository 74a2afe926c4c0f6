// Room events over real sockets (CONTRACT §9.5, §9.6, §7.1): the scripted two-user session of
// issue 4's Acceptance with the exact sequence on every socket, track and room deletion, the
// auto-advance timer. Replay after a reconnect is in ws_replay_test.cpp.
//
// Sequences are asserted in full, room_state_updated included: the server publishes it right
// after every playback change (and after auto-start), so its position is part of the contract
// the tests pin down.
#include "integration/ws_flow_support.hpp"
#include "util/clock.hpp"
#include "util/time_format.hpp"

#include <cstdlib>
#include <map>
#include <regex>
#include <thread>

namespace spotik::test {
namespace {

bool is_iso_ms(const json::value& v)
{
    static const std::regex iso(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
    return v.is_string() && v.as_string().size() == 24 && std::regex_match(std::string(v.as_string()), iso);
}

std::int64_t ms_of(const json::value& v)
{
    return *util::parse_iso8601_ms(std::string(v.as_string()));
}

// Envelope rules for a whole socket log: {type, data, timestamp}; room events also carry a
// seq (mirrored in data.seq) that strictly increases, their room_id and an ISO server_time.
void check_envelopes(const std::vector<json::object>& log, const std::string& room_id, const std::string& who)
{
    std::uint64_t last = 0;
    for (const auto& m : log) {
        SCOPED_TRACE(who + ": " + json::serialize(m));
        ASSERT_TRUE(m.contains("type") && m.at("type").is_string());
        ASSERT_TRUE(m.contains("data") && m.at("data").is_object());
        ASSERT_TRUE(m.contains("timestamp") && m.at("timestamp").is_number());
        if (!is_room_event(type_of(m))) {
            EXPECT_FALSE(m.contains("seq"));
            continue;
        }
        ASSERT_TRUE(m.contains("seq") && m.at("seq").is_number());
        auto seq = seq_of(m);
        EXPECT_GT(seq, last);
        last = seq;
        const auto& d = m.at("data").as_object();
        EXPECT_EQ(d.at("seq").to_number<std::uint64_t>(), seq);
        EXPECT_EQ(d.at("room_id"), room_id.c_str());
        EXPECT_TRUE(is_iso_ms(d.at("server_time")));
    }
}

// V reads these of every Track it is sent.
void check_full_track(const json::value& t, const std::string& id, const registered_user& uploader)
{
    SCOPED_TRACE(json::serialize(t));
    ASSERT_TRUE(t.is_object());
    EXPECT_EQ(t.at("id"), id.c_str());
    EXPECT_TRUE(t.at("original_name").is_string());
    EXPECT_GT(t.at("duration_seconds").to_number<double>(), 0);
    EXPECT_GT(t.at("file_size_bytes").to_number<double>(), 0);
    EXPECT_TRUE(t.at("vote_score").is_number());
    EXPECT_TRUE(is_iso_ms(t.at("created_at")));
    EXPECT_EQ(t.at("uploader").at("id"), uploader.id.c_str());
    EXPECT_EQ(t.at("uploader").at("username"), uploader.username.c_str());
    EXPECT_TRUE(t.as_object().contains("cover_url"));
    EXPECT_TRUE(t.as_object().contains("user_has_voted"));
}

std::vector<json::object> of_type(const std::vector<json::object>& log, const std::string& type)
{
    std::vector<json::object> out;
    for (const auto& m : log)
        if (type_of(m) == type) out.push_back(m);
    return out;
}

TEST(ws_session_flow, two_users_scripted_session)
{
    server_process server{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto http = server.client();
    auto a_user = register_user(http, "alice");
    auto b_user = register_user(http, "bob");
    auto room = create_room(http, a_user.token, unique_name("session"));
    const std::string base = "/api/rooms/" + room;
    auto room_get = [&] { return http.get_auth(base, a_user.token).json().at("data").as_object(); };
    auto admin_post = [&](const std::string& what) {
        auto r = http.post_json(base + "/playback/" + what, json::object{}, a_user.token);
        EXPECT_EQ(r.status, 200) << what << ": " << r.body;
    };
    auto upload = [&](const std::string& fixture) {
        multipart_builder mp;
        mp.add_file("audio_file", fixture, "audio/mpeg", read_file_bytes(fixture_path(fixture)));
        auto r = http.post_body(base + "/tracks", mp.body(), mp.content_type(), b_user.token);
        EXPECT_EQ(r.status, 201) << r.body;
        return std::string(r.json().at("track").at("id").as_string());
    };

    std::vector<json::object> la, lb1, lb2;
    ws_client a1("127.0.0.1", server.port(), ws_client::target_for(a_user.token));
    a1.send_json({{"type", "join_room"}, {"data", {{"room_id", room}}}});
    read_until(a1, la, "room_joined");

    // B joins over HTTP, then opens two sockets in the room.
    ASSERT_EQ(http.post_json(base + "/join", json::object{}, b_user.token).status, 200);
    ws_client b1("127.0.0.1", server.port(), ws_client::target_for(b_user.token));
    ws_client b2("127.0.0.1", server.port(), ws_client::target_for(b_user.token));
    for (auto* b : {&b1, &b2}) b->send_json({{"type", "join_room"}, {"data", {{"room_id", room}}}});
    read_until(b1, lb1, "room_joined");
    read_until(b2, lb2, "room_joined");

    auto t1 = upload("tone-7s-vbr.mp3");  // auto-starts
    auto stored_start = room_get().at("playback_started_at");
    auto t2 = upload("tone-3s-cbr.mp3");
    ASSERT_EQ(http.post_json(base + "/tracks/" + t2 + "/vote", json::object{}, b_user.token).status, 200);
    std::this_thread::sleep_for(300ms);
    admin_post("pause");
    std::this_thread::sleep_for(300ms);
    auto before_resume = now_ms();
    admin_post("resume");
    auto after_resume = now_ms();
    admin_post("skip");
    auto start_after_skip = room_get().at("playback_started_at");
    admin_post("stop");
    b1.send_json({{"type", "leave_room"}});
    read_until(b1, lb1, "room_left");
    ASSERT_EQ(http.post_json(base + "/leave", json::object{}, b_user.token).status, 200);
    // Having left over HTTP, B gets none of the room's later events on any socket: A's vote
    // would reach b2 only (A is the voter).
    ASSERT_EQ(http.post_json(base + "/tracks/" + t2 + "/vote", json::object{}, a_user.token).status, 200);

    for (auto& m : a1.drain(k_quiet)) la.push_back(m);
    for (auto& m : b1.drain(k_quiet)) lb1.push_back(m);
    for (auto& m : b2.drain(k_quiet)) lb2.push_back(m);

    const types playback_part{"playback_paused", "room_state_updated", "playback_resumed",   "room_state_updated",
                              "track_skipped",   "playback_started",   "room_state_updated", "playback_stopped",
                              "track_skipped",   "room_state_updated"};
    types expect_a{"connection_established", "room_joined",        "user_joined", "track_added",
                   "playback_started",       "room_state_updated", "track_added", "track_voted"};
    expect_a.insert(expect_a.end(), playback_part.begin(), playback_part.end());
    expect_a.push_back("user_left");
    types expect_b{"connection_established", "room_joined",        "track_added",
                   "playback_started",       "room_state_updated", "track_added"};  // no track_voted: B is the voter
    expect_b.insert(expect_b.end(), playback_part.begin(), playback_part.end());
    types expect_b1 = expect_b, expect_b2 = expect_b;
    expect_b1.push_back("room_left");  // b1 left the socket room before B left the room
    expect_b2.push_back("user_left");  // b2 is still joined to the socket room
    EXPECT_EQ(types_of(la), expect_a);
    EXPECT_EQ(types_of(lb1), expect_b1);
    EXPECT_EQ(types_of(lb2), expect_b2);
    check_envelopes(la, room, "A");
    check_envelopes(lb1, room, "B1");
    check_envelopes(lb2, room, "B2");
    ASSERT_EQ(types_of(la), expect_a);

    // A saw every room event: its seqs have no gap. B's are A's minus the vote, and each frame
    // is byte-for-byte the one A got (serialized once).
    std::map<std::uint64_t, json::object> a_events;
    std::uint64_t vote_seq = 0;
    for (const auto& m : la) {
        if (!is_room_event(type_of(m))) continue;
        if (!a_events.empty()) EXPECT_EQ(seq_of(m), a_events.rbegin()->first + 1) << json::serialize(m);
        a_events[seq_of(m)] = m;
        if (type_of(m) == "track_voted") vote_seq = seq_of(m);
    }
    for (const auto* lb : {&lb1, &lb2})
        for (const auto& m : *lb) {
            if (!is_room_event(type_of(m))) continue;
            EXPECT_NE(seq_of(m), vote_seq);
            EXPECT_EQ(m, a_events[seq_of(m)]);
        }

    const auto joined = of_type(la, "user_joined").at(0).at("data");
    EXPECT_EQ(joined.at("user").at("id"), b_user.id.c_str());
    EXPECT_EQ(joined.at("user").at("username"), b_user.username.c_str());
    EXPECT_TRUE(is_iso_ms(joined.at("user").at("joined_at")));

    auto added = of_type(la, "track_added");
    check_full_track(added.at(0).at("data").at("track"), t1, b_user);
    check_full_track(added.at(1).at("data").at("track"), t2, b_user);
    EXPECT_EQ(added.at(0).at("data").at("track").at("user_has_voted"), false);

    auto started = of_type(la, "playback_started");
    const auto& s1 = started.at(0).at("data").as_object();
    check_full_track(s1.at("track"), t1, b_user);
    ASSERT_TRUE(is_iso_ms(s1.at("playback_started_at")));
    // The room's stored start: exactly, says §7.1; within a few ms here, and to the millisecond
    // in event_instants_equal_the_stored_playback_columns below.
    EXPECT_LE(std::abs(ms_of(s1.at("playback_started_at")) - ms_of(stored_start)), 5) << json::serialize(stored_start);
    EXPECT_EQ(s1.at("started_at"), s1.at("playback_started_at"));
    EXPECT_EQ(s1.at("position").to_number<double>(), 0);
    EXPECT_EQ(s1.at("is_playing"), true);
    EXPECT_EQ(s1.at("auto_started"), true);
    std::int64_t s_ms = ms_of(stored_start);

    const auto voted = of_type(la, "track_voted").at(0).at("data");
    EXPECT_EQ(voted.at("track").at("id"), t2.c_str());
    EXPECT_EQ(voted.at("track").at("vote_score"), 1);
    EXPECT_EQ(voted.at("voter").at("id"), b_user.id.c_str());
    EXPECT_EQ(voted.at("voter").at("username"), b_user.username.c_str());
    EXPECT_EQ(voted.at("vote_added"), true);

    const auto paused = of_type(la, "playback_paused").at(0).at("data").as_object();
    ASSERT_TRUE(is_iso_ms(paused.at("playback_paused_at"))) << json::serialize(paused);
    std::int64_t p_ms = ms_of(paused.at("playback_paused_at"));
    ASSERT_TRUE(paused.at("current_position").is_number());
    double position = paused.at("current_position").to_number<double>();
    EXPECT_NEAR(position, double(p_ms - s_ms) / 1000.0, 0.0015) << "P - S";
    EXPECT_GE(position, 0.25);
    EXPECT_EQ(paused.at("is_playing"), false);

    const auto resumed = of_type(la, "playback_resumed").at(0).at("data").as_object();
    ASSERT_TRUE(is_iso_ms(resumed.at("playback_started_at"))) << json::serialize(resumed);
    std::int64_t r_ms = ms_of(resumed.at("playback_started_at"));
    EXPECT_GE(r_ms, before_resume - 1) << "the resume instant";
    EXPECT_LE(r_ms, after_resume + 1) << "the resume instant";
    ASSERT_TRUE(is_iso_ms(resumed.at("effective_started_at")));
    std::int64_t eff_ms = ms_of(resumed.at("effective_started_at"));
    EXPECT_NEAR(double(r_ms - eff_ms) / 1000.0, position, 0.005) << "effective start = resume instant - position";
    EXPECT_GE(r_ms - eff_ms, 250) << "not the shifted effective start";
    EXPECT_NEAR(resumed.at("current_position").to_number<double>(), position, 0.0005);
    EXPECT_TRUE(resumed.at("playback_paused_at").is_null());

    auto skipped = of_type(la, "track_skipped");
    const auto& sk = skipped.at(0).at("data").as_object();
    check_full_track(sk.at("next_track"), t2, b_user);
    EXPECT_EQ(sk.at("skipped_track").at("id"), t1.c_str());
    ASSERT_TRUE(is_iso_ms(sk.at("server_time")));
    const auto& s2 = started.at(1).at("data").as_object();
    check_full_track(s2.at("track"), t2, b_user);
    EXPECT_EQ(s2.at("playback_started_at"), sk.at("server_time")) << "server_time is the next track's start";
    EXPECT_LE(std::abs(ms_of(s2.at("playback_started_at")) - ms_of(start_after_skip)), 5);
    EXPECT_EQ(s2.at("auto_started"), false);

    const auto stopped = of_type(la, "playback_stopped").at(0).at("data").as_object();
    EXPECT_EQ(stopped.at("reason"), "administrator_stop");
    EXPECT_EQ(stopped.at("previous_track").at("id"), t2.c_str());
    const auto& shim = skipped.at(1).at("data").as_object();
    EXPECT_TRUE(shim.at("next_track").is_null());
    EXPECT_EQ(shim.at("reason"), "stopped");

    for (const auto& m : of_type(la, "room_state_updated")) {
        const auto& r = m.at("data").at("room").as_object();
        EXPECT_EQ(r.at("id"), room.c_str());
        for (const char* per_user : {"user", "is_participant", "is_administrator"})
            EXPECT_FALSE(r.contains(per_user)) << per_user << " in a broadcast: " << json::serialize(r);
    }
    EXPECT_EQ(of_type(la, "room_state_updated").back().at("data").at("room").at("is_playing"), false);

    EXPECT_EQ(of_type(la, "user_left").at(0).at("data").at("user").at("id"), b_user.id.c_str());
}

// §7.1 rules 4, 6 and 7 to the millisecond: the instants that playback events carry are the
// ones the room stores. A server that reads the clock again for the event (instead of reusing
// the stored instant) fails here whenever the clock ticks in between, so the test repeats.
TEST(ws_session_flow, event_instants_equal_the_stored_playback_columns)
{
    server_process server{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto http = server.client();
    auto admin = register_user(http, "admin");
    auto member = register_user(http, "member");
    auto room = create_room(http, admin.token, unique_name("instants"));
    const std::string base = "/api/rooms/" + room;
    ASSERT_EQ(http.post_json(base + "/join", json::object{}, member.token).status, 200);
    auto stored = [&] { return http.get_auth(base, admin.token).json().at("data").at("playback_started_at"); };
    auto upload = [&](const std::string& fixture) {
        multipart_builder mp;
        mp.add_file("audio_file", fixture, "audio/mpeg", read_file_bytes(fixture_path(fixture)));
        ASSERT_EQ(http.post_body(base + "/tracks", mp.body(), mp.content_type(), member.token).status, 201);
    };
    auto post = [&](const std::string& what) {
        ASSERT_EQ(http.post_json(base + "/playback/" + what, json::object{}, admin.token).status, 200) << what;
    };
    auto a = open_ws(server, admin.token);
    join(a, room);
    upload("tone-7s-vbr.mp3");
    auto started = a.expect("playback_started", k_wait);
    EXPECT_EQ(started.at("data").at("playback_started_at"), stored()) << "auto-start";
    upload("tone-3s-cbr.mp3");
    for (int i = 0; i < 30; ++i) {
        post("skip");
        auto skipped = a.expect("track_skipped", k_wait);
        started = a.expect("playback_started", k_wait);
        auto s = stored();
        EXPECT_EQ(started.at("data").at("playback_started_at"), s) << "skip " << i;
        EXPECT_EQ(skipped.at("data").at("server_time"), s) << "skip " << i;
    }
    for (int i = 0; i < 15; ++i) {
        post("pause");
        auto paused = a.expect("playback_paused", k_wait).at("data").as_object();
        post("resume");
        auto resumed = a.expect("playback_resumed", k_wait).at("data").as_object();
        auto s = stored();
        EXPECT_EQ(resumed.at("effective_started_at"), s) << "resume " << i;
        auto played = ms_of(paused.at("playback_paused_at")) - ms_of(paused.at("playback_started_at"));
        EXPECT_EQ(ms_of(resumed.at("playback_started_at")) - ms_of(s), played)
            << "resume " << i << ": resume instant - new start = P - S";
    }
}

// ---------------------------------------------------------------- deletions and the timer

class ws_room_events : public room_fixture {
protected:
    ws_room_events() : room_fixture({.env = {{"AUTO_ADVANCE", "false"}}}) {}
};

TEST_F(ws_room_events, deleting_tracks_sends_track_removed)
{
    auto t1 = upload_id(member_.token, "tone-7s-vbr.mp3");
    auto t2 = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto a = open_ws(server_, admin_.token);
    auto m = open_ws(server_, member_.token);
    join(a, room_id_);
    join(m, room_id_);

    ASSERT_EQ(client_.del("/api/rooms/" + room_id_ + "/tracks/" + t2, member_.token).status, 200);
    for (auto* c : {&a, &m}) {
        auto msgs = c->drain(k_quiet);
        ASSERT_EQ(types_of(msgs), types{"track_removed"});
        const auto& d = msgs[0].at("data").as_object();
        EXPECT_EQ(d.at("track_id"), t2.c_str());
        EXPECT_EQ(d.at("room_id"), room_id_.c_str());
    }
    // Deleting the current track also stops playback.
    ASSERT_EQ(client_.del("/api/rooms/" + room_id_ + "/tracks/" + t1, admin_.token).status, 200);
    for (auto* c : {&a, &m}) {
        auto msgs = c->drain(k_quiet);
        ASSERT_EQ(types_of(msgs), (types{"track_removed", "playback_stopped", "track_skipped", "room_state_updated"}));
        EXPECT_EQ(msgs[0].at("data").at("track_id"), t1.c_str());
        EXPECT_TRUE(msgs[2].at("data").at("next_track").is_null());
        EXPECT_EQ(msgs[2].at("data").at("reason"), "stopped");
        EXPECT_EQ(msgs[3].at("data").at("room").at("is_playing"), false);
    }
}

TEST_F(ws_room_events, deleting_the_room_sends_room_deleted)
{
    auto a = open_ws(server_, admin_.token);
    auto m = open_ws(server_, member_.token);
    join(a, room_id_);
    join(m, room_id_);
    auto r = client_.del("/api/rooms/" + room_id_, admin_.token);
    ASSERT_EQ(r.status, 200) << r.body;
    for (auto* c : {&a, &m}) {
        auto msgs = c->drain(k_quiet);
        ASSERT_EQ(types_of(msgs), types{"room_deleted"});
        EXPECT_EQ(msgs[0].at("data").at("room_id"), room_id_.c_str());
        EXPECT_TRUE(msgs[0].at("data").at("room_name").is_string());
        EXPECT_TRUE(msgs[0].contains("seq"));
    }
    m.send_json({{"type", "get_room_state"}});
    auto reply = m.next(k_wait);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->at("data").at("error_code"), "room_not_found");
    EXPECT_TRUE(m.is_open()) << "the socket itself stays";
    auto status = client_.get("/api/websocket/status").json();
    EXPECT_FALSE(status.at("connection_stats").at("room_connections").as_object().contains(room_id_));
}

class ws_auto_advance : public room_fixture {
protected:
    ws_auto_advance() : room_fixture({.env = {{"AUTO_ADVANCE", "true"}, {"AUTO_ADVANCE_GRACE_MS", "0"}}}) {}
};

TEST_F(ws_auto_advance, the_timer_emits_the_same_events_as_a_skip)
{
    auto a = open_ws(server_, admin_.token);
    join(a, room_id_);
    auto t1 = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto t2 = upload_id(member_.token, "tone-5s.wav");
    std::vector<json::object> log;
    read_until(a, log, "track_skipped");
    read_until(a, log, "playback_started");
    read_until(a, log, "room_state_updated");
    EXPECT_EQ(types_of(log), (types{"track_added", "playback_started", "room_state_updated", "track_added",
                                    "track_skipped", "playback_started", "room_state_updated"}));
    check_envelopes(log, room_id_, "A");
    ASSERT_EQ(log.size(), 7u);
    const auto& first = log[1].at("data").as_object();
    const auto& sk = log[4].at("data").as_object();
    const auto& next = log[5].at("data").as_object();
    EXPECT_EQ(first.at("track").at("id"), t1.c_str());
    EXPECT_EQ(sk.at("skipped_track").at("id"), t1.c_str());
    check_full_track(sk.at("next_track"), t2, member_);
    EXPECT_EQ(sk.at("reason"), "ended");
    EXPECT_EQ(next.at("track").at("id"), t2.c_str());
    EXPECT_EQ(next.at("playback_started_at"), sk.at("server_time"));
    EXPECT_EQ(next.at("auto_started"), true);
    auto played_ms = ms_of(sk.at("server_time")) - ms_of(first.at("playback_started_at"));
    EXPECT_GE(played_ms, 2900) << "advanced at the end of the 3 s track, not before";
}

}  // namespace
}  // namespace spotik::test
