// Runs the storage contract suite on postgres_store (a fresh database per test on the shared
// test cluster) and adds the PostgreSQL-only checks: migrations recorded once under the
// advisory lock even when many stores migrate at once, a failing migration rolled back
// entirely, the schema's native types, NUL characters refused, the io-thread guard, and the
// track insert lock a restarted server's storage sweep relies on.
#include "storage/postgres/postgres_store.hpp"
#include "storage/postgres/conninfo.hpp"
#include "storage/store_contract_test.hpp"
#include "support/postgres_server.hpp"
#include "util/ids.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace spotik::storage {
namespace {

// DB_* settings for a database on the shared test cluster.
config::database_settings settings_for(const test::postgres_database& db)
{
    config::database_settings s;
    s.driver = "postgres";
    s.host = db.endpoint().host;
    s.port = db.endpoint().port;
    s.name = db.name();
    s.user = db.endpoint().user;
    s.password = db.endpoint().password;
    s.pool_min = 1;
    s.pool_max = 8;
    s.pool_timeout_s = 10;
    return s;
}

std::unique_ptr<postgres_store> open_on(const test::postgres_database& db,
                                        std::vector<migration> migrations = embedded_migrations_postgres())
{
    const auto s = settings_for(db);
    return std::make_unique<postgres_store>(pg::connect_settings_from(s), pg::pool_settings_from(s),
                                            std::move(migrations));
}

class postgres_harness final : public store_harness {
public:
    std::unique_ptr<store> open(std::vector<migration> migrations) override
    {
        return open_on(db_, std::move(migrations));
    }
    std::vector<migration> embedded_migrations() const override { return embedded_migrations_postgres(); }

private:
    test::postgres_database db_{test::shared_postgres()};
};

// A plain libpq session beside the store: plays a Spotik process that died mid-transaction.
class raw_session {
public:
    explicit raw_session(const test::postgres_database& db)
        : conn_(PQconnectdb(db.endpoint().conninfo(db.name()).c_str()))
    {
        if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn_));
    }
    ~raw_session() { PQfinish(conn_); }
    raw_session(const raw_session&) = delete;
    raw_session& operator=(const raw_session&) = delete;
    void exec(const std::string& sql)
    {
        PGresult* res = PQexec(conn_, sql.c_str());
        const auto status = PQresultStatus(res);
        const std::string message = PQresultErrorMessage(res);
        PQclear(res);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw std::runtime_error(message);
    }

private:
    PGconn* conn_;
};

// Advisory locks of this database (the cluster is shared by tests running at once).
std::string advisory_locks(const std::string& condition)
{
    return "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND " + condition +
           " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
}

std::string insert_lock(const std::string& track_id)
{
    return "SELECT pg_advisory_xact_lock(" + std::to_string(k_track_insert_lock_class) + ", hashtext('" + track_id +
           "'))";
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(postgres, store_contract,
                         ::testing::Values(harness_factory([] { return std::make_unique<postgres_harness>(); })));

TEST(postgres_store, records_migrations_and_uses_native_types)
{
    test::postgres_database db(test::shared_postgres());
    auto store = open_on(db);
    EXPECT_EQ(store->driver(), "postgres");
    store->migrate();
    const auto rows = db.query("SELECT COUNT(*), MAX(version) FROM schema_migrations");
    EXPECT_EQ(rows.at(0).at(0), std::to_string(embedded_migrations_postgres().size()));
    EXPECT_EQ(rows.at(0).at(1), std::to_string(embedded_migrations_postgres().back().version));
    const auto types = db.query(
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || COALESCE(datetime_precision, -1) "
        "FROM information_schema.columns WHERE table_schema = 'public' AND column_name IN "
        "('id', 'created_at', 'playback_started_at', 'is_playing') ORDER BY 1");
    std::string listed;
    for (const auto& row : types) listed += *row.at(0) + "\n";
    EXPECT_NE(listed.find("rooms.id uuid"), std::string::npos) << listed;
    EXPECT_NE(listed.find("rooms.playback_started_at timestamp with time zone 3"), std::string::npos) << listed;
    EXPECT_NE(listed.find("track_votes.created_at timestamp with time zone 3"), std::string::npos) << listed;
    EXPECT_NE(listed.find("rooms.is_playing boolean"), std::string::npos) << listed;
    EXPECT_EQ(db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'idx_tracks_voted'").size(), 1U);
}

TEST(postgres_store, stores_migrating_at_once_apply_each_migration_once)
{
    test::postgres_database db(test::shared_postgres());
    constexpr int k_stores = 6;
    std::vector<std::unique_ptr<postgres_store>> stores;
    for (int i = 0; i < k_stores; ++i) stores.push_back(open_on(db));
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (auto& s : stores) {
        threads.emplace_back([&failures, &s] {
            try {
                s->migrate();
            } catch (...) {
                ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(db.query("SELECT COUNT(*) FROM schema_migrations").at(0).at(0),
              std::to_string(embedded_migrations_postgres().size()));
    // The lock is free again: a later migrate neither waits nor fails.
    EXPECT_NO_THROW(stores.front()->migrate());
    EXPECT_EQ(db.query("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                       "(SELECT oid FROM pg_database WHERE datname = current_database())")
                  .at(0)
                  .at(0),
              "0");
}

TEST(postgres_store, a_failed_migration_is_rolled_back_entirely)
{
    test::postgres_database db(test::shared_postgres());
    auto list = embedded_migrations_postgres();
    list.push_back({9000, "9000_broken", "CREATE TABLE half_done (id integer); SELECT * FROM missing_table;"});
    auto store = open_on(db, list);
    EXPECT_THROW(store->migrate(), storage_error);
    EXPECT_TRUE(db.query("SELECT 1 FROM pg_tables WHERE tablename = 'half_done'").empty());
    EXPECT_FALSE(db.query("SELECT 1 FROM pg_tables WHERE tablename = 'users'").empty());
    EXPECT_EQ(db.query("SELECT MAX(version) FROM schema_migrations").at(0).at(0),
              std::to_string(embedded_migrations_postgres().back().version));
    // The store (and its connection) stays usable.
    store.reset();
    auto fine = open_on(db);
    fine->migrate();
    fine->ping();
}

TEST(postgres_store, text_with_a_nul_character_is_refused_and_nothing_is_written)
{
    test::postgres_database db(test::shared_postgres());
    auto store = open_on(db);
    store->migrate();
    const user_record user{util::new_uuid(), std::string("al\0ice", 6), "alice@example.com", "h", 1, 1};
    EXPECT_THROW(store->create_user(user), storage_error);
    EXPECT_EQ(db.query("SELECT COUNT(*) FROM users").at(0).at(0), "0");
    EXPECT_FALSE(store->find_user_by_email(std::string("alice\0@example.com", 18)));
}

TEST(postgres_store, refuses_to_block_an_io_thread)
{
    test::postgres_database db(test::shared_postgres());
    auto store = open_on(db);
    store->migrate();
    bool refused = false;
    std::thread io([&] {
        mark_io_thread();
        try {
            store->ping();
        } catch (const storage_error&) {
            refused = true;
        }
    });
    io.join();
    EXPECT_TRUE(refused);
    EXPECT_NO_THROW(store->ping());  // other threads are unaffected
}

TEST(postgres_store, reports_its_pool_without_secrets)
{
    test::postgres_database db(test::shared_postgres());
    auto store = open_on(db);
    store->migrate();
    store->ping();
    const auto status = store->status();
    EXPECT_EQ(status.max_size, 8);
    EXPECT_GE(status.size, 1);
    EXPECT_EQ(status.in_use, 0);
    EXPECT_EQ(status.idle, status.size);
    EXPECT_EQ(status.target, "127.0.0.1:" + std::to_string(db.endpoint().port) + "/" + db.name());
    EXPECT_EQ(status.target.find(db.endpoint().password), std::string::npos);
}

}  // namespace spotik::storage

namespace spotik::storage {

TEST(postgres_store, a_track_insert_still_running_leaves_its_file_unsettled)
{
    test::postgres_database db(test::shared_postgres());
    auto store = open_on(db);
    store->migrate();
    const user_record user{util::new_uuid(), "alice", "alice@example.com", "h", 1, 1};
    ASSERT_EQ(store->create_user(user), create_user_outcome::created);
    const room_record room{util::new_uuid(), "Room", std::nullopt, user.id, {}, 1, 1};
    store->create_room(room, {util::new_uuid(), room.id, user.id, 1, {}});

    // A killed server's transaction: it took the track's lock and sent its INSERT, no COMMIT yet.
    const std::string id = util::new_uuid();
    const std::string path = "tracks/" + id + ".mp3";
    raw_session zombie(db);
    zombie.exec("BEGIN");
    zombie.exec(insert_lock(id));
    zombie.exec(
        "INSERT INTO tracks (id, room_id, uploader_id, filename, original_name, file_path, duration_seconds, "
        "file_size_bytes, mime_type, vote_score, created_at, updated_at) VALUES ('" +
        id + "', '" + room.id + "', '" + user.id + "', '" + id + ".mp3', 'a.mp3', '" + path +
        "', 1, 1, 'audio/mpeg', 0, now(), now())");
    EXPECT_EQ(store->track_file_reference(id, path), file_reference::unsettled);
    zombie.exec("COMMIT");
    EXPECT_EQ(store->track_file_reference(id, path), file_reference::named);
    EXPECT_EQ(db.query(advisory_locks("true")).at(0).at(0), "0") << "the sweep's check lets go of the lock";
}

TEST(postgres_store, insert_track_waits_for_the_lock_of_its_track)
{
    test::postgres_database db(test::shared_postgres());
    auto store = open_on(db);
    store->migrate();
    const user_record user{util::new_uuid(), "alice", "alice@example.com", "h", 1, 1};
    ASSERT_EQ(store->create_user(user), create_user_outcome::created);
    const room_record room{util::new_uuid(), "Room", std::nullopt, user.id, {}, 1, 1};
    store->create_room(room, {util::new_uuid(), room.id, user.id, 1, {}});
    track_record track;
    track.id = util::new_uuid();
    track.room_id = room.id;
    track.uploader_id = user.id;
    track.filename = track.id + ".mp3";
    track.original_name = "a.mp3";
    track.file_path = "tracks/" + track.filename;
    track.mime_type = "audio/mpeg";

    // The sweep's side holds the lock: the insert waits for it, then commits.
    raw_session sweep(db);
    sweep.exec("BEGIN");
    sweep.exec(insert_lock(track.id));
    std::thread upload([&] { store->insert_track(track); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool waiting = false;
    while (!waiting && std::chrono::steady_clock::now() < deadline) {
        waiting = db.query(advisory_locks("NOT granted")).at(0).at(0) == "1";
        if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(waiting) << "insert_track did not ask for the track's lock";
    EXPECT_FALSE(store->find_track(track.id, "")) << "no row while the lock is held elsewhere";
    sweep.exec("COMMIT");
    upload.join();
    EXPECT_TRUE(store->find_track(track.id, ""));
}

}  // namespace spotik::storage
