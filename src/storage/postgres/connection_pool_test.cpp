// The PostgreSQL connection pool against a real server: DB_POOL_TIMEOUT, a database that is
// not there (prompt failures, one probe at a time), a statement slower than DB_READ_TIMEOUT,
// and connections the server terminated being noticed and replaced.
#include "storage/postgres/connection_pool.hpp"
#include "storage/postgres/conninfo.hpp"
#include "support/child_process.hpp"
#include "support/postgres_server.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace spotik::storage::pg {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

config::database_settings settings_for(const test::postgres_endpoint& at, const std::string& database)
{
    config::database_settings s;
    s.host = at.host;
    s.port = at.port;
    s.name = database;
    s.user = at.user;
    s.password = at.password;
    return s;
}

pool_settings sized(int min, int max, std::chrono::milliseconds wait)
{
    return {min, max, wait, 5s};
}

double seconds_since(clock_type::time_point start)
{
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

TEST(pg_connection_pool, waits_at_most_the_pool_timeout_for_a_free_connection)
{
    test::postgres_database db(test::shared_postgres());
    connection_pool pool(connect_settings_from(settings_for(db.endpoint(), db.name())), sized(0, 1, 300ms));
    // new, not make_unique: a lease is neither copied nor moved, only built in place.
    std::unique_ptr<connection_pool::lease> held(new connection_pool::lease(pool.acquire()));
    EXPECT_EQ(pool.status().in_use, 1);
    const auto start = clock_type::now();
    EXPECT_THROW(pool.acquire(), store_unavailable);
    EXPECT_GE(seconds_since(start), 0.25);
    EXPECT_LT(seconds_since(start), 3.0);
    // A connection given back within the wait is handed over.
    std::thread giver([&held] {
        std::this_thread::sleep_for(100ms);
        held.reset();
    });
    auto again = pool.acquire();
    giver.join();
    EXPECT_EQ(again->query("SELECT 41 + 1").integer(0, 0), 42);
}

TEST(pg_connection_pool, an_unreachable_database_fails_promptly_and_is_probed_once_at_a_time)
{
    auto settings = settings_for(test::shared_postgres(), "postgres");
    settings.port = test::pick_free_port();  // nothing listens there
    connection_pool pool(connect_settings_from(settings), sized(0, 4, 5s));
    for (int i = 0; i < 20; ++i) {
        const auto start = clock_type::now();
        try {
            pool.acquire();
            ADD_FAILURE() << "connected to a port nobody listens on";
        } catch (const store_unavailable& failure) {
            EXPECT_EQ(std::string(failure.what()).find(settings.password), std::string::npos);
        }
        EXPECT_LT(seconds_since(start), 1.0);
    }
    EXPECT_EQ(pool.status().size, 0);
}

TEST(pg_connection_pool, a_slow_statement_ends_at_the_read_timeout_and_its_connection_is_replaced)
{
    test::postgres_database db(test::shared_postgres());
    auto connect = connect_settings_from(settings_for(db.endpoint(), db.name()));
    connect.read_timeout = 300ms;
    connection_pool pool(connect, sized(0, 2, 5s));
    const auto start = clock_type::now();
    {
        auto conn = pool.acquire();
        EXPECT_THROW(conn->query("SELECT pg_sleep(5)"), store_unavailable);
    }
    EXPECT_LT(seconds_since(start), 3.0);
    EXPECT_EQ(pool.status().size, 0);  // the connection that timed out was closed
    EXPECT_EQ(pool.acquire()->query("SELECT 1").integer(0, 0), 1);
}

TEST(pg_connection_pool, connections_the_server_terminated_are_replaced)
{
    test::postgres_database db(test::shared_postgres());
    connection_pool pool(connect_settings_from(settings_for(db.endpoint(), db.name())), sized(0, 3, 5s));
    {
        auto a = pool.acquire();
        auto b = pool.acquire();
        a->query("SELECT 1");
        b->query("SELECT 1");
    }
    ASSERT_EQ(pool.status().idle, 2);
    const auto killed = db.query(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
        "WHERE application_name = 'spotik' AND datname = current_database()");
    EXPECT_EQ(killed.size(), 2U);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(pool.acquire()->query("SELECT 7").integer(0, 0), 7);
    // A connection that dies under a statement fails that statement as unavailable, then is gone.
    auto conn = pool.acquire();
    db.query(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
        "WHERE application_name = 'spotik' AND datname = current_database()");
    EXPECT_THROW(conn->query("SELECT 1"), store_unavailable);
}

}  // namespace
}  // namespace spotik::storage::pg
