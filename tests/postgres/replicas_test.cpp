// Several Spotik replicas on one PostgreSQL database: three servers started at the same moment
// on a fresh database migrate it exactly once (advisory lock) and then share their data; the
// database probe shows the pool and where the data lives, never the password.
#include "storage/migration.hpp"
#include "support/postgres_server.hpp"
#include "support/server_process.hpp"
#include "support/test_util.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace spotik::test {
namespace {

using namespace std::chrono_literals;

void wait_live(server_process& server)
{
    auto client = server.client();
    client.set_timeout(1s);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
        ASSERT_TRUE(server.running()) << server.output();
        try {
            if (client.get("/live").status == 200) return;
        } catch (const std::exception&) {
            // Not listening yet.
        }
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << server.output();
        std::this_thread::sleep_for(20ms);
    }
}

TEST(postgres_replicas, three_servers_starting_together_migrate_once_and_share_data)
{
    postgres_database db(shared_postgres());
    auto env = db.server_env();
    env["JWT_SECRET"] = unique_name("replicas-share-one-jwt-secret");  // as deployed replicas do
    std::vector<std::unique_ptr<server_process>> replicas;
    for (int i = 0; i < 3; ++i)
        replicas.push_back(std::make_unique<server_process>(server_options{.env = env, .wait_until_live = false}));
    for (auto& r : replicas) wait_live(*r);

    const auto rows = db.query("SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations");
    EXPECT_EQ(rows.at(0).at(0), std::to_string(storage::embedded_migrations_postgres().size()));
    EXPECT_EQ(rows.at(0).at(1), rows.at(0).at(0));

    auto first = replicas[0]->client();
    auto third = replicas[2]->client();
    const auto user = register_user(first);
    const auto room = create_room(first, user.token, "shared");
    const auto login = third.post_json("/api/auth/login", {{"email", user.email}, {"password", user.password}});
    ASSERT_EQ(login.status, 200) << login.body;
    EXPECT_EQ(third.get_auth("/api/rooms/" + room, user.token).status, 200);
    for (auto& r : replicas) EXPECT_EQ(r->client().get("/ready").status, 200);
}

TEST(postgres_replicas, database_probe_shows_the_pool_and_target_without_secrets)
{
    postgres_database db(shared_postgres());
    auto env = db.server_env();
    env["DB_POOL_MAX"] = "5";
    server_process server({.env = env});
    auto client = server.client();
    const auto r = client.get("/health/database");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.json();
    EXPECT_EQ(body.at("database").at("driver"), "postgres");
    EXPECT_EQ(body.at("database").at("database"), "connected");
    EXPECT_EQ(body.at("pool_stats").at("max_size"), 5);
    EXPECT_GE(body.at("pool_stats").at("size").as_int64(), 1);
    EXPECT_EQ(body.at("configuration").at("host"), "127.0.0.1");
    EXPECT_EQ(body.at("configuration").at("port").as_int64(), db.endpoint().port);
    EXPECT_EQ(std::string(body.at("configuration").at("name").as_string()), db.name());
    EXPECT_EQ(r.body.find(env["DB_PASSWORD"]), std::string::npos);
    const auto conf = client.get("/health/configuration");
    EXPECT_EQ(conf.body.find(env["DB_PASSWORD"]), std::string::npos);
}

}  // namespace
}  // namespace spotik::test
