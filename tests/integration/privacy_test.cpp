// Secrets and privacy (issue: hardening, item 6). Every server_process already fails its test
// when the server printed a secret, token, password, password hash or its data folder's path
// (server_output_leaks); these tests show the check can fail, and read every health, metrics
// and error body a caller can provoke for the same things.
#include "support/server_process.hpp"
#include "support/test_util.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace spotik::test {
namespace {

namespace json = boost::json;

TEST(privacy, the_output_check_finds_each_kind_of_leak)
{
    const std::map<std::string, std::string> env{{"JWT_SECRET", "s3cret-signing-key-0123456789"},
                                                 {"DB_PASSWORD", "pg-pass-42"}};
    const std::string dir = "/tmp/spotik-test-abc123";
    const std::string token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
    const std::string hash = "$2y$04$" + std::string(53, 'a');
    const std::string clean = R"({"level":"info","message":"request","path":"/api/tracks/x/stream","status":200})";
    EXPECT_TRUE(server_output_leaks(clean + "\n" + clean, env, dir).empty());
    for (const std::string& line :
         std::vector<std::string>{"signing with s3cret-signing-key-0123456789", "db pg-pass-42",
                                  "cannot write /tmp/spotik-test-abc123/storage", "user Test-password-pw_1",
                                  "token " + token, "hash " + hash}) {
        auto found = server_output_leaks(clean + "\n" + line + "\n", env, dir);
        ASSERT_EQ(found.size(), 1u) << line;
        EXPECT_NE(found[0].find(line), std::string::npos) << found[0];
    }
}

// Everything a caller can read about the server: no secret, token, password, hash or path.
TEST(privacy, health_metrics_and_error_bodies_reveal_nothing_private)
{
    server_process server;
    auto http = server.client();
    auto user = register_user(http, "private");
    // Errors on the way: a wrong password, a bad token, a malformed registration, a bad upload.
    const auto bad_login =
        http.post_json("/api/auth/login", json::object{{"email", user.email}, {"password", user.password + "x"}});
    EXPECT_EQ(bad_login.status, 401);
    const auto bad_token = http.get_auth("/api/auth/me", user.token + "x");
    EXPECT_EQ(bad_token.status, 401);
    const auto bad_register =
        http.post_json("/api/auth/register", json::object{{"email", "nope"}, {"password", "Test-password-short"}});
    EXPECT_EQ(bad_register.status, 422);
    std::vector<std::pair<std::string, std::string>> bodies{
        {"login 401", bad_login.body}, {"token 401", bad_token.body}, {"register 422", bad_register.body}};
    for (const char* path :
         {"/health", "/health/basic", "/health/database", "/health/storage", "/health/configuration", "/ready", "/live",
          "/api/metrics", "/api/monitoring/performance", "/api/websocket/status", "/api/health", "/api/time", "/api"}) {
        auto anonymous = http.get(path);
        auto signed_in = http.get_auth(path, user.token);
        bodies.emplace_back(std::string(path) + " (anonymous)", anonymous.body);
        bodies.emplace_back(std::string(path) + " (signed in)", signed_in.body);
    }
    std::map<std::string, std::string> env;
    for (const char* name : {"JWT_SECRET", "DB_PASSWORD", "REDIS_PASSWORD"}) env[name] = server.env(name);
    for (const auto& [what, body] : bodies) {
        auto leaks = server_output_leaks(body, env, server.data_dir());
        EXPECT_TRUE(leaks.empty()) << what << ": " << (leaks.empty() ? "" : leaks[0].substr(0, 400));
        EXPECT_EQ(body.find(user.password), std::string::npos) << what;
        EXPECT_EQ(body.find(user.token), std::string::npos) << what;
    }
}

}  // namespace
}  // namespace spotik::test
