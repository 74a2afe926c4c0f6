// An upload killed at its most delicate moment (issue: hardening, item 5): its audio file is in
// place and its row not yet committed. The test holds the tracks table so that the upload waits
// right there, kills the server with SIGKILL and restarts it on the same data: the start-up
// sweep removes the file and no row appears. On PostgreSQL the killed server's INSERT is still
// waiting in its database session: as long as it could commit, the sweep keeps the file.
#include "support/crash_traffic.hpp"

#include <filesystem>
#include <thread>

namespace spotik::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The first audio file to appear under its final name in `dir`, waited for up to 10 s.
fs::path wait_for_placed_file(const fs::path& dir)
{
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        std::error_code ec;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
            if (!it->path().filename().string().starts_with(".")) return it->path();
        std::this_thread::sleep_for(2ms);
    }
    return {};
}

// Whether a statement of the database waits for a lock (the upload's INSERT), within 10 s.
bool wait_for_blocked_insert(const postgres_database& db)
{
    const std::string waiting =
        "SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())";
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (db.query(waiting).at(0).at(0) != "0") return true;
        std::this_thread::sleep_for(5ms);
    }
    return false;
}

std::size_t tracks_in(http_client& client, const std::string& room, const std::string& token)
{
    auto r = client.get_auth("/api/rooms/" + room + "/tracks", token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().at("tracks").as_array().size() : 0;
}

TEST(crash_upload, killed_between_placing_its_file_and_committing_its_row_it_leaves_neither)
{
    server_process server;
    auto client = server.client();
    const auto admin = register_user(client, "admin");
    const auto room = create_room(client, admin.token, unique_name("room"));
    const fs::path tracks = fs::path(server.data_dir()) / "storage" / "audio" / "tracks";

    tracks_write_lock lock(server);
    std::thread upload([&] {
        try {
            auto own = server.client();
            upload_fixture(own, room, admin.token, "tone-5s.wav");
        } catch (const std::exception&) {
            // Killed mid-request, as intended.
        }
    });
    const fs::path placed = wait_for_placed_file(tracks);
    // On PostgreSQL, kill only once the INSERT itself waits in the server's session.
    if (const auto* db = server.database(); db && !placed.empty()) EXPECT_TRUE(wait_for_blocked_insert(*db));
    server.kill9();
    upload.join();
    ASSERT_FALSE(placed.empty()) << "the upload never placed its file";
    ASSERT_TRUE(fs::exists(placed)) << "SIGKILL leaves the placed file behind";

    if (const auto* db = server.database()) {
        // The killed server's session still waits to insert the row, holding the track's lock:
        // PostgreSQL may yet run and commit a statement whose client has died, so the file must stay.
        const std::string held =
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())";
        EXPECT_EQ(db->query(held).at(0).at(0), "1") << "the killed server's transaction holds the track's lock";
        const auto seen = sweep_lines(server);
        server.restart();
        const auto line = next_sweep_line(server, seen);
        EXPECT_NE(line.find("\"files_in_use\":1"), std::string::npos) << line;
        EXPECT_TRUE(fs::exists(placed)) << "removed while its row could still be committed";
        // The INSERT runs now; its transaction never gets a COMMIT and ends with its session.
        lock.release();
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (db->query(held).at(0).at(0) != "0" && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(20ms);
        auto again = server.client();
        EXPECT_EQ(tracks_in(again, room, admin.token), 0U) << "the killed upload's row was committed";
    }
    lock.release();

    const auto seen = sweep_lines(server);
    server.restart();
    const auto line = next_sweep_line(server, seen);
    EXPECT_NE(line.find("\"orphan_audio_files_removed\":1"), std::string::npos) << line;
    EXPECT_FALSE(fs::exists(placed)) << "an audio file without a row survived the restart";
    auto after = server.client();
    EXPECT_EQ(tracks_in(after, room, admin.token), 0U);
    expect_storage_matches(server.data_dir(), {});

    // Uploads work as before.
    auto r = upload_fixture(after, room, admin.token, "tone-5s.wav");
    ASSERT_EQ(r.status, 201) << r.body;
    std::map<std::string, boost::json::object> rows;
    rows[std::string(r.json().at("track").at("id").as_string())] = r.json().at("track").as_object();
    expect_storage_matches(server.data_dir(), rows);
}

}  // namespace
}  // namespace spotik::test
