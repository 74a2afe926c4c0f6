// Integration tests of /api/rooms (CONTRACT §2.2, §2.3, §3, §5) against the real binary.
#include "support/server_process.hpp"
#include "support/test_util.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace spotik::test {
namespace {

namespace json = boost::json;

class rooms_api : public ::testing::Test {
protected:
    server_process server_;
    http_client client_ = server_.client();
    registered_user admin_ = register_user(client_, "admin");
    registered_user guest_ = register_user(client_, "guest");

    json::object create(const std::string& name, const std::string& token)
    {
        auto r = client_.post_json("/api/rooms", json::object{{"name", name}}, token);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json().at("data").as_object();
    }
};

void expect_room_not_found(const http_response& r)
{
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(r.json(), json::parse(R"({"success":false,"message":"Room not found","error":"Room not found"})"));
}

TEST_F(rooms_api, create_returns_the_canonical_room)
{
    auto r = client_.post_json("/api/rooms", json::object{{"name", "  Friday Mix  "}, {"description", "tunes"}},
                               admin_.token);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json().at("message"), "Room created successfully");
    auto room = r.json().at("data").as_object();
    EXPECT_EQ(room.at("name"), "Friday Mix");
    EXPECT_EQ(room.at("description"), "tunes");
    EXPECT_EQ(room.at("administrator_id"), admin_.id.c_str());
    EXPECT_EQ(room.at("administrator").at("username"), admin_.username.c_str());
    EXPECT_EQ(room.at("is_playing"), false);
    EXPECT_TRUE(room.at("current_track").is_null());
    EXPECT_TRUE(room.at("current_track_id").is_null());
    EXPECT_TRUE(room.at("playback_started_at").is_null());
    EXPECT_TRUE(room.at("playback_paused_at").is_null());
    EXPECT_EQ(room.at("current_playback_position").to_number<double>(), 0.0);
    EXPECT_EQ(room.at("participant_count"), 1);
    EXPECT_EQ(room.at("track_count"), 0);
    EXPECT_TRUE(room.at("cover_url").is_null());
    EXPECT_EQ(room.at("is_administrator"), true);
    EXPECT_EQ(room.at("is_participant"), true);
    EXPECT_EQ(room.at("user").at("id"), admin_.id.c_str());
    auto p = room.at("participants").as_array().at(0).as_object();
    EXPECT_EQ(p.at("id"), admin_.id.c_str()) << "participant id is the user id";
    EXPECT_EQ(p.at("user_id"), admin_.id.c_str());
    EXPECT_EQ(p.at("username"), admin_.username.c_str());
    EXPECT_EQ(p.at("is_administrator"), true);
    EXPECT_EQ(p.at("duration_in_room"), "Just joined");
    EXPECT_EQ(p.at("participant_id").as_string().size(), 36u);
    EXPECT_EQ(p.at("user").at("username"), admin_.username.c_str());
}

TEST_F(rooms_api, create_validates_the_name)
{
    auto r = client_.post_json("/api/rooms", json::object{}, admin_.token);
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(r.json().at("errors").at("name").as_array()[0], "The name field is required.");
    r = client_.post_json("/api/rooms", json::object{{"name", "   "}}, admin_.token);
    EXPECT_EQ(r.status, 422);
    r = client_.post_json("/api/rooms", json::object{{"name", std::string(101, 'n')}}, admin_.token);
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(r.json().at("errors").at("name").as_array()[0],
              "The name field must not be greater than 100 characters.");
    // 100 multi-byte characters are fine.
    std::string hundred;
    for (int i = 0; i < 100; ++i) hundred += "é";
    EXPECT_EQ(client_.post_json("/api/rooms", json::object{{"name", hundred}}, admin_.token).status, 201);
    EXPECT_EQ(client_.post_json("/api/rooms", json::object{{"name", "x"}}).status, 401);
}

TEST_F(rooms_api, list_is_newest_first_with_counts)
{
    auto a = create(unique_name("first"), admin_.token);
    auto b = create(unique_name("second"), guest_.token);
    auto r = client_.get_auth("/api/rooms", admin_.token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json().at("message"), "Rooms retrieved successfully");
    auto data = r.json().at("data").as_array();
    ASSERT_GE(data.size(), 2u);
    EXPECT_EQ(data[0].at("id"), b.at("id"));
    EXPECT_EQ(data[1].at("id"), a.at("id"));
    EXPECT_EQ(data[0].at("is_administrator"), false);
    EXPECT_EQ(data[0].at("is_participant"), false);
    EXPECT_EQ(data[0].at("administrator").at("username"), guest_.username.c_str());
    EXPECT_FALSE(data[0].as_object().contains("track_queue"));
    EXPECT_EQ(client_.get("/api/rooms").status, 401);
}

TEST_F(rooms_api, show_join_leave_cycle)
{
    auto room = create(unique_name("cycle"), admin_.token);
    std::string id(room.at("id").as_string());
    auto show = client_.get_auth("/api/rooms/" + id, guest_.token);
    ASSERT_EQ(show.status, 200);
    EXPECT_EQ(show.json().at("data").at("is_participant"), false);
    EXPECT_TRUE(show.json().at("data").at("track_queue").is_array());

    auto join = client_.post_json("/api/rooms/" + id + "/join", json::object{}, guest_.token);
    ASSERT_EQ(join.status, 200) << join.body;
    EXPECT_EQ(join.json().at("message"), "Successfully joined the room");
    EXPECT_EQ(join.json().at("data").at("room").at("participant_count"), 2);
    EXPECT_EQ(join.json().at("data").at("room").at("is_participant"), true);
    EXPECT_EQ(join.json().at("data").at("participant").at("id"), guest_.id.c_str());

    auto again = client_.post_json("/api/rooms/" + id + "/join", json::object{}, guest_.token);
    ASSERT_EQ(again.status, 200);
    EXPECT_EQ(again.json().at("message"), "You are already in this room");
    EXPECT_EQ(again.json().at("data").at("room").at("participant_count"), 2);

    auto parts = client_.get_auth("/api/rooms/" + id + "/participants", guest_.token);
    ASSERT_EQ(parts.status, 200);
    EXPECT_EQ(parts.json().at("data").as_array().size(), 2u);

    auto admin_leave = client_.post_json("/api/rooms/" + id + "/leave", json::object{}, admin_.token);
    EXPECT_EQ(admin_leave.status, 403);
    EXPECT_EQ(admin_leave.json().at("message"), "Room administrator cannot leave the room. Delete the room instead.");

    auto leave = client_.post_json("/api/rooms/" + id + "/leave", json::object{}, guest_.token);
    ASSERT_EQ(leave.status, 200);
    EXPECT_EQ(leave.json().at("message"), "Successfully left the room");
    auto not_member = client_.del("/api/rooms/" + id + "/leave", guest_.token);
    EXPECT_EQ(not_member.status, 404);
    EXPECT_EQ(not_member.json().at("error"), "Not a participant");
    // DELETE alias works for a member.
    ASSERT_EQ(client_.post_json("/api/rooms/" + id + "/join", json::object{}, guest_.token).status, 200);
    EXPECT_EQ(client_.del("/api/rooms/" + id + "/leave", guest_.token).status, 200);
}

TEST_F(rooms_api, update_and_delete_are_administrator_only)
{
    auto room = create(unique_name("owned"), admin_.token);
    std::string id(room.at("id").as_string());
    auto forbidden = client_.put_json("/api/rooms/" + id, json::object{{"name", "hijack"}}, guest_.token);
    EXPECT_EQ(forbidden.status, 403);
    EXPECT_EQ(forbidden.json().at("error"), "Insufficient permissions");
    auto ok =
        client_.put_json("/api/rooms/" + id, json::object{{"name", "Renamed"}, {"description", nullptr}}, admin_.token);
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.json().at("data").at("name"), "Renamed");
    EXPECT_TRUE(ok.json().at("data").at("description").is_null());
    EXPECT_EQ(client_.put_json("/api/rooms/" + id, json::object{{"name", std::string(200, 'x')}}, admin_.token).status,
              422);
    // A name may be left out, but a name that is sent blank or null is refused, not ignored.
    for (const json::value& blank : {json::value(""), json::value("   "), json::value(nullptr)}) {
        auto refused = client_.put_json("/api/rooms/" + id, json::object{{"name", blank}}, admin_.token);
        ASSERT_EQ(refused.status, 422) << json::serialize(blank);
        EXPECT_EQ(refused.json().at("errors").at("name").at(0), "The name field is required.");
    }
    auto unnamed = client_.put_json("/api/rooms/" + id, json::object{{"description", "kept name"}}, admin_.token);
    ASSERT_EQ(unnamed.status, 200) << unnamed.body;
    EXPECT_EQ(unnamed.json().at("data").at("name"), "Renamed");

    auto del_forbidden = client_.del("/api/rooms/" + id, guest_.token);
    EXPECT_EQ(del_forbidden.status, 403);
    EXPECT_EQ(del_forbidden.json().at("message"), "Unauthorized. Only room administrator can delete the room.");
    auto del = client_.del("/api/rooms/" + id, admin_.token);
    ASSERT_EQ(del.status, 200);
    EXPECT_EQ(del.json().at("message"), "Room deleted successfully");
    expect_room_not_found(client_.get_auth("/api/rooms/" + id, admin_.token));
}

TEST_F(rooms_api, malformed_and_unknown_ids_are_404)
{
    for (const std::string& id :
         std::vector<std::string>{"not-a-uuid", "00000000-0000-4000-8000-000000000000", "1'%20OR%20'1'='1",
                                  "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", std::string(300, 'a')}) {
        expect_room_not_found(client_.get_auth("/api/rooms/" + id, admin_.token));
        expect_room_not_found(client_.post_json("/api/rooms/" + id + "/join", json::object{}, admin_.token));
        expect_room_not_found(client_.del("/api/rooms/" + id, admin_.token));
    }
    EXPECT_EQ(client_.get("/api/rooms/not-a-uuid").status, 401) << "auth is checked first";
}

TEST_F(rooms_api, upper_case_ids_find_the_room)
{
    auto room = create(unique_name("upper"), admin_.token);
    std::string id(room.at("id").as_string());
    for (auto& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(client_.get_auth("/api/rooms/" + id, admin_.token).status, 200);
}

TEST_F(rooms_api, rooms_survive_a_restart)
{
    auto room = create(unique_name("durable"), admin_.token);
    server_.restart();
    auto client = server_.client();
    auto r = client.get_auth("/api/rooms/" + std::string(room.at("id").as_string()), admin_.token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json().at("data").at("name"), room.at("name"));
}

}  // namespace
}  // namespace spotik::test
