// A server with an administrator, a participant and an outsider around one room, plus
// helpers to upload fixture files; shared by the track, vote, playback and stream tests.
#pragma once
#include "support/multipart.hpp"
#include "support/server_process.hpp"
#include "support/test_util.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

namespace spotik::test {

class room_fixture : public ::testing::Test {
protected:
    explicit room_fixture(server_options opts = {}) : server_(std::move(opts)) {}

    void SetUp() override
    {
        admin_ = register_user(client_, "admin");
        member_ = register_user(client_, "member");
        outsider_ = register_user(client_, "outsider");
        room_id_ = create_room(client_, admin_.token, unique_name("room"));
        auto joined = client_.post_json("/api/rooms/" + room_id_ + "/join", boost::json::object{}, member_.token);
        ASSERT_EQ(joined.status, 200) << joined.body;
    }

    // Uploads tests/fixtures/<name> as audio_file (with the extension's usual type).
    http_response upload(const std::string& token, const std::string& fixture, std::string content_type = {},
                         std::string filename = {}, const std::string& room = {})
    {
        if (content_type.empty()) content_type = guess_type(fixture);
        multipart_builder mp;
        mp.add_file("audio_file", filename.empty() ? fixture : filename, content_type,
                    read_file_bytes(fixture_path(fixture)));
        return client_.post_body("/api/rooms/" + (room.empty() ? room_id_ : room) + "/tracks", mp.body(),
                                 mp.content_type(), token);
    }

    std::string upload_id(const std::string& token, const std::string& fixture)
    {
        auto r = upload(token, fixture);
        EXPECT_EQ(r.status, 201) << r.body;
        return std::string(r.json().at("track").at("id").as_string());
    }

    static std::string guess_type(const std::string& name)
    {
        if (name.ends_with(".mp3")) return "audio/mpeg";
        if (name.ends_with(".wav")) return "audio/wav";
        if (name.ends_with(".m4a")) return "audio/mp4";
        if (name.ends_with(".png")) return "image/png";
        return "application/octet-stream";
    }

    boost::json::object room_state()
    {
        auto r = client_.get_auth("/api/rooms/" + room_id_, admin_.token);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json().at("data").as_object();
    }

    server_process server_;
    http_client client_ = server_.client();
    registered_user admin_, member_, outsider_;
    std::string room_id_;
};

}  // namespace spotik::test
