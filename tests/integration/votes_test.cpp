// Votes (CONTRACT §3 Voting, §6.5): idempotent add/remove, the R alias, participant checks,
// and 50 users voting at once without losing or doubling a vote.
#include "support/room_fixture.hpp"

#include <atomic>
#include <thread>

namespace spotik::test {
namespace {

namespace json = boost::json;

class votes_api : public room_fixture {};

TEST_F(votes_api, add_and_remove_are_idempotent)
{
    auto t = upload_id(member_.token, "tone-3s-cbr.mp3");
    std::string path = "/api/rooms/" + room_id_ + "/tracks/" + t + "/vote";
    auto r = client_.post_json(path, json::object{}, member_.token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json(), json::parse(R"({"message":"Vote added successfully","vote_score":1,"user_has_voted":true})"));
    r = client_.post_json(path, json::object{}, member_.token);
    EXPECT_EQ(r.json(), json::parse(R"({"message":"Vote already exists","vote_score":1,"user_has_voted":true})"));
    r = client_.post_json(path, json::object{}, admin_.token);  // own tracks and others' alike
    EXPECT_EQ(r.json().at("vote_score"), 2);
    r = client_.del(path, member_.token);
    EXPECT_EQ(r.json(),
              json::parse(R"({"message":"Vote removed successfully","vote_score":1,"user_has_voted":false})"));
    r = client_.del(path, member_.token);
    EXPECT_EQ(r.json(), json::parse(R"({"message":"No vote to remove","vote_score":1,"user_has_voted":false})"));
    // R's alias derives the room from the track.
    r = client_.post_json("/api/tracks/" + t + "/vote", json::object{}, member_.token);
    EXPECT_EQ(r.json().at("vote_score"), 2);
    r = client_.del("/api/tracks/" + t + "/vote", member_.token);
    EXPECT_EQ(r.json().at("vote_score"), 1);
}

TEST_F(votes_api, errors)
{
    auto t = upload_id(member_.token, "tone-3s-cbr.mp3");
    std::string path = "/api/rooms/" + room_id_ + "/tracks/" + t + "/vote";
    auto r = client_.post_json(path, json::object{}, outsider_.token);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.json().at("error"), "You must be a participant of this room to vote");
    r = client_.del(path, outsider_.token);
    EXPECT_EQ(r.json().at("error"), "You must be a participant of this room to remove votes");
    EXPECT_EQ(client_.post_json(path, json::object{}).status, 401);
    auto other_room = create_room(client_, member_.token, "other");
    r = client_.post_json("/api/rooms/" + other_room + "/tracks/" + t + "/vote", json::object{}, member_.token);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.json().at("error"), "Track does not belong to this room");
    r = client_.post_json("/api/rooms/00000000-0000-4000-8000-000000000000/tracks/" + t + "/vote", json::object{},
                          member_.token);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.json().at("error"), "Room not found") << "a missing room is told apart from a track of another room";
    EXPECT_EQ(client_.post_json("/api/tracks/00000000-0000-4000-8000-000000000000/vote", json::object{}, member_.token)
                  .status,
              404);
    EXPECT_EQ(client_.post_json("/api/tracks/nope/vote", json::object{}, member_.token).status, 404);
}

TEST_F(votes_api, fifty_concurrent_voters_are_all_counted)
{
    auto t1 = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto t2 = upload_id(member_.token, "tone-5s.wav");
    std::vector<registered_user> voters;
    for (int i = 0; i < 50; ++i) {
        voters.push_back(register_user(client_, "voter"));
        ASSERT_EQ(client_.post_json("/api/rooms/" + room_id_ + "/join", json::object{}, voters.back().token).status,
                  200);
    }
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 50; ++i) {
        threads.emplace_back([&, i] {
            auto c = server_.client();
            // Everyone votes for t1 (twice, to test idempotency under load); even voters also for t2.
            for (const auto& t : {t1, t1}) {
                if (c.post_json("/api/rooms/" + room_id_ + "/tracks/" + t + "/vote", json::object{}, voters[i].token)
                        .status != 200)
                    ++failures;
            }
            if (i % 2 == 0 &&
                c.post_json("/api/rooms/" + room_id_ + "/tracks/" + t2 + "/vote", json::object{}, voters[i].token)
                        .status != 200)
                ++failures;
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    auto r = client_.get_auth("/api/rooms/" + room_id_ + "/tracks", admin_.token);
    auto tracks = r.json().at("tracks").as_array();
    ASSERT_EQ(tracks.size(), 2u);
    EXPECT_EQ(tracks[0].at("id"), t1.c_str());
    EXPECT_EQ(tracks[0].at("vote_score"), 50);
    EXPECT_EQ(tracks[1].at("vote_score"), 25);
    // Half remove their vote concurrently.
    threads.clear();
    for (int i = 0; i < 50; i += 2)
        threads.emplace_back([&, i] {
            auto c = server_.client();
            c.del("/api/rooms/" + room_id_ + "/tracks/" + t1 + "/vote", voters[i].token);
        });
    for (auto& th : threads) th.join();
    r = client_.get_auth("/api/rooms/" + room_id_ + "/tracks", admin_.token);
    auto after = r.json();
    for (const auto& t : after.at("tracks").as_array())
        if (t.at("id") == t1.c_str()) EXPECT_EQ(t.at("vote_score"), 25);
}

}  // namespace
}  // namespace spotik::test
