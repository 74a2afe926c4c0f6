// PostgreSQL restarted under a running server (issue 5, fault tests): two clients write
// continuously; while the database is down every request is answered 503 JSON at once (no
// hang, no 500), /ready and /health/database say so, service resumes by itself once the
// database is back, and every write the server acknowledged is in the database afterwards.
#include "storage/store.hpp"
#include "support/postgres_server.hpp"
#include "support/server_process.hpp"
#include "support/test_util.hpp"
#include "support/ws_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

namespace spotik::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start)
{
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

// What the writers saw, shared between their threads.
struct write_log {
    std::mutex mutex;
    std::vector<std::string> acknowledged;  // ids of rooms answered 201
    int unavailable = 0;                    // 503 JSON answers
    double slowest_unavailable_s = 0;
    std::vector<std::string> problems;  // anything else

    std::size_t acknowledged_count()
    {
        std::lock_guard lock(mutex);
        return acknowledged.size();
    }
};

void record(write_log& log, const http_response& r, double seconds)
{
    std::lock_guard lock(log.mutex);
    try {
        const auto body = r.json();
        if (r.status == 201) {
            log.acknowledged.emplace_back(body.at("data").at("id").as_string());
            return;
        }
        if (r.status == 503 && body.at("message").is_string() && body.at("error").is_string() &&
            r.header("retry-after") == "5") {
            ++log.unavailable;
            log.slowest_unavailable_s = std::max(log.slowest_unavailable_s, seconds);
            return;
        }
    } catch (const std::exception&) {
        // Not the JSON the contract promises: reported below.
    }
    log.problems.push_back(std::to_string(r.status) + " " + r.body);
}

bool wait_for(const std::function<bool()>& condition, std::chrono::seconds limit)
{
    const auto deadline = clock_type::now() + limit;
    while (!condition()) {
        if (clock_type::now() > deadline) return false;
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

TEST(postgres_outage, restart_answers_503_then_recovers_without_losing_acknowledged_writes)
{
    postgres_server pg(postgres_server::mode::child, true);
    postgres_database db(pg.endpoint());
    auto env = db.server_env();
    env["DB_POOL_TIMEOUT"] = "2";
    server_process server({.env = env});
    auto client = server.client();
    const auto user = register_user(client);

    write_log log;
    std::atomic<bool> stop{false};
    auto writer = [&](int n) {
        auto c = server.client();
        c.set_timeout(15s);
        for (int i = 0; !stop; ++i) {
            const auto start = clock_type::now();
            try {
                const auto r = c.post_json("/api/rooms", {{"name", "w" + std::to_string(n) + "-" + std::to_string(i)}},
                                           user.token);
                record(log, r, seconds_since(start));
            } catch (const std::exception& e) {
                std::lock_guard lock(log.mutex);
                log.problems.push_back(std::string("no answer: ") + e.what());
            }
            std::this_thread::sleep_for(10ms);
        }
    };
    std::vector<std::thread> writers;
    for (int n = 0; n < 2; ++n) writers.emplace_back(writer, n);

    ASSERT_TRUE(wait_for([&] { return log.acknowledged_count() >= 20; }, 30s));
    ws_client live("127.0.0.1", server.port(), ws_client::target_for(user.token));
    live.expect("connection_established", 15s);
    pg.stop();
    // While the database is down: probes answer at once and say it.
    ASSERT_TRUE(wait_for([&] { return client.get("/ready").status == 503; }, 10s));
    const auto probe_start = clock_type::now();
    const auto ready = client.get("/ready");
    EXPECT_LT(seconds_since(probe_start), 2.0);
    EXPECT_EQ(ready.json().at("ready"), false);
    EXPECT_EQ(ready.json().at("checks").at("database"), false);
    const auto health = client.get("/health/database");
    EXPECT_EQ(health.status, 503);
    EXPECT_EQ(health.json().at("database").at("database"), "disconnected");
    EXPECT_EQ(health.body.find(env["DB_PASSWORD"]), std::string::npos);
    // A WebSocket handshake cannot check its token either: 503 JSON, not a dropped connection.
    const auto upgrade =
        ws_client::try_connect("127.0.0.1", server.port(), ws_client::target_for(user.token), {}, {}, 10s);
    EXPECT_FALSE(upgrade.upgraded);
    EXPECT_EQ(upgrade.status, 503) << upgrade.body;
    EXPECT_EQ(upgrade.header("retry-after"), "5");
    EXPECT_EQ(upgrade.json().at("error"), "Database unavailable");
    // An open socket's commands get an error saying so, and the socket stays open.
    ASSERT_TRUE(live.send_json({{"type", "get_room_state"}}));
    const auto refused = live.expect("error", 15s);
    EXPECT_EQ(refused.at("data").at("error_code"), "service_unavailable");
    EXPECT_TRUE(live.is_open());
    std::this_thread::sleep_for(1s);  // the writers keep going against the stopped database
    const auto during = log.acknowledged_count();

    pg.start();
    EXPECT_TRUE(wait_for([&] { return log.acknowledged_count() >= during + 20; }, 30s))
        << "writes did not resume after the restart";
    EXPECT_TRUE(wait_for([&] { return client.get("/ready").status == 200; }, 10s));
    stop = true;
    for (auto& w : writers) w.join();

    EXPECT_TRUE(log.problems.empty()) << log.problems.size() << " unexpected answers, first: " << log.problems.front();
    EXPECT_GT(log.unavailable, 0) << "no request met the outage";
    EXPECT_LT(log.slowest_unavailable_s, 2.0) << "a 503 took too long";
    std::set<std::string> stored;
    for (const auto& row : db.query("SELECT id FROM rooms")) stored.insert(*row.at(0));
    std::size_t lost = 0;
    for (const auto& id : log.acknowledged) lost += stored.contains(id) ? 0 : 1;
    EXPECT_EQ(lost, 0U) << "of " << log.acknowledged.size() << " acknowledged writes";
    std::cout << "outage: " << log.acknowledged.size() << " writes acknowledged (" << lost << " lost), "
              << log.unavailable << " answered 503, slowest 503 in " << log.slowest_unavailable_s << " s\n";
}

TEST(postgres_outage, start_up_waits_for_the_database_then_fails_clearly)
{
    auto at = shared_postgres();
    at.port = pick_free_port();  // nothing listens there
    auto env = at.server_env("spotik");
    env["DB_CONNECT_TIMEOUT"] = "1";
    server_process server({.env = env, .wait_until_live = false});
    const auto status = server.wait_exit(30s);
    ASSERT_TRUE(status.has_value()) << "the server kept running without a database";
    EXPECT_EQ(*status, 1);
    const auto output = server.output();
    EXPECT_NE(output.find("waiting for the database"), std::string::npos) << output;
    EXPECT_NE(output.find("spotik: cannot open the database: postgres"), std::string::npos) << output;
    EXPECT_EQ(output.find(at.password), std::string::npos) << "the password is never printed";
}

}  // namespace
}  // namespace spotik::test
