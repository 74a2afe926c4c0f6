// Start-up behaviour of the binary: --help/--version, configuration validation with clear
// messages and non-zero exits, and the development JWT secret kept across restarts.
#include "support/server_process.hpp"
#include "support/test_util.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace spotik::test {
namespace {

using namespace std::chrono_literals;

int run_expecting_exit(server_options opts, std::string& output)
{
    opts.wait_until_live = false;
    server_process p{std::move(opts)};
    auto status = p.wait_exit(20s);
    output = p.output();
    return status.value_or(-1);
}

TEST(startup, help_and_version)
{
    std::string out;
    EXPECT_EQ(run_expecting_exit({.args = {"--version"}}, out), 0);
    EXPECT_NE(out.find("spotik 1.0.0"), std::string::npos) << out;
    EXPECT_EQ(run_expecting_exit({.args = {"--help"}}, out), 0);
    for (const char* var : {"SERVER_PORT", "JWT_SECRET", "DB_PATH", "MAX_FILE_SIZE_MB", "CORS_ORIGINS", "BCRYPT_COST"})
        EXPECT_NE(out.find(var), std::string::npos) << var;
    EXPECT_EQ(run_expecting_exit({.args = {"bogus"}}, out), 2);
}

TEST(startup, bad_values_stop_the_server_with_a_clear_message)
{
    std::string out;
    EXPECT_NE(run_expecting_exit({.env = {{"SERVER_PORT", "abc"}}}, out), 0);
    EXPECT_NE(out.find("SERVER_PORT"), std::string::npos) << out;
    EXPECT_NE(run_expecting_exit({.env = {{"BCRYPT_COST", "99"}}}, out), 0);
    EXPECT_NE(out.find("BCRYPT_COST"), std::string::npos) << out;
    EXPECT_NE(run_expecting_exit({.env = {{"AUDIO_STORAGE_PATH", "/proc/spotik-cannot-write"}}}, out), 0);
    EXPECT_NE(out.find("AUDIO_STORAGE_PATH"), std::string::npos) << out;
}

TEST(startup, a_host_name_as_server_host_stops_start_up_before_the_database_opens)
{
    std::string out;
    server_options opts{.env = {{"SERVER_HOST", "localhost"}}};
    opts.data_dir = make_temp_dir("spotik-host-");
    EXPECT_EQ(run_expecting_exit(opts, out), 1);
    EXPECT_NE(out.find("configuration error: SERVER_HOST: expected an IPv4 or IPv6 address"), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(opts.data_dir + "/spotik.db")) << out;
    std::filesystem::remove_all(opts.data_dir);
}

TEST(startup, a_port_in_use_is_told_in_plain_words)
{
    server_process first;
    std::string out;
    EXPECT_NE(run_expecting_exit({.env = {{"SERVER_PORT", std::to_string(first.port())}}}, out), 0);
    EXPECT_NE(out.find("cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": Address already in use"),
              std::string::npos)
        << out;
    EXPECT_EQ(out.find(".hpp"), std::string::npos) << "no source location of a library: " << out;
}

TEST(startup, the_listening_line_is_a_url_for_an_ipv6_host_too)
{
    server_process any{{.env = {{"SERVER_HOST", "::"}}}};  // every address, IPv4 included
    const auto out = any.output();
    EXPECT_NE(out.find("is listening on http://localhost:" + std::to_string(any.port()) + "\n"), std::string::npos)
        << out;
    EXPECT_EQ(out.find(":::"), std::string::npos) << out;
}

TEST(startup, production_requires_a_real_secret)
{
    std::string out;
    EXPECT_NE(run_expecting_exit({.env = {{"APP_ENV", "production"}, {"JWT_SECRET", ""}}}, out), 0);
    EXPECT_NE(out.find("JWT_SECRET"), std::string::npos) << out;
    EXPECT_NE(run_expecting_exit({.env = {{"APP_ENV", "production"}, {"JWT_SECRET", "short-secret-123"}}}, out), 0);
    EXPECT_EQ(out.find("short-secret-123"), std::string::npos) << "the secret is never printed";
    EXPECT_NE(run_expecting_exit({.env = {{"APP_ENV", "production"}, {"JWT_SECRET", std::string(40, ' ')}}}, out), 0);
    EXPECT_NE(out.find("JWT_SECRET: too predictable"), std::string::npos) << out;
    server_process ok{{.env = {{"APP_ENV", "production"}, {"JWT_SECRET", "9c1f4e7a2b8d3065e1f7a9c3b5d80246"}}}};
    EXPECT_EQ(ok.client().get("/live").status, 200);
}

TEST(startup, development_generates_and_keeps_a_secret)
{
    server_process server{{.env = {{"JWT_SECRET", ""}, {"APP_ENV", "development"}}}};
    auto client = server.client();
    auto u = register_user(client);
    EXPECT_TRUE(std::filesystem::exists(server.data_dir() + "/jwt_secret"));
    server.restart();
    EXPECT_EQ(server.client().get_auth("/api/auth/me", u.token).status, 200);
    EXPECT_NE(server.output().find("JWT_SECRET is not set"), std::string::npos);
}

}  // namespace
}  // namespace spotik::test
