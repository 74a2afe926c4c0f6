// Uploads, queue and deletion (CONTRACT §6, fixtures README): every fixture gets its stated
// outcome and refused files leave no row and no file behind. Covers are in covers_test.cpp.
#include "support/raw_connection.hpp"
#include "support/room_fixture.hpp"

#include <atomic>
#include <filesystem>
#include <thread>

namespace spotik::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

class tracks_api : public room_fixture {
protected:
    std::size_t stored_files()
    {
        std::size_t n = 0;
        for (const char* dir : {"/storage/audio", "/storage/public", "/storage/temp"}) {
            std::error_code ec;
            for (auto it = fs::recursive_directory_iterator(server_.data_dir() + dir, ec);
                 it != fs::recursive_directory_iterator(); ++it)
                if (it->is_regular_file()) ++n;
        }
        return n;
    }
    std::size_t queue_size()
    {
        auto r = client_.get_auth("/api/rooms/" + room_id_ + "/tracks", admin_.token);
        return r.json().at("tracks").as_array().size();
    }
};

struct good_case {
    const char* file;
    std::int64_t duration;
    const char* mime;
};

TEST_F(tracks_api, valid_fixtures_are_accepted_with_real_durations)
{
    for (auto c : {good_case{"tone-3s-cbr.mp3", 3, "audio/mpeg"}, good_case{"tone-3s-bare.mp3", 3, "audio/mpeg"},
                   good_case{"tone-7s-vbr.mp3", 7, "audio/mpeg"}, good_case{"tone-5s.wav", 5, "audio/wav"},
                   good_case{"tone-4s.m4a", 4, "audio/mp4"}}) {
        auto r = upload(member_.token, c.file);
        ASSERT_EQ(r.status, 201) << c.file << ": " << r.body;
        EXPECT_EQ(r.json().at("message"), "Track uploaded successfully");
        auto t = r.json().at("track").as_object();
        EXPECT_EQ(t.at("duration_seconds"), c.duration) << c.file;
        EXPECT_EQ(t.at("mime_type"), c.mime) << c.file;
        EXPECT_EQ(t.at("original_name"), c.file);
        EXPECT_EQ(t.at("file_size_bytes").as_int64(), std::int64_t(fs::file_size(fixture_path(c.file))));
        EXPECT_EQ(t.at("uploader").at("username"), member_.username.c_str());
        EXPECT_EQ(t.at("room_id"), room_id_.c_str());
        EXPECT_EQ(t.at("vote_score"), 0);
        EXPECT_EQ(t.at("user_has_voted"), false);
        EXPECT_EQ(std::string(t.at("file_url").as_string()),
                  "/api/tracks/" + std::string(t.at("id").as_string()) + "/stream");
        EXPECT_FALSE(t.contains("file_path"));
    }
    EXPECT_EQ(queue_size(), 5u);
}

TEST_F(tracks_api, invalid_files_leave_nothing_behind)
{
    upload_id(member_.token, "tone-3s-cbr.mp3");
    auto files_before = stored_files();
    for (const char* bad :
         {"fake-text.mp3", "empty.mp3", "image-as-audio.wav", "header-only.wav", "cover.png", "cover.jpg"}) {
        auto r = upload(member_.token, bad, bad == std::string("cover.png") ? "audio/wav" : "");
        EXPECT_EQ(r.status, 422) << bad << ": " << r.body;
        EXPECT_EQ(r.json().at("error"), "Validation failed") << bad;
        EXPECT_TRUE(r.json().at("errors").at("audio_file").is_array()) << bad;
    }
    EXPECT_EQ(queue_size(), 1u);
    EXPECT_EQ(stored_files(), files_before);
}

TEST_F(tracks_api, truncated_mp3_does_not_crash)
{
    auto r = upload(member_.token, "truncated.mp3");
    ASSERT_TRUE(r.status == 201 || r.status == 422) << r.body;
    if (r.status == 201) EXPECT_EQ(r.json().at("track").at("duration_seconds"), 0);
    EXPECT_EQ(client_.get("/live").status, 200);
}

TEST_F(tracks_api, extension_and_type_must_agree_with_the_content)
{
    auto files_before = stored_files();
    auto r = upload(member_.token, "tone-3s-cbr.mp3", "audio/mpeg", "song.flac");
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(r.json().at("errors").at("audio_file").as_array()[0],
              "Unsupported file extension: .flac. Supported: mp3, wav, m4a");
    r = upload(member_.token, "tone-3s-cbr.mp3", "video/mp4");
    EXPECT_EQ(r.status, 422);
    r = upload(member_.token, "tone-3s-cbr.mp3", "audio/mpeg", "song.wav");
    EXPECT_EQ(r.status, 422) << "MP3 bytes named .wav";
    EXPECT_EQ(stored_files(), files_before);
    // Aliases browsers send are accepted.
    EXPECT_EQ(upload(member_.token, "tone-5s.wav", "audio/x-wav").status, 201);
    EXPECT_EQ(upload(member_.token, "tone-3s-cbr.mp3", "audio/mp3", "UPPER.MP3").status, 201);
    EXPECT_EQ(upload(member_.token, "tone-4s.m4a", "audio/x-m4a").status, 201);
}

// Multipart headers are raw bytes: a file name that is not UTF-8 once made the track's JSON
// (and every queue holding it) invalid, and PostgreSQL refuses such text.
TEST_F(tracks_api, a_file_name_that_is_not_utf8_is_repaired)
{
    auto r = upload(member_.token, "tone-3s-cbr.mp3", "audio/mpeg",
                    "\xFF\xFE"
                    "b.mp3");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json().at("track").at("original_name"),
              "\xEF\xBF\xBD\xEF\xBF\xBD"
              "b.mp3");
    auto queue = client_.get_auth("/api/rooms/" + room_id_ + "/tracks", member_.token);
    ASSERT_EQ(queue.status, 200);
    EXPECT_EQ(queue.json().at("tracks").as_array().size(), 1u);
}

TEST_F(tracks_api, missing_field_and_not_multipart)
{
    multipart_builder mp;
    mp.add_field("other", "x");
    auto r = client_.post_body("/api/rooms/" + room_id_ + "/tracks", mp.body(), mp.content_type(), member_.token);
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(r.json().at("errors").at("audio_file").as_array()[0], "The audio file field is required.");
    r = client_.post_json("/api/rooms/" + room_id_ + "/tracks", json::object{}, member_.token);
    EXPECT_EQ(r.status, 422);
    r = client_.post_body("/api/rooms/" + room_id_ + "/tracks", "--x\r\nbroken", "multipart/form-data; boundary=x",
                          member_.token);
    EXPECT_EQ(r.status, 422);
}

TEST_F(tracks_api, uploads_need_a_participant)
{
    auto r = upload(outsider_.token, "tone-3s-cbr.mp3");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.json().at("error"), "You must be a participant of this room to upload tracks");
    EXPECT_EQ(upload("", "tone-3s-cbr.mp3").status, 401);
    EXPECT_EQ(upload(member_.token, "tone-3s-cbr.mp3", "", "", "00000000-0000-4000-8000-000000000000").status, 404);
    EXPECT_EQ(client_.get_auth("/api/rooms/" + room_id_ + "/tracks", outsider_.token).status, 403);
    EXPECT_EQ(client_.get("/api/rooms/" + room_id_ + "/tracks").status, 401);
}

TEST_F(tracks_api, an_oversize_upload_is_refused_while_it_is_received)
{
    raw_connection c{"127.0.0.1", server_.port()};
    std::string head =
        "POST /api/rooms/" + room_id_ + "/tracks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + member_.token +
        "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: " + std::to_string(60 * 1024 * 1024) +
        "\r\n\r\n";
    ASSERT_TRUE(c.send(head));
    // The server answers as soon as it has seen the declared length, before any body byte.
    auto answer = c.read_until("\r\n\r\n", 10s);
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
    EXPECT_EQ(queue_size(), 0u);
}

// Who may not upload is told so from the header alone: the server answers before the body
// (nothing is spooled to disk for a caller who would be refused anyway) and closes.
TEST_F(tracks_api, refused_uploads_are_answered_before_their_body)
{
    const std::string unknown_room = "00000000-0000-4000-8000-000000000000";
    struct refused {
        std::string path, token, status;
    };
    const refused cases[] = {
        {"/api/rooms/" + room_id_ + "/tracks", "", "401"},
        {"/api/rooms/" + room_id_ + "/tracks", "not-a-token", "401"},
        {"/api/rooms/" + room_id_ + "/tracks", outsider_.token, "403"},
        {"/api/rooms/" + unknown_room + "/tracks", member_.token, "404"},
        {"/api/rooms/" + room_id_ + "/cover", "", "401"},
        {"/api/rooms/" + room_id_ + "/cover", member_.token, "403"},
        {"/api/rooms/" + unknown_room + "/cover", admin_.token, "404"},
    };
    auto files_before = stored_files();
    for (const auto& r : cases) {
        raw_connection c{"127.0.0.1", server_.port()};
        std::string auth = r.token.empty() ? "" : "Authorization: Bearer " + r.token + "\r\n";
        ASSERT_TRUE(c.send("POST " + r.path + " HTTP/1.1\r\nHost: x\r\n" + auth +
                           "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: " +
                           std::to_string(40 * 1024 * 1024) + "\r\n\r\n--b\r\n"));
        auto answer = c.read_until("\r\n\r\n", 10s);
        EXPECT_EQ(answer.rfind("HTTP/1.1 " + r.status, 0), 0u) << r.path << ": " << answer.substr(0, 200);
        EXPECT_TRUE(c.closed_by_peer(10s)) << r.path;
    }
    EXPECT_EQ(stored_files(), files_before);
    // A token in the query counts as well, and a caller who may upload is then received whole.
    multipart_builder mp;
    mp.add_file("audio_file", "a.mp3", "audio/mpeg", read_file_bytes(fixture_path("tone-3s-cbr.mp3")));
    auto ok = client_.post_body("/api/rooms/" + room_id_ + "/tracks?token=" + member_.token, mp.body(),
                                mp.content_type(), "");
    EXPECT_EQ(ok.status, 201) << ok.body;
}

TEST_F(tracks_api, a_client_that_disconnects_mid_upload_leaves_nothing)
{
    auto files_before = stored_files();
    {
        raw_connection c{"127.0.0.1", server_.port()};
        std::string head =
            "POST /api/rooms/" + room_id_ + "/tracks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + member_.token +
            "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: " + std::to_string(8 * 1024 * 1024) +
            "\r\n\r\n--b\r\nContent-Disposition: form-data; "
            "name=\"audio_file\"; filename=\"a.mp3\"\r\nContent-Type: audio/mpeg\r\n\r\n";
        ASSERT_TRUE(c.send(head));
        ASSERT_TRUE(c.send(read_file_bytes(fixture_path("tone-3s-cbr.mp3"))));
        std::this_thread::sleep_for(300ms);
    }  // the connection closes with most of the body missing
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (stored_files() != files_before && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    EXPECT_EQ(stored_files(), files_before);
    EXPECT_EQ(queue_size(), 0u);
}

TEST_F(tracks_api, a_file_over_the_limit_inside_the_body_is_422)
{
    server_process small{{.env = {{"MAX_FILE_SIZE_MB", "1"}}}};
    auto client = small.client();
    auto u = register_user(client);
    auto room = create_room(client, u.token, "small");
    multipart_builder mp;
    std::string big = read_file_bytes(fixture_path("tone-3s-cbr.mp3"));
    while (big.size() < 1500 * 1024) big += big;
    mp.add_file("audio_file", "big.mp3", "audio/mpeg", big);
    auto r = client.post_body("/api/rooms/" + room + "/tracks", mp.body(), mp.content_type(), u.token);
    ASSERT_EQ(r.status, 422) << r.body;
    auto msg = std::string(r.json().at("errors").at("audio_file").as_array()[0].as_string());
    EXPECT_NE(msg.find("exceeds maximum allowed size (1.0 MB)"), std::string::npos) << msg;
}

TEST_F(tracks_api, concurrent_uploads_are_all_stored)
{
    const std::string bytes = read_file_bytes(fixture_path("tone-5s.wav"));
    std::atomic<int> created{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 10; ++i)
        threads.emplace_back([&, i] {
            auto c = server_.client();
            multipart_builder mp;
            mp.add_file("audio_file", "t" + std::to_string(i) + ".wav", "audio/wav", bytes);
            auto r = c.post_body("/api/rooms/" + room_id_ + "/tracks", mp.body(), mp.content_type(),
                                 i % 2 ? member_.token : admin_.token);
            if (r.status == 201) ++created;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(created.load(), 10);
    EXPECT_EQ(queue_size(), 10u);
    EXPECT_EQ(stored_files(), 10u) << "one audio file per track, no leftovers";
    // Exactly one of them auto-started.
    EXPECT_EQ(room_state().at("is_playing"), true);
}

TEST_F(tracks_api, queue_is_ordered_by_votes_then_age)
{
    auto a = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto b = upload_id(member_.token, "tone-5s.wav");
    auto c = upload_id(member_.token, "tone-4s.m4a");
    ASSERT_EQ(
        client_.post_json("/api/rooms/" + room_id_ + "/tracks/" + c + "/vote", json::object{}, member_.token).status,
        200);
    auto r = client_.get_auth("/api/rooms/" + room_id_ + "/tracks", member_.token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json().at("total_count"), 3);
    auto tracks = r.json().at("tracks").as_array();
    EXPECT_EQ(tracks[0].at("id"), c.c_str());
    EXPECT_EQ(tracks[0].at("user_has_voted"), true);
    EXPECT_EQ(tracks[1].at("id"), a.c_str());
    EXPECT_EQ(tracks[2].at("id"), b.c_str());
    auto admin_view = client_.get_auth("/api/rooms/" + room_id_ + "/tracks", admin_.token);
    EXPECT_EQ(admin_view.json().at("tracks").as_array()[0].at("user_has_voted"), false);
}

TEST_F(tracks_api, delete_by_uploader_or_admin_removes_file_and_row)
{
    auto t = upload_id(member_.token, "tone-3s-cbr.mp3");
    auto t2 = upload_id(member_.token, "tone-5s.wav");
    auto outsider_try = client_.del("/api/rooms/" + room_id_ + "/tracks/" + t, outsider_.token);
    EXPECT_EQ(outsider_try.status, 403);
    auto other = register_user(client_, "other");
    client_.post_json("/api/rooms/" + room_id_ + "/join", json::object{}, other.token);
    EXPECT_EQ(client_.del("/api/rooms/" + room_id_ + "/tracks/" + t, other.token).status, 403);
    auto r = client_.del("/api/rooms/" + room_id_ + "/tracks/" + t, member_.token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json().at("message"), "Track deleted successfully");
    EXPECT_EQ(client_.del("/api/rooms/" + room_id_ + "/tracks/" + t2, admin_.token).status, 200);
    EXPECT_EQ(queue_size(), 0u);
    EXPECT_EQ(stored_files(), 0u);
    auto gone = client_.del("/api/rooms/" + room_id_ + "/tracks/" + t, admin_.token);
    EXPECT_EQ(gone.status, 404);
    EXPECT_EQ(gone.json().at("error"), "Track does not belong to this room");
    EXPECT_EQ(client_.del("/api/rooms/" + room_id_ + "/tracks/not-a-uuid", admin_.token).status, 404);
}

TEST_F(tracks_api, deleting_the_current_track_stops_playback)
{
    auto t = upload_id(member_.token, "tone-7s-vbr.mp3");  // auto-starts
    EXPECT_EQ(room_state().at("is_playing"), true);
    ASSERT_EQ(client_.del("/api/rooms/" + room_id_ + "/tracks/" + t, admin_.token).status, 200);
    auto room = room_state();
    EXPECT_EQ(room.at("is_playing"), false);
    EXPECT_TRUE(room.at("current_track").is_null());
}

TEST_F(tracks_api, deleting_a_room_removes_its_files)
{
    upload_id(member_.token, "tone-3s-cbr.mp3");
    upload_id(member_.token, "tone-5s.wav");
    ASSERT_GT(stored_files(), 0u);
    ASSERT_EQ(client_.del("/api/rooms/" + room_id_, admin_.token).status, 200);
    EXPECT_EQ(stored_files(), 0u);
}

// Uploads racing their room's deletion: each is stored (201) and then deleted with the room,
// or refused (404); either way neither its audio file nor its cover outlives the room.
TEST_F(tracks_api, uploads_racing_the_rooms_deletion_leave_no_file)
{
    multipart_builder mp;
    mp.add_file("audio_file", "t.mp3", "audio/mpeg", read_file_bytes(fixture_path("tone-3s-bare.mp3")));
    mp.add_file("cover_image", "c.png", "image/png", read_file_bytes(fixture_path("cover.png")));
    for (int round = 0; round < 12; ++round) {
        auto room = create_room(client_, admin_.token, unique_name("doomed"));
        std::vector<std::thread> uploads;
        for (int i = 0; i < 4; ++i)
            uploads.emplace_back([&] {
                auto r = server_.client().post_body("/api/rooms/" + room + "/tracks", mp.body(), mp.content_type(),
                                                    admin_.token);
                EXPECT_TRUE(r.status == 201 || r.status == 404) << r.status << " " << r.body;
            });
        std::this_thread::sleep_for(std::chrono::milliseconds(round * 2));
        EXPECT_EQ(server_.client().del("/api/rooms/" + room, admin_.token).status, 200);
        for (auto& t : uploads) t.join();
        EXPECT_EQ(stored_files(), 0u) << "round " << round;
    }
}

}  // namespace
}  // namespace spotik::test
