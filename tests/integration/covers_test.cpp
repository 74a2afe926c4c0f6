// Room and track covers (CONTRACT §5.6, §6.3, §8.4): stored by their real type, served
// publicly under /api/storage and nowhere else, replaced whole, and left one or none by racing
// changes and deletions.
#include "support/room_fixture.hpp"

#include <filesystem>
#include <thread>

namespace spotik::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

class covers_api : public room_fixture {};

TEST_F(covers_api, room_cover_upload_and_public_serving)
{
    multipart_builder mp;
    mp.add_file("cover_image", "Cover.PNG", "image/png", read_file_bytes(fixture_path("cover.png")));
    auto denied = client_.post_body("/api/rooms/" + room_id_ + "/cover", mp.body(), mp.content_type(), member_.token);
    EXPECT_EQ(denied.status, 403);
    auto r = client_.post_body("/api/rooms/" + room_id_ + "/cover", mp.body(), mp.content_type(), admin_.token);
    ASSERT_EQ(r.status, 200) << r.body;
    std::string url(r.json().at("cover_url").as_string());
    EXPECT_EQ(url, "/api/storage/room_covers/" + room_id_ + ".png");
    EXPECT_EQ(room_state().at("cover_url"), url.c_str());
    auto img = client_.get(url);
    ASSERT_EQ(img.status, 200);
    EXPECT_EQ(img.header("content-type"), "image/png");
    EXPECT_EQ(img.body, read_file_bytes(fixture_path("cover.png")));
    // A JPEG replaces the PNG.
    multipart_builder jp;
    jp.add_file("cover_image", "c.jpg", "image/jpeg", read_file_bytes(fixture_path("cover.jpg")));
    auto r2 = client_.post_body("/api/rooms/" + room_id_ + "/cover", jp.body(), jp.content_type(), admin_.token);
    ASSERT_EQ(r2.status, 200);
    EXPECT_EQ(client_.get(url).status, 404);
    // Not an image.
    multipart_builder bad;
    bad.add_file("cover_image", "c.png", "image/png", read_file_bytes(fixture_path("tone-3s-cbr.mp3")));
    auto r3 = client_.post_body("/api/rooms/" + room_id_ + "/cover", bad.body(), bad.content_type(), admin_.token);
    EXPECT_EQ(r3.status, 422);
    EXPECT_TRUE(r3.json().at("errors").at("cover_image").is_array());
    // A PNG cut short (its header intact) is refused too, and the JPEG cover stays.
    const auto png = read_file_bytes(fixture_path("cover.png"));
    multipart_builder cut;
    cut.add_file("cover_image", "c.png", "image/png", png.substr(0, png.size() - 20));
    auto r4 = client_.post_body("/api/rooms/" + room_id_ + "/cover", cut.body(), cut.content_type(), admin_.token);
    EXPECT_EQ(r4.status, 422) << r4.body;
    EXPECT_TRUE(r4.json().at("errors").at("cover_image").is_array());
    std::string jpeg_url(r2.json().at("cover_url").as_string());
    EXPECT_EQ(room_state().at("cover_url"), jpeg_url.c_str());
    EXPECT_EQ(client_.get(jpeg_url).body, read_file_bytes(fixture_path("cover.jpg")));
}

// Covers sent at the same time leave one cover, the one the room shows; a cover that races the
// room's deletion leaves no file behind, whichever of the two answers 200.
TEST_F(covers_api, racing_cover_changes_and_deletions_leave_one_cover_or_none)
{
    const std::string covers = server_.data_dir() + "/storage/public/room_covers/";
    auto covers_of = [&](const std::string& room) {
        std::vector<std::string> found;
        for (const char* ext : {"jpg", "jpeg", "png", "webp"})
            if (fs::exists(covers + room + "." + ext)) found.push_back(ext);
        return found;
    };
    multipart_builder png, jpg;
    png.add_file("cover_image", "c.png", "image/png", read_file_bytes(fixture_path("cover.png")));
    jpg.add_file("cover_image", "c.jpg", "image/jpeg", read_file_bytes(fixture_path("cover.jpg")));
    auto send_cover = [&](const std::string& room, const multipart_builder& mp) {
        return server_.client().post_body("/api/rooms/" + room + "/cover", mp.body(), mp.content_type(), admin_.token);
    };
    for (int round = 0; round < 6; ++round) {
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&, i] { EXPECT_EQ(send_cover(room_id_, i % 2 ? jpg : png).status, 200); });
        for (auto& t : threads) t.join();
        auto left = covers_of(room_id_);
        ASSERT_EQ(left.size(), 1u) << "round " << round;
        EXPECT_EQ(room_state().at("cover_url"), ("/api/storage/room_covers/" + room_id_ + "." + left[0]).c_str());
    }
    for (int round = 0; round < 10; ++round) {
        auto room = create_room(client_, admin_.token, unique_name("doomed"));
        std::thread cover([&] {
            auto r = send_cover(room, png);
            EXPECT_TRUE(r.status == 200 || r.status == 404) << r.status;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(round * 3));
        EXPECT_EQ(server_.client().del("/api/rooms/" + room, admin_.token).status, 200);
        cover.join();
        EXPECT_TRUE(covers_of(room).empty()) << "round " << round;
    }
}

TEST_F(covers_api, storage_paths_cannot_escape)
{
    for (const std::string& p :
         std::vector<std::string>{"/api/storage/../jwt_secret", "/api/storage/room_covers/../../jwt_secret",
                                  "/api/storage/room_covers/%2e%2e/%2e%2e/jwt_secret", "/api/storage/etc/passwd",
                                  "/api/storage/track_covers/.hidden", "/api/storage/room_covers/a/b.png"}) {
        auto r = client_.get(p);
        EXPECT_TRUE(r.status == 403 || r.status == 404) << p << " -> " << r.status;
        EXPECT_EQ(r.body.find(server_.env("JWT_SECRET")), std::string::npos);
    }
    EXPECT_EQ(client_.get("/api/storage/room_covers/missing.png").status, 404);
}

TEST_F(covers_api, track_cover_is_stored_with_the_upload)
{
    multipart_builder mp;
    mp.add_file("audio_file", "t.mp3", "audio/mpeg", read_file_bytes(fixture_path("tone-3s-cbr.mp3")));
    mp.add_file("cover_image", "c.jpg", "image/jpeg", read_file_bytes(fixture_path("cover.jpg")));
    auto r = client_.post_body("/api/rooms/" + room_id_ + "/tracks", mp.body(), mp.content_type(), member_.token);
    ASSERT_EQ(r.status, 201) << r.body;
    std::string cover(r.json().at("track").at("cover_url").as_string());
    EXPECT_EQ(client_.get(cover).status, 200);
}

}  // namespace
}  // namespace spotik::test
