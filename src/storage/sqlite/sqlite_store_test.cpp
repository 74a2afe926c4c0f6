// Runs the storage contract suite on sqlite_store (one temp directory per test, removed
// afterwards) and adds the SQLite-only checks: WAL mode, lock timeout -> store_unavailable,
// no file path in error messages.
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/store_contract_test.hpp"
#include "util/ids.hpp"
#include "util/temp_dir_test_support.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

namespace spotik::storage {
namespace {

constexpr int k_busy_timeout_ms = 10'000;

using util::testing::temp_dir;

class sqlite_harness final : public store_harness {
public:
    std::unique_ptr<store> open(std::vector<migration> migrations) override
    {
        return std::make_unique<sqlite_store>(dir_.file("spotik.db"), k_busy_timeout_ms, std::move(migrations));
    }
    std::vector<migration> embedded_migrations() const override { return embedded_migrations_sqlite(); }

private:
    temp_dir dir_;
};

// A raw connection beside the store, for inspecting and locking the file.
struct raw_db {
    explicit raw_db(const std::string& path) { sqlite3_open(path.c_str(), &db); }
    raw_db(const raw_db&) = delete;
    raw_db& operator=(const raw_db&) = delete;
    ~raw_db() { sqlite3_close(db); }
    int exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }
    sqlite3* db = nullptr;
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(sqlite, store_contract,
                         ::testing::Values(harness_factory([] { return std::make_unique<sqlite_harness>(); })));

TEST(sqlite_store, uses_wal_and_records_migrations)
{
    temp_dir dir;
    sqlite_store db(dir.file("spotik.db"), k_busy_timeout_ms);
    EXPECT_EQ(db.driver(), "sqlite");
    db.migrate();
    raw_db raw(dir.file("spotik.db"));
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw.db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
    sqlite3_finalize(stmt);
    const char* sql = "SELECT COUNT(*), MAX(version) FROM schema_migrations";
    ASSERT_EQ(sqlite3_prepare_v2(raw.db, sql, -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(stmt, 0), static_cast<std::int64_t>(embedded_migrations_sqlite().size()));
    EXPECT_EQ(sqlite3_column_int64(stmt, 1), embedded_migrations_sqlite().back().version);
    sqlite3_finalize(stmt);
}

TEST(sqlite_store, a_write_lock_held_past_the_timeout_is_unavailable)
{
    temp_dir dir;
    sqlite_store db(dir.file("spotik.db"), 50);
    db.migrate();
    raw_db raw(dir.file("spotik.db"));
    ASSERT_EQ(raw.exec("BEGIN IMMEDIATE"), SQLITE_OK);
    const user_record user{util::new_uuid(), "alice", "alice@example.com", "h", 1, 1};
    EXPECT_THROW(db.create_user(user), store_unavailable);
    ASSERT_EQ(raw.exec("ROLLBACK"), SQLITE_OK);
    // The connection that timed out is healthy again once the lock is gone.
    EXPECT_EQ(db.create_user(user), create_user_outcome::created);
}

TEST(sqlite_store, a_failed_migration_is_rolled_back_entirely)
{
    temp_dir dir;
    auto list = embedded_migrations_sqlite();
    list.push_back({9000, "9000_broken", "CREATE TABLE half_done (id INTEGER); SELECT * FROM missing_table;"});
    sqlite_store db(dir.file("spotik.db"), k_busy_timeout_ms, list);
    EXPECT_THROW(db.migrate(), storage_error);
    raw_db raw(dir.file("spotik.db"));
    EXPECT_NE(raw.exec("SELECT * FROM half_done"), SQLITE_OK);
    EXPECT_EQ(raw.exec("SELECT * FROM users"), SQLITE_OK);  // earlier migrations stay applied
}

// SQLite's memory after four threads looked up every user of a 6 MB table, with the given
// DB_CACHE_MB: each pooled connection caches the pages it read.
std::int64_t memory_after_lookups(int cache_mib)
{
    temp_dir dir;
    sqlite_store db(dir.file("spotik.db"), k_busy_timeout_ms);
    db.migrate();
    constexpr int users = 20000;
    {
        raw_db raw(dir.file("spotik.db"));
        const char* fill =
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
            "INSERT INTO users SELECT printf('u%08d', i), printf('user%d', i), printf('u%d@example.com', i), "
            "hex(randomblob(100)), i, i FROM n";
        if (raw.exec(fill) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(raw.db));
    }
    sqlite_store::limit_memory(cache_mib);
    std::vector<std::thread> readers;
    std::atomic<int> found{0};
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&, t] {
            for (int k = 0; k < users; ++k) {  // each thread starts at its own quarter
                const std::string n = std::to_string(1 + (k + t * users / 4) % users);
                if (db.find_user("u" + std::string(8 - n.size(), '0') + n)) ++found;
            }
        });
    }
    for (auto& r : readers) r.join();
    const auto used = sqlite3_memory_used();
    sqlite_store::limit_memory(0);
    EXPECT_EQ(found.load(), 4 * users);
    return used;
}

TEST(sqlite_store, the_memory_limit_bounds_the_caches_of_all_connections_together)
{
    constexpr std::int64_t mib = 1024 * 1024;
    const auto unlimited = memory_after_lookups(0);
    const auto limited = memory_after_lookups(1);
    RecordProperty("unlimited_kib", int(unlimited / 1024));
    RecordProperty("limited_kib", int(limited / 1024));
    EXPECT_GT(unlimited, 4 * mib) << "four connections, each caching up to 2 MiB of a 6 MB table";
    EXPECT_LT(limited, 2 * mib) << "the 1 MiB limit, plus the connections' own structures";
}

TEST(sqlite_store, errors_never_contain_the_file_path)
{
    temp_dir dir;
    const std::string path = dir.file("no-such-directory/spotik.db");
    sqlite_store db(path, k_busy_timeout_ms);
    try {
        db.ping();
        ADD_FAILURE() << "opened a database in a missing directory";
    } catch (const store_unavailable& failure) {
        EXPECT_EQ(std::string(failure.what()).find("no-such-directory"), std::string::npos) << failure.what();
    }
}

}  // namespace spotik::storage
