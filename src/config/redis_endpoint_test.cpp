// Unit tests for config/redis_endpoint and the REDIS_* / TRUSTED_PROXIES variables: URL forms,
// REDIS_PASSWORD and REDIS_DB winning over the URL, and messages that never quote a password.
#include "config/load.hpp"
#include "config/redis_endpoint.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace spotik::config {
namespace {

// load_config creates the data directories: keep them in a temporary one.
load_result load(env_map env)
{
    static const std::string dir = (std::filesystem::temp_directory_path() / "spotik-redis-config-test").string();
    env["DATA_PATH"] = dir;
    return load_config(env, {});
}

redis_endpoint of(redis_settings s)
{
    std::string problem;
    auto e = redis_endpoint_of(s, problem);
    EXPECT_TRUE(problem.empty()) << problem;
    return e.value_or(redis_endpoint{"(none)"});
}

TEST(redis_endpoint, disabled_without_url_or_host)
{
    std::string problem;
    EXPECT_FALSE(redis_endpoint_of(redis_settings{}, problem));
    EXPECT_TRUE(problem.empty());
}

TEST(redis_endpoint, url_forms)
{
    auto e = of({.url = "redis://cache:6380/2"});
    EXPECT_EQ(e.host, "cache");
    EXPECT_EQ(e.port, 6380);
    EXPECT_EQ(e.db, 2);
    EXPECT_EQ(e.password, "");
    e = of({.url = "redis://:p%40ss@10.0.0.2"});
    EXPECT_EQ(e.host, "10.0.0.2");
    EXPECT_EQ(e.port, 6379);
    EXPECT_EQ(e.password, "p@ss");
    e = of({.url = "redis://user:secret@[::1]:7000"});
    EXPECT_EQ(e.host, "::1");
    EXPECT_EQ(e.port, 7000);
    EXPECT_EQ(e.password, "secret");
}

TEST(redis_endpoint, separate_variables_win)
{
    auto e = of({.url = "redis://:old@h:1/3", .password = "new", .db = 0});
    EXPECT_EQ(e.password, "new");
    EXPECT_EQ(e.db, 0);
    e = of({.host = "redis", .port = 6390});
    EXPECT_EQ(e.host, "redis");
    EXPECT_EQ(e.port, 6390);
}

TEST(redis_endpoint, bad_urls_are_reported_without_the_password)
{
    for (const char* bad : {"http://h", "redis://", "redis://:topsecret@h:99999", "redis://h/x", "redis://[::1"}) {
        auto r = load({{"REDIS_URL", bad}});
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_TRUE(r.errors[0].starts_with("REDIS_URL: ")) << r.errors[0];
        EXPECT_EQ(r.errors[0].find("topsecret"), std::string::npos) << r.errors[0];
    }
}

TEST(redis_endpoint, variables_load)
{
    auto r = load({{"REDIS_HOST", "r"}, {"REDIS_PORT", "6390"}, {"REDIS_PASSWORD", "pw"}, {"REDIS_DB", "4"},
                   {"TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"}});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_TRUE(r.cfg.redis.enabled());
    EXPECT_EQ(of(r.cfg.redis).db, 4);
    EXPECT_EQ(r.cfg.server.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "127.0.0.1"}));
    auto bad = load({{"TRUSTED_PROXIES", "10.0.0.0/8,nope"}});
    ASSERT_FALSE(bad.ok());
    EXPECT_TRUE(bad.errors[0].starts_with("TRUSTED_PROXIES: ")) << bad.errors[0];
    for (const auto& [name, value] : describe(r.cfg)) {
        if (name == "REDIS_PASSWORD") EXPECT_EQ(value, "(set)");
        if (name == "REDIS_URL") EXPECT_EQ(value, "(not set)");
    }
}

}  // namespace
}  // namespace spotik::config
