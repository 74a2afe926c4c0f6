// Unit tests for the background checkpointer, on real database files: commits never copy the
// log back themselves, the checkpointer does once the log has grown enough, and a log that
// readers never leave is still started over.
#include "storage/sqlite/checkpointer.hpp"

#include "util/temp_dir_test_support.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace spotik::storage::sqlite {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int k_page = 4096;

struct log_fixture : ::testing::Test {
    util::testing::temp_dir dir;
    std::string db_path = dir.file("log.db");

    void create_table()
    {
        connection setup(db_path, 5000);
        setup.exec("PRAGMA page_size=4096; CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB)", "create table");
    }
    // Commits `n` rows of one page each, one transaction per row.
    static void write_rows(connection& conn, int n)
    {
        for (int i = 0; i < n; ++i) conn.exec("INSERT INTO rows (body) VALUES (zeroblob(3000))", "insert");
    }
    std::uintmax_t size_of(const std::string& name) const
    {
        std::error_code ec;
        auto n = fs::file_size(dir.file(name), ec);
        return ec ? 0 : n;
    }
    template <class Done>
    static bool wait_for(Done done)
    {
        for (auto until = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < until;) {
            if (done()) return true;
            std::this_thread::sleep_for(5ms);
        }
        return done();
    }
};

TEST_F(log_fixture, commits_leave_the_log_to_the_checkpointer)
{
    create_table();
    checkpointer idle(db_path, {.passive_frames = 1'000'000, .restart_frames = 2'000'000});
    connection conn(db_path, 5000);
    idle.watch(conn);
    const auto db_before = size_of("log.db");
    write_rows(conn, 1500);  // past SQLite's own threshold of 1 000 frames
    EXPECT_GT(size_of("log.db-wal"), std::uintmax_t(1500) * k_page);
    EXPECT_EQ(size_of("log.db"), db_before) << "a commit copied the log into the database";
    EXPECT_EQ(idle.checkpoints(), 0);
}

TEST_F(log_fixture, the_log_is_copied_back_once_it_grew_by_the_threshold)
{
    create_table();
    checkpointer cp(db_path, {.passive_frames = 100, .restart_frames = 1'000'000});
    connection conn(db_path, 5000);
    cp.watch(conn);
    const auto db_before = size_of("log.db");
    write_rows(conn, 20);  // a commit adds two or three frames: the row's page and the header
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(cp.checkpoints(), 0) << "checkpointed before the threshold";
    EXPECT_EQ(size_of("log.db"), db_before);
    // 220 rows of a page each: all but the last threshold's worth reach the database file.
    write_rows(conn, 200);
    EXPECT_TRUE(wait_for([&] { return size_of("log.db") >= std::uintmax_t(150) * k_page; }))
        << "the database file holds " << size_of("log.db") / k_page << " pages";
    EXPECT_EQ(cp.restarts(), 0);
}

// Readers on other threads are inside the log at almost every commit, so SQLite alone would
// let the log grow for as long as the writes go on; the restart keeps it bounded.
TEST_F(log_fixture, a_log_readers_keep_busy_is_started_over)
{
    create_table();
    constexpr int passive = 50, restart = 200, rows = 4000;
    checkpointer cp(db_path, {.passive_frames = passive, .restart_frames = restart, .restart_wait_ms = 200});
    std::atomic<bool> done{false};
    auto reader = [&] {
        connection conn(db_path, 5000);
        while (!done) {
            conn.exec("BEGIN; SELECT COUNT(*) FROM rows; SELECT COUNT(*) FROM rows; COMMIT", "read");
        }
    };
    std::thread r1(reader), r2(reader);
    {
        connection conn(db_path, 5000);
        cp.watch(conn);
        // Paced like a server's requests rather than back to back, so that the checkpointer's
        // thread gets the CPU even while other tests load the machine.
        for (int written = 0; written < rows; written += 25) {
            write_rows(conn, 25);
            std::this_thread::sleep_for(1ms);
        }
    }
    done = true;
    r1.join();
    r2.join();
    EXPECT_GE(cp.restarts(), 1);
    // Each commit writes two or three frames (over 10 000 in all, the size the log reaches
    // without restarts); the log's file never held more than a third of them.
    EXPECT_LT(size_of("log.db-wal"), std::uintmax_t(rows) * (k_page + 24));
    connection check(db_path, 5000);
    auto count = check.prepare("SELECT COUNT(*) FROM rows");
    ASSERT_TRUE(count.step());
    EXPECT_EQ(count.integer(0), rows);
}

}  // namespace
}  // namespace spotik::storage::sqlite
