// Unit tests for the abuse controls: the lockout schedule, the in-process store (rates,
// failures, slots and forgetting quiet clients) and the guard's keys and switches.
#include "limits/guard.hpp"

#include <gtest/gtest.h>

namespace spotik::limits {
namespace {

TEST(limits_rules, a_window_rate_spreads_its_requests_evenly)
{
    auto r = rate_per_window(1000, 3600, 100);
    EXPECT_EQ(r.interval_ms, 3600);
    EXPECT_EQ(r.burst, 100);
    EXPECT_EQ(rate_per_window(10'000'000, 1, 0).interval_ms, 1);  // never below 1 ms
    EXPECT_EQ(rate_per_window(10, 60, 0).burst, 1);
}

TEST(limits_rules, lockouts_start_at_the_limit_and_double_up_to_the_maximum)
{
    const backoff b{3, 1000, 10'000};
    EXPECT_EQ(lockout_ms(1, b), 0);
    EXPECT_EQ(lockout_ms(2, b), 0);
    EXPECT_EQ(lockout_ms(3, b), 1000);
    EXPECT_EQ(lockout_ms(4, b), 2000);
    EXPECT_EQ(lockout_ms(5, b), 4000);
    EXPECT_EQ(lockout_ms(6, b), 8000);
    EXPECT_EQ(lockout_ms(7, b), 10'000);
    EXPECT_EQ(lockout_ms(1'000'000, b), 10'000);
}

TEST(local_limit_store, a_burst_passes_then_one_request_per_interval)
{
    util::manual_clock clock;
    local_limit_store store{clock};
    const rate r{1000, 3};
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(store.take("a", r).allowed) << i;
    auto refused = store.take("a", r);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after_ms, 1000);
    EXPECT_TRUE(store.take("b", r).allowed) << "clients are counted apart";
    clock.advance(999);
    EXPECT_FALSE(store.take("a", r).allowed);
    clock.advance(1);
    EXPECT_TRUE(store.take("a", r).allowed);
    EXPECT_FALSE(store.take("a", r).allowed);
}

TEST(local_limit_store, failures_lock_out_and_a_success_forgets_them)
{
    util::manual_clock clock;
    local_limit_store store{clock};
    const backoff b{2, 1000, 4000};
    EXPECT_EQ(store.record_failure("k", b, 60'000), 0);
    EXPECT_EQ(store.locked_for_ms("k"), 0);
    EXPECT_EQ(store.record_failure("k", b, 60'000), 1000);
    EXPECT_EQ(store.locked_for_ms("k"), 1000);
    clock.advance(400);
    EXPECT_EQ(store.locked_for_ms("k"), 600);
    clock.advance(600);
    EXPECT_EQ(store.locked_for_ms("k"), 0);
    EXPECT_EQ(store.record_failure("k", b, 60'000), 2000) << "the next failure doubles the lockout";
    store.clear_failures("k");
    EXPECT_EQ(store.locked_for_ms("k"), 0);
    EXPECT_EQ(store.record_failure("k", b, 60'000), 0) << "counting starts again";
}

TEST(local_limit_store, failures_are_forgotten_after_a_quiet_spell)
{
    util::manual_clock clock;
    local_limit_store store{clock};
    const backoff b{2, 1000, 4000};
    store.record_failure("k", b, 5000);
    clock.advance(5000);
    EXPECT_EQ(store.record_failure("k", b, 5000), 0) << "the first failure was forgotten";
}

TEST(local_limit_store, slots_are_capped_released_and_expire)
{
    util::manual_clock clock;
    local_limit_store store{clock};
    EXPECT_TRUE(store.acquire_slot("u", "one", 2, 10'000));
    EXPECT_TRUE(store.acquire_slot("u", "two", 2, 10'000));
    EXPECT_FALSE(store.acquire_slot("u", "three", 2, 10'000));
    EXPECT_TRUE(store.acquire_slot("v", "three", 2, 10'000)) << "users are counted apart";
    store.release_slot("u", "one");
    EXPECT_TRUE(store.acquire_slot("u", "three", 2, 10'000));
    EXPECT_FALSE(store.acquire_slot("u", "four", 2, 10'000));
    clock.advance(10'000);
    EXPECT_TRUE(store.acquire_slot("u", "four", 2, 10'000)) << "a vanished holder's slot frees itself";
}

TEST(local_limit_store, quiet_clients_are_forgotten)
{
    util::manual_clock clock;
    local_limit_store store{clock};
    for (int i = 0; i < 5000; ++i) store.take("client-" + std::to_string(i), rate{10, 2});
    EXPECT_GE(store.size(), 4000u);
    clock.advance(1000);
    for (int i = 0; i < 5000; ++i) store.take("again-" + std::to_string(i % 10), rate{10, 2});
    EXPECT_LT(store.size(), 1000u);
}

struct guard_fixture : ::testing::Test {
    util::manual_clock clock;
    config::limit_settings settings;
    std::unique_ptr<guard> make()
    {
        return std::make_unique<guard>(settings, std::make_unique<local_limit_store>(clock),
                                       [](std::string_view token) { return token == "good" ? "u1" : ""; });
    }
};

TEST_F(guard_fixture, clients_are_users_with_a_valid_token_else_addresses)
{
    auto g = make();
    EXPECT_EQ(g->client_of("good", "10.0.0.1"), "user:u1");
    EXPECT_EQ(g->client_of("forged", "10.0.0.1"), "ip:10.0.0.1");
    EXPECT_EQ(g->client_of("", "10.0.0.1"), "ip:10.0.0.1");
    EXPECT_FALSE(g->remote());
}

TEST_F(guard_fixture, requests_past_the_budget_are_refused_and_counted)
{
    settings.requests_per_window = 60;
    settings.window_s = 60;
    settings.burst = 5;
    auto g = make();
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(g->check_request("ip:a").allowed);
    auto v = g->check_request("ip:a");
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.retry_after_ms, 1000);
    EXPECT_EQ(g->json().at("requests_refused"), 1);
    EXPECT_TRUE(g->check_request("ip:b").allowed);
}

TEST_F(guard_fixture, logins_lock_out_per_email_and_address)
{
    settings.login_max_attempts = 2;
    settings.login_lockout_s = 30;
    auto g = make();
    EXPECT_EQ(g->login_failed("Ann@Example.com", "10.0.0.1"), 0);
    EXPECT_EQ(g->login_failed("ann@example.com", "10.0.0.1"), 30'000) << "emails are compared in lower case";
    EXPECT_EQ(g->login_locked_ms("ANN@example.com", "10.0.0.1"), 30'000);
    EXPECT_EQ(g->login_locked_ms("ann@example.com", "10.0.0.2"), 0) << "another address is not locked out";
    EXPECT_EQ(g->login_locked_ms("bob@example.com", "10.0.0.1"), 0) << "another account is not locked out";
    g->login_succeeded("ann@example.com", "10.0.0.1");
    EXPECT_EQ(g->login_locked_ms("ann@example.com", "10.0.0.1"), 0);
}

TEST_F(guard_fixture, uploads_in_progress_are_capped_per_user)
{
    settings.uploads_per_user = 1;
    auto g = make();
    std::unique_ptr<guard::upload_slot> first, second;
    EXPECT_TRUE(g->try_upload("u1", 60'000, first));
    ASSERT_NE(first, nullptr);
    EXPECT_FALSE(g->try_upload("u1", 60'000, second));
    EXPECT_TRUE(g->try_upload("u2", 60'000, second));
    second.reset();
    first.reset();
    EXPECT_TRUE(g->try_upload("u1", 60'000, first)) << "a finished upload gives its slot back";
    EXPECT_EQ(g->json().at("uploads_refused"), 1);
}

TEST_F(guard_fixture, switched_off_nothing_is_limited)
{
    settings.enabled = false;
    settings.burst = 1;
    settings.uploads_per_user = 1;
    auto g = make();
    for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(g->check_request("ip:a").allowed);
        EXPECT_TRUE(g->check_handshake("a").allowed);
        g->login_failed("a@b.c", "a");
    }
    EXPECT_EQ(g->login_locked_ms("a@b.c", "a"), 0);
    std::unique_ptr<guard::upload_slot> a, b;
    EXPECT_TRUE(g->try_upload("u1", 1000, a));
    EXPECT_TRUE(g->try_upload("u1", 1000, b));
}

}  // namespace
}  // namespace spotik::limits
