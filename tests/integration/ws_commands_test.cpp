// Every client command of the native WebSocket protocol against the real binary (CONTRACT
// §9.3-§9.5), with its replies and errors, including malformed frames that must leave the
// socket open.
#include "integration/ws_flow_support.hpp"

namespace spotik::test {
namespace {

// ---------------------------------------------------------------- commands

class ws_commands : public room_fixture {
protected:
    ws_commands() : room_fixture({.env = {{"AUTO_ADVANCE", "false"}}}) {}

    std::string vote_path(const std::string& track) { return "/api/rooms/" + room_id_ + "/tracks/" + track + "/vote"; }
    http_response http_playback(const std::string& action)
    {
        return client_.post_json("/api/rooms/" + room_id_ + "/playback/" + action, json::object{}, admin_.token);
    }
};

TEST_F(ws_commands, join_room_errors_then_success)
{
    auto outsider = open_ws(server_, outsider_.token);
    outsider.send_json({{"type", "join_room"}, {"data", {{"room_id", room_id_}}}});
    EXPECT_EQ(error_code_of(next_msg(outsider)), "access_denied");
    outsider.send_json({{"type", "join_room"}, {"data", {{"room_id", "00000000-0000-4000-8000-000000000000"}}}});
    EXPECT_EQ(error_code_of(next_msg(outsider)), "room_not_found");
    outsider.send_json({{"type", "join_room"}, {"data", {{"room_id", "not-a-uuid"}}}});
    EXPECT_EQ(error_code_of(next_msg(outsider)), "room_not_found");
    outsider.send_json({{"type", "join_room"}, {"data", json::object{}}});
    EXPECT_EQ(error_code_of(next_msg(outsider)), "missing_room_id");
    outsider.send_json({{"type", "join_room"}});
    EXPECT_EQ(error_code_of(next_msg(outsider)), "missing_room_id");
    expect_alive(outsider);
    // An outsider who was refused receives no room events.
    upload_id(member_.token, "tone-3s-cbr.mp3");
    EXPECT_EQ(outsider.drain(k_quiet).size(), 0u);

    auto m = open_ws(server_, member_.token);
    m.send_json({{"type", "join_room"}, {"data", {{"room_id", room_id_}}}});
    auto joined = next_msg(m);
    ASSERT_EQ(type_of(joined), "room_joined") << json::serialize(joined);
    EXPECT_FALSE(joined.contains("seq"));
    EXPECT_TRUE(joined.at("timestamp").is_number());
    const auto& d = joined.at("data").as_object();
    EXPECT_EQ(d.at("room").at("id"), room_id_.c_str());
    EXPECT_EQ(d.at("room").at("is_participant"), true);
    EXPECT_EQ(d.at("room").at("is_administrator"), false);
    EXPECT_EQ(d.at("room").at("administrator_id"), admin_.id.c_str());
    EXPECT_EQ(d.at("room").at("user").at("id"), member_.id.c_str()) << "the canonical Room names its viewer";
    EXPECT_EQ(d.at("room").at("is_playing"), true) << "the upload above auto-started";
    EXPECT_EQ(d.at("websocket_connected"), true);
    EXPECT_TRUE(d.at("message").is_string());
    EXPECT_TRUE(d.at("last_seq").is_number());
    EXPECT_EQ(m.drain(k_quiet).size(), 0u) << "no replay without last_seq";
}

// Any JSON number is a last_seq (1.5 and 1e300 once made the command fail with internal_error).
TEST_F(ws_commands, join_room_accepts_any_number_as_last_seq)
{
    for (const char* last_seq : {"1.5", "-2.5", "1e300", "-1e300", "18446744073709551615"}) {
        auto c = open_ws(server_, member_.token);
        ASSERT_TRUE(c.send_text(std::string(R"({"type":"join_room","data":{"room_id":")") + room_id_ +
                                R"(","last_seq":)" + last_seq + "}}"));
        auto m = next_msg(c);
        EXPECT_EQ(type_of(m), "room_joined") << "last_seq " << last_seq << ": " << json::serialize(m);
        c.drain(k_quiet);  // the replayed events, if any
        expect_alive(c);
    }
}

TEST_F(ws_commands, ping_answers_pong_with_the_clock_fields)
{
    auto c = open_ws(server_, member_.token);
    auto before = now_ms();
    c.send_json({{"type", "ping"}, {"data", {{"client_time", 1737000000123.5}}}});
    auto pong = next_msg(c);
    auto after = now_ms();
    ASSERT_EQ(type_of(pong), "pong") << json::serialize(pong);
    const auto& d = pong.at("data").as_object();
    EXPECT_EQ(d.at("client_time").to_number<double>(), 1737000000123.5);
    auto receive = d.at("server_receive_ms").to_number<std::int64_t>();
    auto send = d.at("server_send_ms").to_number<std::int64_t>();
    auto us = d.at("server_time_us").to_number<std::int64_t>();
    EXPECT_LE(receive, send);
    EXPECT_GE(receive, before - 1);
    EXPECT_LE(send, after + 1);
    EXPECT_GE(us / 1000, receive);
    EXPECT_LE(us / 1000, send);
    // Without client_time the reply still comes (client_time null).
    c.send_json({{"type", "ping"}});
    auto bare = next_msg(c);
    ASSERT_EQ(type_of(bare), "pong");
    EXPECT_TRUE(bare.at("data").at("client_time").is_null());
}

TEST_F(ws_commands, get_room_state_and_queue_need_a_joined_room)
{
    auto c = open_ws(server_, member_.token);
    c.send_json({{"type", "get_room_state"}});
    EXPECT_EQ(error_code_of(next_msg(c)), "not_in_room");
    c.send_json({{"type", "get_track_queue"}});
    EXPECT_EQ(error_code_of(next_msg(c)), "not_in_room");
    c.send_json({{"type", "vote_track"}, {"data", {{"track_id", "x"}}}});
    EXPECT_EQ(error_code_of(next_msg(c)), "not_in_room");
    c.send_json({{"type", "playback_control"}, {"data", {{"action", "pause"}}}});
    EXPECT_EQ(error_code_of(next_msg(c)), "not_in_room");
    join(c, room_id_);
    c.send_json({{"type", "get_room_state"}, {"data", json::object{}}});
    auto state = next_msg(c);
    ASSERT_EQ(type_of(state), "room_state") << json::serialize(state);
    const auto& d = state.at("data").as_object();
    EXPECT_EQ(d.at("room").at("id"), room_id_.c_str());
    EXPECT_EQ(d.at("room").at("is_participant"), true);
    EXPECT_EQ(d.at("room").at("is_playing"), false);
    EXPECT_EQ(d.at("websocket_connected"), true);
    EXPECT_TRUE(d.at("connection_id").is_string());
}

TEST_F(ws_commands, get_track_queue_matches_the_http_queue)
{
    auto t1 = upload_id(member_.token, "tone-7s-vbr.mp3");
    auto t2 = upload_id(member_.token, "tone-3s-cbr.mp3");
    ASSERT_EQ(client_.post_json(vote_path(t2), json::object{}, member_.token).status, 200);
    auto c = open_ws(server_, member_.token);
    join(c, room_id_);
    c.drain(k_quiet);
    c.send_json({{"type", "get_track_queue"}});
    auto q = next_msg(c);
    ASSERT_EQ(type_of(q), "track_queue") << json::serialize(q);
    const auto& d = q.at("data").as_object();
    EXPECT_EQ(d.at("room_id"), room_id_.c_str());
    EXPECT_EQ(d.at("total_count"), 2);
    const auto& tracks = d.at("tracks").as_array();
    ASSERT_EQ(tracks.size(), 2u);
    EXPECT_EQ(tracks[0].at("id"), t2.c_str()) << "ordered by votes";
    EXPECT_EQ(tracks[0].at("user_has_voted"), true) << "relative to the socket's user";
    EXPECT_EQ(tracks[1].at("id"), t1.c_str());
    EXPECT_EQ(tracks[1].at("user_has_voted"), false);
    auto http = client_.get_auth("/api/rooms/" + room_id_ + "/tracks", member_.token).json();
    EXPECT_EQ(json::value(tracks), http.at("tracks"));
}

TEST_F(ws_commands, vote_track_replies_and_only_others_get_track_voted)
{
    auto t = upload_id(admin_.token, "tone-3s-cbr.mp3");
    auto voter = open_ws(server_, member_.token);
    auto voter2 = open_ws(server_, member_.token);
    auto other = open_ws(server_, admin_.token);
    join(voter, room_id_);
    join(voter2, room_id_);
    join(other, room_id_);

    voter.send_json({{"type", "vote_track"}, {"data", {{"track_id", t}, {"vote_type", "up"}}}});
    auto ok = next_msg(voter);
    ASSERT_EQ(type_of(ok), "vote_success") << json::serialize(ok);
    EXPECT_EQ(ok.at("data").at("track_id"), t.c_str());
    EXPECT_EQ(ok.at("data").at("vote_type"), "added");
    EXPECT_EQ(ok.at("data").at("vote_score"), 1);
    EXPECT_EQ(ok.at("data").at("user_has_voted"), true);
    auto voted = next_msg(other);
    ASSERT_EQ(type_of(voted), "track_voted") << json::serialize(voted);
    EXPECT_EQ(voted.at("data").at("track").at("id"), t.c_str());
    EXPECT_EQ(voted.at("data").at("track").at("vote_score"), 1);
    EXPECT_EQ(voted.at("data").at("voter").at("id"), member_.id.c_str());
    EXPECT_EQ(voted.at("data").at("vote_added"), true);

    voter.send_json({{"type", "vote_track"}, {"data", {{"track_id", t}, {"vote_type", "remove"}}}});
    ok = next_msg(voter);
    ASSERT_EQ(type_of(ok), "vote_success") << json::serialize(ok);
    EXPECT_EQ(ok.at("data").at("vote_type"), "removed");
    EXPECT_EQ(ok.at("data").at("vote_score"), 0);
    EXPECT_EQ(ok.at("data").at("user_has_voted"), false);
    voted = next_msg(other);
    ASSERT_EQ(type_of(voted), "track_voted");
    EXPECT_EQ(voted.at("data").at("track").at("vote_score"), 0);
    EXPECT_EQ(voted.at("data").at("vote_added"), false);

    voter.send_json({{"type", "vote_track"}, {"data", {{"track_id", t}, {"vote_type", "down"}}}});
    EXPECT_EQ(error_code_of(next_msg(voter)), "invalid_vote_type");
    voter.send_json({{"type", "vote_track"}, {"data", {{"vote_type", "up"}}}});
    EXPECT_EQ(error_code_of(next_msg(voter)), "missing_track_id");
    voter.send_json({{"type", "vote_track"},
                     {"data", {{"track_id", "00000000-0000-4000-8000-000000000000"}, {"vote_type", "up"}}}});
    EXPECT_EQ(error_code_of(next_msg(voter)), "vote_failed");

    // Neither of the voter's sockets got its own track_voted, nor anything else.
    EXPECT_EQ(types_of(voter.drain(k_quiet)), std::vector<std::string>{});
    EXPECT_EQ(types_of(voter2.drain(k_quiet)), std::vector<std::string>{});
    EXPECT_EQ(types_of(other.drain(k_quiet)), std::vector<std::string>{});
}

TEST_F(ws_commands, playback_control_is_for_the_administrator_and_mirrors_http)
{
    auto t1 = upload_id(member_.token, "tone-7s-vbr.mp3");
    auto t2 = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto m = open_ws(server_, member_.token);
    auto a = open_ws(server_, admin_.token);
    join(m, room_id_);
    join(a, room_id_);

    m.send_json({{"type", "playback_control"}, {"data", {{"action", "pause"}}}});
    EXPECT_EQ(error_code_of(next_msg(m)), "access_denied");
    EXPECT_EQ(room_state().at("is_playing"), true) << "a refused command changes nothing";
    a.send_json({{"type", "playback_control"}, {"data", {{"action", "rewind"}}}});
    EXPECT_EQ(error_code_of(next_msg(a)), "invalid_action");
    a.send_json({{"type", "playback_control"}, {"data", json::object{}}});
    EXPECT_EQ(error_code_of(next_msg(a)), "invalid_action");
    a.send_json({{"type", "playback_control"}, {"data", {{"action", "play"}}}});
    EXPECT_EQ(error_code_of(next_msg(a)), "missing_track_id");
    a.send_json({{"type", "playback_control"}, {"data", {{"action", "seek"}}}});
    EXPECT_EQ(error_code_of(next_msg(a)), "missing_position");
    EXPECT_EQ(m.drain(k_quiet).size(), 0u);

    // Each action over the socket answers the body of the HTTP route, and broadcasts the same
    // events; the HTTP twin of each action is run too and the shapes compared.
    auto keys = [](const json::value& v) {
        std::vector<std::string> out;
        for (const auto& kv : v.as_object()) out.emplace_back(kv.key());
        std::sort(out.begin(), out.end());
        return out;
    };
    auto ws_action = [&](const std::string& action, json::object extra = {}) {
        extra["action"] = action;
        a.send_json({{"type", "playback_control"}, {"data", extra}});
        auto msgs = std::vector<json::object>{};
        for (;;) {
            auto msg = next_msg(a);
            msgs.push_back(msg);
            if (type_of(msg) == "playback_control_success" || type_of(msg) == "error") break;
        }
        return msgs;
    };

    auto paused = ws_action("pause");
    EXPECT_EQ(types_of(paused),
              (std::vector<std::string>{"playback_paused", "room_state_updated", "playback_control_success"}));
    const auto& pr = paused.back().at("data").as_object();
    EXPECT_EQ(pr.at("action"), "pause");
    EXPECT_EQ(pr.at("result").at("message"), "Playback paused successfully");
    EXPECT_EQ(pr.at("result").at("data").at("track_id"), t1.c_str());
    EXPECT_EQ(types_of(m.drain(k_quiet)), (std::vector<std::string>{"playback_paused", "room_state_updated"}));
    auto http_resume = http_playback("resume");
    ASSERT_EQ(http_resume.status, 200) << http_resume.body;
    auto http_pause = http_playback("pause");
    ASSERT_EQ(http_pause.status, 200);
    EXPECT_EQ(keys(pr.at("result")), keys(http_pause.json()));
    EXPECT_EQ(keys(pr.at("result").at("data")), keys(http_pause.json().at("data")));
    EXPECT_EQ(types_of(a.drain(k_quiet)), (std::vector<std::string>{"playback_resumed", "room_state_updated",
                                                                    "playback_paused", "room_state_updated"}));

    auto resumed = ws_action("resume");
    ASSERT_EQ(type_of(resumed.back()), "playback_control_success") << json::serialize(resumed.back());
    const auto& rr = resumed.back().at("data").as_object();
    EXPECT_EQ(rr.at("action"), "resume");
    EXPECT_EQ(keys(rr.at("result").at("data")), keys(http_resume.json().at("data")));
    EXPECT_EQ(types_of(resumed),
              (std::vector<std::string>{"playback_resumed", "room_state_updated", "playback_control_success"}));

    auto skipped = ws_action("skip");
    ASSERT_EQ(type_of(skipped.back()), "playback_control_success") << json::serialize(skipped.back());
    EXPECT_EQ(types_of(skipped), (std::vector<std::string>{"track_skipped", "playback_started", "room_state_updated",
                                                           "playback_control_success"}));
    const auto& sr = skipped.back().at("data").at("result").as_object();
    EXPECT_EQ(sr.at("data").at("next_track_id"), t2.c_str());
    auto http_skip = http_playback("skip");
    ASSERT_EQ(http_skip.status, 200);
    EXPECT_EQ(keys(sr.at("data")), keys(http_skip.json().at("data")));
    a.drain(k_quiet);

    auto stopped = ws_action("stop");
    ASSERT_EQ(type_of(stopped.back()), "playback_control_success") << json::serialize(stopped.back());
    EXPECT_EQ(types_of(stopped), (std::vector<std::string>{"playback_stopped", "track_skipped", "room_state_updated",
                                                           "playback_control_success"}));
    EXPECT_EQ(room_state().at("is_playing"), false);

    auto played = ws_action("play", {{"track_id", t2}});
    ASSERT_EQ(type_of(played.back()), "playback_control_success") << json::serialize(played.back());
    EXPECT_EQ(types_of(played),
              (std::vector<std::string>{"playback_started", "room_state_updated", "playback_control_success"}));
    EXPECT_EQ(room_state().at("current_track").at("id"), t2.c_str());
    auto http_stop = http_playback("stop");
    ASSERT_EQ(http_stop.status, 200);
    EXPECT_EQ(keys(stopped.back().at("data").at("result")), keys(http_stop.json()));

    // An action the state does not allow is a failure, not a success.
    auto again = ws_action("pause");
    EXPECT_EQ(error_code_of(again.back()), "playback_control_failed");
}

TEST_F(ws_commands, unknown_type_gets_an_error_and_the_socket_stays_open)
{
    auto c = open_ws(server_, member_.token);
    c.send_json({{"type", "subscribe_everything"}, {"data", json::object{}}});
    auto m = next_msg(c);
    EXPECT_EQ(error_code_of(m), "unknown_message_type");
    EXPECT_EQ(m.at("data").at("message"), "Unknown message type: subscribe_everything");
    expect_alive(c);
    join(c, room_id_);
    expect_alive(c);
}

TEST_F(ws_commands, malformed_frames_get_errors_and_the_socket_stays_open)
{
    auto c = open_ws(server_, member_.token);
    join(c, room_id_);
    for (std::string bad : {"{not json", "[1,2,3]", "\"join_room\"", "42", "{\"data\":{}}", "{\"type\":5}", "",
                            "{\"type\":\"ping\"", "{\"type\":null}"}) {
        ASSERT_TRUE(c.send_text(bad)) << c.end_reason();
        auto m = next_msg(c);
        EXPECT_EQ(type_of(m), "error") << "for " << bad << ": " << json::serialize(m);
        EXPECT_TRUE(m.at("data").at("message").is_string());
        EXPECT_TRUE(m.at("data").at("error_code").is_string());
    }
    ASSERT_TRUE(c.send_binary(R"({"type":"ping"})"));
    EXPECT_EQ(type_of(next_msg(c)), "error") << "binary frames are refused";
    ASSERT_TRUE(c.send_binary(std::string("\x00\xff\x10", 3)));
    EXPECT_EQ(type_of(next_msg(c)), "error");
    expect_alive(c);
    // Still in its room.
    upload_id(admin_.token, "tone-3s-cbr.mp3");
    EXPECT_EQ(type_of(c.expect("track_added", k_wait)), "track_added");
}

TEST_F(ws_commands, leave_room_stops_room_events)
{
    auto t = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto leaving = open_ws(server_, admin_.token);
    auto staying = open_ws(server_, admin_.token);
    join(leaving, room_id_);
    join(staying, room_id_);
    leaving.drain(k_quiet);
    staying.drain(k_quiet);
    leaving.send_json({{"type", "leave_room"}, {"data", json::object{}}});
    auto left = next_msg(leaving);
    ASSERT_EQ(type_of(left), "room_left") << json::serialize(left);
    EXPECT_TRUE(left.at("data").at("message").is_string());
    ASSERT_EQ(client_.post_json(vote_path(t), json::object{}, member_.token).status, 200);
    EXPECT_EQ(type_of(staying.expect("track_voted", k_wait)), "track_voted") << "the event happened";
    EXPECT_EQ(types_of(leaving.drain(k_quiet)), std::vector<std::string>{});
    leaving.send_json({{"type", "get_room_state"}});
    EXPECT_EQ(error_code_of(next_msg(leaving)), "not_in_room");
    // Leaving the socket's room does not leave the room itself.
    EXPECT_EQ(room_state().at("is_participant"), true);
}

TEST_F(ws_commands, joining_another_room_leaves_the_first)
{
    auto other_room = create_room(client_, admin_.token, unique_name("second"));
    auto t = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto a = open_ws(server_, admin_.token);
    join(a, room_id_);
    a.drain(k_quiet);
    auto second = join(a, other_room);
    EXPECT_EQ(second.at("data").at("room").at("id"), other_room.c_str());
    ASSERT_EQ(client_.post_json(vote_path(t), json::object{}, member_.token).status, 200);
    EXPECT_EQ(types_of(a.drain(k_quiet)), std::vector<std::string>{}) << "no events of the room it left";
    auto status = client_.get("/api/websocket/status").json();
    const auto& rooms = status.at("connection_stats").at("room_connections").as_object();
    EXPECT_FALSE(rooms.contains(room_id_));
    EXPECT_EQ(rooms.at(other_room), 1);
}

}  // namespace
}  // namespace spotik::test
