// Unit tests for service/storage_sweep on a real SQLite store and real folders: what a killed
// process leaves (upload bodies, staged files, write probes, audio files without a row, covers
// without their track or room) goes; rows' files, files another process still claims, and files
// the sweep does not know stay; an upload that commits its row while the sweep runs keeps its file.
#include "service/storage_sweep.hpp"

#include "storage/sqlite/sqlite_store.hpp"
#include "util/file_claim.hpp"
#include "util/ids.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>

namespace spotik::service {
namespace {

namespace fs = std::filesystem;
using storage::track_file;

// The SQLite store, with a hook run once right after the sweep's first reading of the track
// files: it plays an upload that commits its row just then.
class hooked_store final : public storage::store {
public:
    explicit hooked_store(const std::string& path) : real_(path, 5000) {}
    std::function<void()> after_first_listing;

    std::vector<track_file> list_track_files() override
    {
        auto files = real_.list_track_files();
        if (after_first_listing) std::exchange(after_first_listing, nullptr)();
        return files;
    }
    // Everything else goes straight to SQLite.
    storage::file_reference track_file_reference(std::string_view id, std::string_view path) override
    {
        return real_.track_file_reference(id, path);
    }
    void migrate() override { real_.migrate(); }
    std::string driver() const override { return real_.driver(); }
    void ping() override { real_.ping(); }
    storage::create_user_outcome create_user(const storage::user_record& u) override { return real_.create_user(u); }
    std::optional<storage::user_record> find_user(std::string_view id) override { return real_.find_user(id); }
    std::optional<storage::user_record> find_user_by_email(std::string_view e) override
    {
        return real_.find_user_by_email(e);
    }
    void create_room(const storage::room_record& r, const storage::participant_record& a) override
    {
        real_.create_room(r, a);
    }
    std::optional<storage::room_record> find_room(std::string_view id) override { return real_.find_room(id); }
    std::vector<storage::room_record> list_rooms() override { return real_.list_rooms(); }
    bool update_room(std::string_view id, const std::string& n, const std::optional<std::string>& d,
                     std::int64_t now) override
    {
        return real_.update_room(id, n, d, now);
    }
    std::optional<std::vector<storage::track_file>> delete_room(std::string_view id) override
    {
        return real_.delete_room(id);
    }
    bool touch_room(std::string_view id, std::int64_t now) override { return real_.touch_room(id, now); }
    storage::join_outcome add_participant(const storage::participant_record& p) override
    {
        return real_.add_participant(p);
    }
    bool remove_participant(std::string_view r, std::string_view u) override { return real_.remove_participant(r, u); }
    bool is_participant(std::string_view r, std::string_view u) override { return real_.is_participant(r, u); }
    std::vector<storage::participant_record> list_participants(std::string_view r) override
    {
        return real_.list_participants(r);
    }
    std::int64_t count_participants(std::string_view r) override { return real_.count_participants(r); }
    void insert_track(const storage::track_record& t) override { real_.insert_track(t); }
    std::optional<storage::track_record> find_track(std::string_view id, std::string_view v) override
    {
        return real_.find_track(id, v);
    }
    std::vector<storage::track_record> list_tracks(std::string_view r, std::string_view v) override
    {
        return real_.list_tracks(r, v);
    }
    std::int64_t count_tracks(std::string_view r) override { return real_.count_tracks(r); }
    storage::track_delete_outcome delete_track(std::string_view id, std::int64_t now) override
    {
        return real_.delete_track(id, now);
    }
    storage::vote_outcome add_vote(std::string_view t, std::string_view u, std::string_view v,
                                   std::int64_t now) override
    {
        return real_.add_vote(t, u, v, now);
    }
    storage::vote_outcome remove_vote(std::string_view t, std::string_view u) override
    {
        return real_.remove_vote(t, u);
    }
    bool update_playback(std::string_view r, const storage::playback_columns& e, const storage::playback_columns& n,
                         std::int64_t now) override
    {
        return real_.update_playback(r, e, n, now);
    }
    std::vector<storage::room_record> list_playing_rooms() override { return real_.list_playing_rooms(); }
    void revoke_token(std::string_view j, std::int64_t e, std::int64_t f) override { real_.revoke_token(j, e, f); }
    bool is_token_revoked(std::string_view j, std::int64_t now) override { return real_.is_token_revoked(j, now); }
    std::vector<std::string> tokens_revoked_between(std::int64_t a, std::int64_t u) override
    {
        return real_.tokens_revoked_between(a, u);
    }
    std::int64_t purge_expired_tokens(std::int64_t now) override { return real_.purge_expired_tokens(now); }
    void erase_all_data() override { real_.erase_all_data(); }

private:
    storage::sqlite_store real_;
};

class storage_sweep_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "spotik_sweep_XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        paths_.audio_path = (root_ / "audio").string();
        paths_.public_path = (root_ / "public").string();
        paths_.temp_path = (root_ / "temp").string();
        for (const char* d : {"audio/tracks", "public/track_covers", "public/room_covers", "temp"})
            fs::create_directories(root_ / d);
        store_ = std::make_unique<hooked_store>((root_ / "spotik.db").string());
        store_->migrate();
        user_.id = util::new_uuid();
        user_.username = "alice";
        user_.email = "alice@example.com";
        user_.password_hash = "x";
        ASSERT_EQ(store_->create_user(user_), storage::create_user_outcome::created);
        room_.id = util::new_uuid();
        room_.name = "Room";
        room_.administrator_id = user_.id;
        store_->create_room(room_, {util::new_uuid(), room_.id, user_.id, 0, {}});
    }
    void TearDown() override
    {
        store_.reset();
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    fs::path file(const std::string& relative)
    {
        const auto p = root_ / relative;
        std::ofstream(p, std::ios::binary) << "bytes";
        return p;
    }
    // A track row for <audio>/tracks/<id>.mp3 (the file is not written here).
    storage::track_record track_row(const std::string& id)
    {
        storage::track_record t;
        t.id = id;
        t.room_id = room_.id;
        t.uploader_id = user_.id;
        t.filename = id + ".mp3";
        t.original_name = "song.mp3";
        t.file_path = "tracks/" + t.filename;
        t.mime_type = "audio/mpeg";
        return t;
    }

    fs::path root_;
    config::storage_settings paths_;
    std::unique_ptr<hooked_store> store_;
    storage::user_record user_;
    storage::room_record room_;
};

TEST_F(storage_sweep_test, removes_what_a_killed_process_left_and_keeps_everything_else)
{
    const std::string kept_id = util::new_uuid();
    store_->insert_track(track_row(kept_id));
    const auto kept = file("audio/tracks/" + kept_id + ".mp3");
    const auto orphan = file("audio/tracks/" + util::new_uuid() + ".mp3");
    const auto orphan_upper = file("audio/tracks/" + util::new_uuid() + ".WAV");
    const auto staged = file("audio/tracks/." + util::new_uuid() + ".part");
    const auto unknown = file("audio/tracks/README.txt");
    const auto outside = file("elsewhere.mp3");
    fs::create_symlink(outside, root_ / "audio/tracks" / (util::new_uuid() + ".mp3"));
    const auto body = file("temp/body-0123456789abcdef01234567.part");
    const auto not_ours = file("temp/someone-elses.tmp");
    const auto probes = {file("audio/.spotik-write-test-1-0"), file("public/.spotik-write-test-1-1"),
                         file("temp/.spotik-write-test-1-2")};
    const auto track_cover = file("public/track_covers/" + kept_id + ".jpg");
    const auto orphan_track_cover = file("public/track_covers/" + util::new_uuid() + ".png");
    const auto staged_cover = file("public/track_covers/." + kept_id + "-abcdef.part");
    const auto room_cover = file("public/room_covers/" + room_.id + ".webp");
    const auto orphan_room_cover = file("public/room_covers/" + util::new_uuid() + ".jpeg");
    const auto named_cover = file("public/room_covers/logo.png");

    const auto report = sweep_storage(*store_, paths_);
    EXPECT_EQ(report.partial_files, 6U);  // staged audio, staged cover, body, three probes
    EXPECT_EQ(report.orphan_audio, 2U);
    EXPECT_EQ(report.orphan_covers, 2U);
    EXPECT_EQ(report.in_use, 0U);
    for (const auto& gone : {orphan, orphan_upper, staged, body, orphan_track_cover, staged_cover, orphan_room_cover})
        EXPECT_FALSE(fs::exists(gone)) << gone;
    for (const auto& probe : probes) EXPECT_FALSE(fs::exists(probe)) << probe;
    for (const auto& stays : {kept, unknown, outside, not_ours, track_cover, room_cover, named_cover})
        EXPECT_TRUE(fs::exists(stays)) << stays;
    EXPECT_EQ(std::distance(fs::directory_iterator(root_ / "audio/tracks"), fs::directory_iterator()), 3)
        << "the row's file, the unknown file and the symbolic link";

    const auto again = sweep_storage(*store_, paths_);
    EXPECT_EQ(again.partial_files + again.orphan_audio + again.orphan_covers + again.in_use, 0U);
}

TEST_F(storage_sweep_test, files_another_process_still_claims_are_left_alone)
{
    const fs::path tracks = root_ / "audio/tracks";
    std::vector<util::file_claim> held;
    held.push_back(util::file_claim::create(root_ / "temp/body-aaaaaaaaaaaaaaaaaaaaaaaa.part"));
    held.push_back(util::file_claim::create(tracks / ("." + util::new_uuid() + ".part")));
    // An upload between placing its file and committing its row.
    held.push_back(util::file_claim::create(tracks / ("." + util::new_uuid() + ".part")));
    held.back().rename_to(tracks / (util::new_uuid() + ".m4a"));

    const auto report = sweep_storage(*store_, paths_);
    EXPECT_EQ(report.in_use, 3U);
    EXPECT_EQ(report.partial_files + report.orphan_audio, 0U);
    std::vector<fs::path> left;
    for (auto& claim : held) {
        EXPECT_TRUE(fs::exists(claim.path())) << claim.path();
        left.push_back(claim.path());
        claim.keep();
    }
    held.clear();  // as after SIGKILL: the files stay, their claims are gone

    const auto after = sweep_storage(*store_, paths_);
    EXPECT_EQ(after.partial_files, 2U);
    EXPECT_EQ(after.orphan_audio, 1U);
    EXPECT_EQ(after.in_use, 0U);
    for (const auto& p : left) EXPECT_FALSE(fs::exists(p)) << p;
}

TEST_F(storage_sweep_test, an_upload_that_commits_its_row_during_the_sweep_keeps_its_file)
{
    const std::string id = util::new_uuid();
    const auto placed = file("audio/tracks/" + id + ".mp3");
    // The first reading misses the row; the upload commits and lets go of its claim right after.
    store_->after_first_listing = [&] { store_->insert_track(track_row(id)); };
    const auto report = sweep_storage(*store_, paths_);
    EXPECT_EQ(report.orphan_audio, 0U);
    EXPECT_TRUE(fs::exists(placed)) << "the second reading, made under the sweep's claim, sees the row";
}

}  // namespace
}  // namespace spotik::service
