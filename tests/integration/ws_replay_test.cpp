// Replay after a reconnect (CONTRACT §9, issue 4's recovery): join_room with last_seq gets
// every missed event once and in order, and a gap older than the room's history (bounded by
// WS_HISTORY_SIZE and WS_HISTORY_MAX_BYTES) gets room_state with recovered: false.
#include "integration/ws_flow_support.hpp"

namespace spotik::test {
namespace {

class ws_replay : public room_fixture {
protected:
    ws_replay() : room_fixture({.env = {{"AUTO_ADVANCE", "false"}}}) {}
    void SetUp() override
    {
        room_fixture::SetUp();
        track_ = upload_id(member_.token, "tone-3s-cbr.mp3");
    }
    // Alternately adds and removes the member's vote: one track_voted each.
    void toggle_vote()
    {
        std::string path = "/api/rooms/" + room_id_ + "/tracks/" + track_ + "/vote";
        auto r = voted_ ? client_.del(path, member_.token) : client_.post_json(path, json::object{}, member_.token);
        ASSERT_EQ(r.status, 200) << r.body;
        voted_ = !voted_;
    }
    std::string track_;
    bool voted_ = false;
};

TEST_F(ws_replay, reconnect_with_last_seq_gets_every_missed_event_once_in_order)
{
    std::uint64_t last_seen = 0;
    {
        auto c1 = open_ws(server_, admin_.token);
        auto joined = join(c1, room_id_);
        auto current = joined.at("data").at("last_seq").to_number<std::uint64_t>();
        EXPECT_GE(current, 3u) << "upload, auto-start and its room_state_updated";
        toggle_vote();
        auto live = c1.expect("track_voted", k_wait);
        EXPECT_EQ(seq_of(live), current + 1);
        last_seen = seq_of(live);
        EXPECT_EQ(c1.drain(k_quiet).size(), 0u);
        c1.close();
    }
    for (int i = 0; i < 5; ++i) toggle_vote();

    auto c2 = open_ws(server_, admin_.token);
    c2.send_json({{"type", "join_room"}, {"data", {{"room_id", room_id_}, {"last_seq", last_seen}}}});
    auto msgs = c2.drain(k_quiet);
    ASSERT_EQ(types_of(msgs),
              (types{"room_joined", "track_voted", "track_voted", "track_voted", "track_voted", "track_voted"}));
    EXPECT_EQ(msgs[0].at("data").at("last_seq").to_number<std::uint64_t>(), last_seen + 5);
    for (std::size_t i = 1; i < msgs.size(); ++i) {
        EXPECT_EQ(seq_of(msgs[i]), last_seen + i);
        // The vote was on after c1's event, so the missed ones go off, on, off, on, off.
        EXPECT_EQ(msgs[i].at("data").at("vote_added"), i % 2 == 0);
        EXPECT_EQ(msgs[i].at("data").at("track").at("vote_score"), i % 2 == 0 ? 1 : 0);
    }
    // Then live events continue, each exactly once.
    toggle_vote();
    auto live = c2.drain(k_quiet);
    ASSERT_EQ(types_of(live), types{"track_voted"});
    EXPECT_EQ(seq_of(live[0]), last_seen + 6);

    // Nothing missed: only the join reply.
    auto c3 = open_ws(server_, admin_.token);
    c3.send_json({{"type", "join_room"}, {"data", {{"room_id", room_id_}, {"last_seq", last_seen + 6}}}});
    EXPECT_EQ(types_of(c3.drain(k_quiet)), types{"room_joined"});
    // A last_seq from the future (the numbering restarted with the server, or came from
    // another one) cannot be caught up by replay: the client gets the whole state again.
    auto c4 = open_ws(server_, admin_.token);
    c4.send_json({{"type", "join_room"}, {"data", {{"room_id", room_id_}, {"last_seq", last_seen + 1000}}}});
    auto future = c4.drain(k_quiet);
    ASSERT_EQ(types_of(future), (types{"room_joined", "room_state"}));
    EXPECT_EQ(future[1].at("data").at("recovered"), false);
    EXPECT_EQ(future[1].at("data").at("last_seq").to_number<std::uint64_t>(), last_seen + 6);
}

// A room whose member voted `votes` times (vote, unvote, ...) after the administrator's only
// socket went away; `seen` is the last seq that socket saw.
struct missed_votes {
    registered_user admin;
    std::string room;
    std::uint64_t seen = 0;
    registered_user member;
    std::string vote_path;
};

// The member votes `votes` more times, going on from `done` votes (vote, unvote, ...).
void vote_again(http_client& http, const missed_votes& m, int done, int votes)
{
    for (int i = done; i < done + votes; ++i) {
        auto r = i % 2 == 0 ? http.post_json(m.vote_path, json::object{}, m.member.token)
                            : http.del(m.vote_path, m.member.token);
        ASSERT_EQ(r.status, 200) << r.body;
    }
}

void vote_while_away(server_process& server, int votes, missed_votes& out)
{
    auto http = server.client();
    out.admin = register_user(http, "admin");
    auto& member = out.member;
    member = register_user(http, "member");
    out.room = create_room(http, out.admin.token, unique_name("history"));
    ASSERT_EQ(http.post_json("/api/rooms/" + out.room + "/join", json::object{}, member.token).status, 200);
    multipart_builder mp;
    mp.add_file("audio_file", "tone-3s-cbr.mp3", "audio/mpeg", read_file_bytes(fixture_path("tone-3s-cbr.mp3")));
    auto up = http.post_body("/api/rooms/" + out.room + "/tracks", mp.body(), mp.content_type(), member.token);
    ASSERT_EQ(up.status, 201) << up.body;
    out.vote_path =
        "/api/rooms/" + out.room + "/tracks/" + std::string(up.json().at("track").at("id").as_string()) + "/vote";
    {
        auto c1 = open_ws(server, out.admin.token);
        out.seen = join(c1, out.room).at("data").at("last_seq").to_number<std::uint64_t>();
    }
    vote_again(http, out, 0, votes);
}

TEST(ws_replay_history, a_gap_older_than_the_history_answers_room_state_not_recovered)
{
    server_process server{{.env = {{"AUTO_ADVANCE", "false"}, {"WS_HISTORY_SIZE", "3"}}}};
    missed_votes m;
    ASSERT_NO_FATAL_FAILURE(vote_while_away(server, 4, m));
    const auto& admin = m.admin;
    const auto& room = m.room;
    const auto seen = m.seen;
    // Four missed, three kept: not recoverable.
    auto c2 = open_ws(server, admin.token);
    c2.send_json({{"type", "join_room"}, {"data", {{"room_id", room}, {"last_seq", seen}}}});
    auto msgs = c2.drain(k_quiet);
    ASSERT_EQ(types_of(msgs), (types{"room_joined", "room_state"}));
    const auto& d = msgs[1].at("data").as_object();
    EXPECT_EQ(d.at("recovered"), false);
    EXPECT_EQ(d.at("room").at("id"), room.c_str());
    EXPECT_EQ(d.at("last_seq").to_number<std::uint64_t>(), seen + 4);
    // Exactly three missed: all still in the history.
    auto c3 = open_ws(server, admin.token);
    c3.send_json({{"type", "join_room"}, {"data", {{"room_id", room}, {"last_seq", seen + 1}}}});
    msgs = c3.drain(k_quiet);
    ASSERT_EQ(types_of(msgs), (types{"room_joined", "track_voted", "track_voted", "track_voted"}));
    for (std::size_t i = 1; i < msgs.size(); ++i) EXPECT_EQ(seq_of(msgs[i]), seen + 1 + i);
}

TEST(ws_replay_history, the_history_is_bounded_by_bytes_too)
{
    server_process server{{.env = {{"AUTO_ADVANCE", "false"}, {"WS_HISTORY_MAX_BYTES", "1024"}}}};
    missed_votes m;
    ASSERT_NO_FATAL_FAILURE(vote_while_away(server, 8, m));
    const auto& admin = m.admin;
    const auto& room = m.room;
    const auto seen = m.seen;
    auto http = server.client();
    // Eight events of about a kilobyte each do not fit in 1 KiB (the count bound is 256).
    auto c2 = open_ws(server, admin.token);
    c2.send_json({{"type", "join_room"}, {"data", {{"room_id", room}, {"last_seq", seen}}}});
    auto msgs = c2.drain(k_quiet);
    ASSERT_EQ(types_of(msgs), (types{"room_joined", "room_state"}));
    EXPECT_EQ(msgs[1].at("data").at("recovered"), false);
    // The newest event is always kept.
    auto c3 = open_ws(server, admin.token);
    c3.send_json({{"type", "join_room"}, {"data", {{"room_id", room}, {"last_seq", seen + 7}}}});
    msgs = c3.drain(k_quiet);
    ASSERT_EQ(types_of(msgs), (types{"room_joined", "track_voted"}));
    EXPECT_EQ(seq_of(msgs[1]), seen + 8);
    // What is kept: 1 KiB at most, or the newest event alone when it is bigger.
    auto kept = http.get("/api/websocket/status").json().at("connection_stats").at("history_bytes");
    EXPECT_GT(kept.to_number<std::int64_t>(), 0);
    EXPECT_LT(kept.to_number<std::int64_t>(), 2048);
}

// Without a shared bus a room's numbering starts over with the server. A client that saw
// events before a restart, and then missed more than that many after it, is told so
// (room_state, recovered: false) rather than replayed the new numbering's events as if they
// were the ones it missed: the new run numbers its events above any the old one handed out.
TEST(ws_replay_history, a_last_seq_from_before_a_restart_is_not_mistaken_for_a_new_one)
{
    server_process server{{.env = {{"AUTO_ADVANCE", "false"}}}};
    missed_votes m;
    ASSERT_NO_FATAL_FAILURE(vote_while_away(server, 2, m));
    const std::uint64_t last_seen = m.seen + 2;  // everything before the restart
    server.restart();
    auto http = server.client();
    // More events than the old run had (five or so): were the numbering to start over at 0,
    // they would reach past last_seen.
    const int votes_after = 12;
    ASSERT_NO_FATAL_FAILURE(vote_again(http, m, 2, votes_after));
    auto c = open_ws(server, m.admin.token);
    c.send_json({{"type", "join_room"}, {"data", {{"room_id", m.room}, {"last_seq", last_seen}}}});
    auto msgs = c.drain(k_quiet);
    ASSERT_EQ(types_of(msgs), (types{"room_joined", "room_state"}));
    EXPECT_EQ(msgs[1].at("data").at("recovered"), false);
    // The new numbering goes on from there: a client that saw it is replayed what it missed.
    const auto now = msgs[1].at("data").at("last_seq").to_number<std::uint64_t>();
    EXPECT_GT(now, last_seen);
    ASSERT_NO_FATAL_FAILURE(vote_again(http, m, 2 + votes_after, 2));
    auto c2 = open_ws(server, m.admin.token);
    c2.send_json({{"type", "join_room"}, {"data", {{"room_id", m.room}, {"last_seq", now}}}});
    EXPECT_EQ(types_of(c2.drain(k_quiet)), (types{"room_joined", "track_voted", "track_voted"}));
}

}  // namespace
}  // namespace spotik::test
