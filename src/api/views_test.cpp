// Unit tests for api/views: duration, file-size and time-in-room strings, and the contract's
// User, Track, Participant and Room shapes (CONTRACT §2, §7.1): keys present, secrets absent,
// viewer-relative fields only with a viewer, and the playback fields of rules 1-3.
#include "api/views.hpp"

#include "util/time_format.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>

namespace spotik::api {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t k_now = 1'737'000'000'000;
const std::string k_admin_id = "a0000000-0000-4000-8000-000000000001";
const std::string k_other_id = "b0000000-0000-4000-8000-000000000002";
const std::string k_room_id = "c0000000-0000-4000-8000-000000000003";
const std::string k_track_id = "d0000000-0000-4000-8000-000000000004";
const std::string k_hash = "$2y$12$secretsecretsecretsecretsecretsecretsecretsecretsecre";

std::set<std::string> keys_of(const boost::json::object& o)
{
    std::set<std::string> out;
    for (const auto& kv : o) out.emplace(kv.key());
    return out;
}

storage::user_record user(const std::string& id, const std::string& name)
{
    return {.id = id,
            .username = name,
            .email = name + "@example.org",
            .password_hash = k_hash,
            .created_at = k_now - 86'400'000,
            .updated_at = k_now - 3'600'000};
}

storage::track_record track(const std::string& id = k_track_id)
{
    return {.id = id,
            .room_id = k_room_id,
            .uploader_id = k_other_id,
            .filename = id + ".mp3",
            .original_name = "Song.mp3",
            .file_path = "tracks/" + id + ".mp3",
            .duration_seconds = 185,
            .file_size_bytes = 3'617'587,
            .mime_type = "audio/mpeg",
            .vote_score = 2,
            .created_at = k_now - 60'000,
            .updated_at = k_now - 30'000,
            .uploader_username = "bob",
            .user_has_voted = true};
}

storage::participant_record participant(const std::string& row_id, const storage::user_record& u,
                                        std::int64_t joined_at)
{
    auto copy = u;
    copy.password_hash.clear();
    return {.id = row_id, .room_id = k_room_id, .user_id = u.id, .joined_at = joined_at, .user = copy};
}

service::room_view make_room(storage::playback_columns pb = {})
{
    service::room_view v;
    v.room = {.id = k_room_id,
              .name = "Friday",
              .description = std::nullopt,
              .administrator_id = k_admin_id,
              .playback = std::move(pb),
              .created_at = k_now - 7'200'000,
              .updated_at = k_now - 3'600'000};
    v.administrator = user(k_admin_id, "alice");
    v.participants = {participant("e0000000-0000-4000-8000-000000000005", user(k_admin_id, "alice"), k_now - 120'000),
                      participant("e0000000-0000-4000-8000-000000000006", user(k_other_id, "bob"), k_now - 30'000)};
    v.track_count = 1;
    return v;
}

// A fresh empty directory standing in for the public storage path.
class public_dir {
public:
    public_dir()
    {
        std::random_device rd;
        path_ = fs::temp_directory_path() / ("spotik_views_test_" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path_ / "track_covers");
    }
    ~public_dir()
    {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string str() const { return path_.string(); }
    void touch(const std::string& rel) const { std::ofstream(path_ / rel) << "x"; }

private:
    fs::path path_;
};

TEST(formatted_duration, known_values)
{
    EXPECT_EQ(formatted_duration(0), "0:00");
    EXPECT_EQ(formatted_duration(5), "0:05");
    EXPECT_EQ(formatted_duration(59), "0:59");
    EXPECT_EQ(formatted_duration(60), "1:00");
    EXPECT_EQ(formatted_duration(61), "1:01");
    EXPECT_EQ(formatted_duration(185), "3:05");
    EXPECT_EQ(formatted_duration(3600), "60:00");
    EXPECT_EQ(formatted_duration(7322), "122:02");
}

TEST(formatted_file_size, bytes)
{
    EXPECT_EQ(formatted_file_size(0), "0 B");
    EXPECT_EQ(formatted_file_size(1), "1 B");
    EXPECT_EQ(formatted_file_size(512), "512 B");
    EXPECT_EQ(formatted_file_size(1024), "1024 B");  // L divides only while > 1024
}

TEST(formatted_file_size, larger_units_round_to_two_places)
{
    EXPECT_EQ(formatted_file_size(1025), "1 KB");
    EXPECT_EQ(formatted_file_size(1536), "1.5 KB");
    EXPECT_EQ(formatted_file_size(10 * 1024 + 10), "10.01 KB");
    EXPECT_EQ(formatted_file_size(1024 * 1024), "1024 KB");
    EXPECT_EQ(formatted_file_size(3'617'587), "3.45 MB");  // the contract's example
    EXPECT_EQ(formatted_file_size(5LL * 1024 * 1024 * 1024), "5 GB");
    EXPECT_EQ(formatted_file_size(2048LL * 1024 * 1024 * 1024), "2048 GB");  // GB is the largest unit
}

TEST(duration_in_room, largest_unit)
{
    EXPECT_EQ(duration_in_room(k_now, k_now), "Just joined");
    EXPECT_EQ(duration_in_room(k_now - 59'999, k_now), "Just joined");
    EXPECT_EQ(duration_in_room(k_now - 60'000, k_now), "1 minute");
    EXPECT_EQ(duration_in_room(k_now - 150'000, k_now), "2 minutes");
    EXPECT_EQ(duration_in_room(k_now - 3'600'000, k_now), "1 hour");
    EXPECT_EQ(duration_in_room(k_now - 2 * 3'600'000 - 1, k_now), "2 hours");
    EXPECT_EQ(duration_in_room(k_now - 86'400'000, k_now), "1 day");
    EXPECT_EQ(duration_in_room(k_now - 3 * 86'400'000 - 5'000, k_now), "3 days");
}

TEST(duration_in_room, joined_in_the_future_is_just_joined)
{
    EXPECT_EQ(duration_in_room(k_now + 600'000, k_now), "Just joined");
}

TEST(user_json, canonical_keys_without_password_hash)
{
    auto o = user_json(user(k_admin_id, "alice"));
    EXPECT_EQ(keys_of(o), (std::set<std::string>{"id", "username", "email", "created_at", "updated_at"}));
    EXPECT_EQ(o.at("id").as_string(), k_admin_id);
    EXPECT_EQ(o.at("username").as_string(), "alice");
    EXPECT_EQ(o.at("email").as_string(), "alice@example.org");
    EXPECT_EQ(o.at("created_at").as_string(), util::iso8601_ms(k_now - 86'400'000));
    EXPECT_EQ(o.at("updated_at").as_string(), util::iso8601_ms(k_now - 3'600'000));
    EXPECT_EQ(boost::json::serialize(o).find("secretsecret"), std::string::npos);
}

TEST(track_json, canonical_keys_and_values)
{
    public_dir dir;
    auto o = track_json(track(), dir.str());
    EXPECT_EQ(keys_of(o),
              (std::set<std::string>{"id", "room_id", "uploader_id", "filename", "original_name", "duration_seconds",
                                     "formatted_duration", "file_size_bytes", "formatted_file_size", "mime_type",
                                     "vote_score", "votes_count", "uploader", "user_has_voted", "created_at",
                                     "updated_at", "file_url", "cover_url"}));
    EXPECT_EQ(o.at("id").as_string(), k_track_id);
    EXPECT_EQ(o.at("room_id").as_string(), k_room_id);
    EXPECT_EQ(o.at("uploader_id").as_string(), k_other_id);
    EXPECT_EQ(o.at("filename").as_string(), k_track_id + ".mp3");
    EXPECT_EQ(o.at("original_name").as_string(), "Song.mp3");
    EXPECT_EQ(o.at("duration_seconds").to_number<std::int64_t>(), 185);
    EXPECT_EQ(o.at("formatted_duration").as_string(), "3:05");
    EXPECT_EQ(o.at("file_size_bytes").to_number<std::int64_t>(), 3'617'587);
    EXPECT_EQ(o.at("formatted_file_size").as_string(), "3.45 MB");
    EXPECT_EQ(o.at("mime_type").as_string(), "audio/mpeg");
    EXPECT_EQ(o.at("vote_score").to_number<std::int64_t>(), 2);
    EXPECT_EQ(o.at("votes_count").to_number<std::int64_t>(), 2);  // §3: vote_score == number of votes
    EXPECT_EQ(keys_of(o.at("uploader").as_object()), (std::set<std::string>{"id", "username"}));
    EXPECT_EQ(o.at("uploader").at("id").as_string(), k_other_id);
    EXPECT_EQ(o.at("uploader").at("username").as_string(), "bob");
    EXPECT_EQ(o.at("user_has_voted").as_bool(), true);
    EXPECT_EQ(o.at("file_url").as_string(), "/api/tracks/" + k_track_id + "/stream");
    EXPECT_TRUE(o.at("cover_url").is_null());
    EXPECT_EQ(o.at("created_at").as_string(), util::iso8601_ms(k_now - 60'000));
    EXPECT_EQ(o.at("updated_at").as_string(), util::iso8601_ms(k_now - 30'000));
}

TEST(track_json, never_exposes_file_path_or_public_dir)
{
    public_dir dir;
    dir.touch("track_covers/" + k_track_id + ".png");
    auto o = track_json(track(), dir.str());
    EXPECT_FALSE(o.contains("file_path"));
    const std::string text = boost::json::serialize(o);
    EXPECT_EQ(text.find("tracks/" + k_track_id + ".mp3"), std::string::npos);
    EXPECT_EQ(text.find(dir.str()), std::string::npos);
}

TEST(track_json, cover_url_when_cover_exists)
{
    public_dir dir;
    dir.touch("track_covers/" + k_track_id + ".png");
    auto o = track_json(track(), dir.str());
    EXPECT_EQ(o.at("cover_url").as_string(), "/api/storage/track_covers/" + k_track_id + ".png");
}

TEST(track_cover_url, checks_jpg_jpeg_png_webp_in_order)
{
    public_dir dir;
    EXPECT_TRUE(track_cover_url(k_track_id, dir.str()).is_null());
    dir.touch("track_covers/" + k_track_id + ".webp");
    EXPECT_EQ(track_cover_url(k_track_id, dir.str()).as_string(), "/api/storage/track_covers/" + k_track_id + ".webp");
    dir.touch("track_covers/" + k_track_id + ".jpeg");
    EXPECT_EQ(track_cover_url(k_track_id, dir.str()).as_string(), "/api/storage/track_covers/" + k_track_id + ".jpeg");
    dir.touch("track_covers/" + k_track_id + ".jpg");
    EXPECT_EQ(track_cover_url(k_track_id, dir.str()).as_string(), "/api/storage/track_covers/" + k_track_id + ".jpg");
    // Another track's cover is not ours.
    EXPECT_TRUE(track_cover_url(k_room_id, dir.str()).is_null());
}

TEST(track_cover_url, missing_public_dir_is_null)
{
    EXPECT_TRUE(track_cover_url(k_track_id, "/nonexistent/spotik/public").is_null());
}

TEST(participant_json, id_is_the_user_id)
{
    auto p = participant("e0000000-0000-4000-8000-000000000006", user(k_other_id, "bob"), k_now - 150'000);
    auto o = participant_json(p, k_admin_id, k_now);
    EXPECT_EQ(keys_of(o), (std::set<std::string>{"id", "participant_id", "user_id", "username", "joined_at",
                                                 "duration_in_room", "is_administrator", "user"}));
    EXPECT_EQ(o.at("id").as_string(), k_other_id);
    EXPECT_EQ(o.at("participant_id").as_string(), "e0000000-0000-4000-8000-000000000006");
    EXPECT_EQ(o.at("user_id").as_string(), k_other_id);
    EXPECT_EQ(o.at("username").as_string(), "bob");
    EXPECT_EQ(o.at("joined_at").as_string(), util::iso8601_ms(k_now - 150'000));
    EXPECT_EQ(o.at("duration_in_room").as_string(), "2 minutes");
    EXPECT_EQ(o.at("is_administrator").as_bool(), false);
    EXPECT_EQ(o.at("user").at("id").as_string(), k_other_id);
    EXPECT_FALSE(o.at("user").as_object().contains("password_hash"));
}

TEST(participant_json, administrator_flag)
{
    auto p = participant("e0000000-0000-4000-8000-000000000005", user(k_admin_id, "alice"), k_now);
    EXPECT_EQ(participant_json(p, k_admin_id, k_now).at("is_administrator").as_bool(), true);
}

TEST(room_json, viewer_fields_for_a_participant)
{
    public_dir dir;
    auto viewer = user(k_other_id, "bob");
    auto o = room_json(make_room(), &viewer, dir.str(), k_now);
    EXPECT_EQ(o.at("is_participant").as_bool(), true);
    EXPECT_EQ(o.at("is_administrator").as_bool(), false);
    EXPECT_EQ(o.at("user").at("id").as_string(), k_other_id);
    EXPECT_FALSE(o.at("user").as_object().contains("password_hash"));
}

TEST(room_json, viewer_fields_for_the_administrator)
{
    public_dir dir;
    auto viewer = user(k_admin_id, "alice");
    auto o = room_json(make_room(), &viewer, dir.str(), k_now);
    EXPECT_EQ(o.at("is_participant").as_bool(), true);
    EXPECT_EQ(o.at("is_administrator").as_bool(), true);
}

TEST(room_json, viewer_fields_for_an_outsider)
{
    public_dir dir;
    auto viewer = user("f0000000-0000-4000-8000-000000000009", "carol");
    auto o = room_json(make_room(), &viewer, dir.str(), k_now);
    EXPECT_EQ(o.at("is_participant").as_bool(), false);
    EXPECT_EQ(o.at("is_administrator").as_bool(), false);
    EXPECT_EQ(o.at("user").at("username").as_string(), "carol");
}

TEST(room_json, broadcast_omits_viewer_fields)
{
    public_dir dir;
    auto o = room_json(make_room(), nullptr, dir.str(), k_now);
    EXPECT_FALSE(o.contains("user"));
    EXPECT_FALSE(o.contains("is_participant"));
    EXPECT_FALSE(o.contains("is_administrator"));
}

TEST(room_json, canonical_keys)
{
    public_dir dir;
    auto viewer = user(k_other_id, "bob");
    auto o = room_json(make_room(), &viewer, dir.str(), k_now);
    EXPECT_EQ(keys_of(o),
              (std::set<std::string>{"id", "name", "description", "administrator_id", "administrator",
                                     "current_track_id", "current_track", "is_playing", "playback_started_at",
                                     "playback_paused_at", "current_playback_position", "participants",
                                     "participant_count", "track_count", "cover_url", "is_administrator",
                                     "is_participant", "user", "created_at", "updated_at"}));
    EXPECT_EQ(o.at("id").as_string(), k_room_id);
    EXPECT_EQ(o.at("name").as_string(), "Friday");
    EXPECT_TRUE(o.at("description").is_null());
    EXPECT_EQ(o.at("administrator_id").as_string(), k_admin_id);
    EXPECT_EQ(o.at("administrator").at("username").as_string(), "alice");
    EXPECT_EQ(o.at("participant_count").to_number<std::int64_t>(), 2);
    EXPECT_EQ(o.at("track_count").to_number<std::int64_t>(), 1);
    EXPECT_TRUE(o.at("cover_url").is_null());
    EXPECT_EQ(o.at("created_at").as_string(), util::iso8601_ms(k_now - 7'200'000));
    const std::string text = boost::json::serialize(o);
    EXPECT_EQ(text.find("password_hash"), std::string::npos);
    EXPECT_EQ(text.find("secretsecret"), std::string::npos);
    EXPECT_EQ(text.find(dir.str()), std::string::npos);
}

TEST(room_json, participants_use_user_ids)
{
    public_dir dir;
    auto o = room_json(make_room(), nullptr, dir.str(), k_now);
    const auto& ps = o.at("participants").as_array();
    ASSERT_EQ(ps.size(), 2u);
    EXPECT_EQ(ps[0].at("id").as_string(), k_admin_id);
    EXPECT_EQ(ps[0].at("is_administrator").as_bool(), true);
    EXPECT_EQ(ps[0].at("duration_in_room").as_string(), "2 minutes");
    EXPECT_EQ(ps[1].at("id").as_string(), k_other_id);
    EXPECT_EQ(ps[1].at("participant_id").as_string(), "e0000000-0000-4000-8000-000000000006");
    EXPECT_EQ(ps[1].at("is_administrator").as_bool(), false);
}

TEST(room_json, description_and_cover_when_set)
{
    public_dir dir;
    auto v = make_room();
    v.room.description = "Chill";
    v.cover_url = "/api/storage/room_covers/" + k_room_id + ".png";
    auto o = room_json(v, nullptr, dir.str(), k_now);
    EXPECT_EQ(o.at("description").as_string(), "Chill");
    EXPECT_EQ(o.at("cover_url").as_string(), "/api/storage/room_covers/" + k_room_id + ".png");
}

TEST(room_json, track_queue_only_with_queue)
{
    public_dir dir;
    auto v = make_room();
    v.queue = {track(), track("d0000000-0000-4000-8000-000000000007")};
    v.with_queue = false;
    EXPECT_FALSE(room_json(v, nullptr, dir.str(), k_now).contains("track_queue"));
    v.with_queue = true;
    auto o = room_json(v, nullptr, dir.str(), k_now);
    ASSERT_TRUE(o.contains("track_queue"));
    const auto& q = o.at("track_queue").as_array();
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q[0].at("id").as_string(), k_track_id);
    EXPECT_EQ(q[1].at("id").as_string(), "d0000000-0000-4000-8000-000000000007");
    EXPECT_FALSE(q[0].as_object().contains("file_path"));
}

TEST(room_json, empty_queue_with_queue_is_an_empty_array)
{
    public_dir dir;
    auto v = make_room();
    v.with_queue = true;
    auto o = room_json(v, nullptr, dir.str(), k_now);
    ASSERT_TRUE(o.at("track_queue").is_array());
    EXPECT_TRUE(o.at("track_queue").as_array().empty());
}

TEST(room_json, idle_playback_rule_3)
{
    public_dir dir;
    auto o = room_json(make_room(), nullptr, dir.str(), k_now);
    EXPECT_EQ(o.at("is_playing").as_bool(), false);
    EXPECT_TRUE(o.at("playback_started_at").is_null());
    EXPECT_TRUE(o.at("playback_paused_at").is_null());
    EXPECT_EQ(o.at("current_playback_position").to_number<double>(), 0.0);
    EXPECT_TRUE(o.at("current_track").is_null());
    EXPECT_TRUE(o.at("current_track_id").is_null());
}

TEST(room_json, playing_playback_rule_1)
{
    public_dir dir;
    const std::int64_t s = k_now - 42'000;
    auto v = make_room({.current_track_id = k_track_id, .is_playing = true, .started_at = s});
    v.current_track = track();
    auto o = room_json(v, nullptr, dir.str(), k_now);
    EXPECT_EQ(o.at("is_playing").as_bool(), true);
    EXPECT_EQ(o.at("playback_started_at").as_string(), util::iso8601_ms(s));
    EXPECT_TRUE(o.at("playback_paused_at").is_null());
    EXPECT_EQ(o.at("current_playback_position").to_number<double>(), 0.0);  // V adds the elapsed time
    EXPECT_EQ(o.at("current_track_id").as_string(), k_track_id);
    EXPECT_EQ(o.at("current_track").at("id").as_string(), k_track_id);
    EXPECT_EQ(o.at("current_track").at("uploader").at("username").as_string(), "bob");
}

TEST(room_json, paused_playback_rule_2)
{
    public_dir dir;
    const std::int64_t s = k_now - 100'000;
    const std::int64_t p = s + 42'500;
    auto v = make_room({.current_track_id = k_track_id, .is_playing = false, .started_at = s, .paused_at = p});
    v.current_track = track();
    auto o = room_json(v, nullptr, dir.str(), k_now);
    EXPECT_EQ(o.at("is_playing").as_bool(), false);
    EXPECT_EQ(o.at("playback_started_at").as_string(), util::iso8601_ms(s));
    EXPECT_EQ(o.at("playback_paused_at").as_string(), util::iso8601_ms(p));
    EXPECT_DOUBLE_EQ(o.at("current_playback_position").to_number<double>(), 42.5);
    EXPECT_EQ(o.at("current_track").at("id").as_string(), k_track_id);
}

}  // namespace
}  // namespace spotik::api
