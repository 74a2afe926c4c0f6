// Unit tests of the healthcheck's probe address: --url ports checked rather than wrapped,
// IPv6 literals without their brackets, SERVER_HOST and SERVER_PORT from the environment.
#include "app/healthcheck.hpp"

#include <gtest/gtest.h>

namespace spotik::app {
namespace {

probe_target from_url(const std::string& url)
{
    command cmd{.kind = command_kind::healthcheck};
    cmd.url = url;
    return resolve_probe_target(cmd, {}, {});
}

TEST(healthcheck_target, url_ports_outside_1_to_65535_are_refused)
{
    // 83987 would wrap to 18451 (83987 - 65536) and probe another server.
    for (const char* url : {"http://127.0.0.1:83987/ready", "http://127.0.0.1:0/ready", "http://127.0.0.1:65536/",
                            "http://127.0.0.1:/ready"}) {
        const auto t = from_url(url);
        EXPECT_NE(t.error.find("port"), std::string::npos) << url << " gave port " << t.port;
    }
    const auto top = from_url("http://127.0.0.1:65535/live");
    EXPECT_EQ(top.error, "");
    EXPECT_EQ(top.port, 65535);
    const auto plain = from_url("http://10.0.0.2/ready");
    EXPECT_EQ(plain.error, "");
    EXPECT_EQ(plain.host, "10.0.0.2");
    EXPECT_EQ(plain.port, 80);
    EXPECT_EQ(plain.path, "/ready");
}

TEST(healthcheck_target, ipv6_urls_lose_their_brackets)
{
    const auto t = from_url("http://[::1]:18451/live");
    EXPECT_EQ(t.error, "");
    EXPECT_EQ(t.host, "::1");  // the resolver refuses "[::1]" ("Host not found")
    EXPECT_EQ(t.port, 18451);
    EXPECT_EQ(t.path, "/live");
}

TEST(healthcheck_target, server_host_and_port_come_from_the_environment)
{
    const command cmd{.kind = command_kind::healthcheck};
    const auto v6 = resolve_probe_target(cmd, {{"SERVER_HOST", "[::1]"}, {"SERVER_PORT", "8080"}}, {});
    EXPECT_EQ(v6.error, "");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 8080);
    const auto any = resolve_probe_target(cmd, {{"SERVER_HOST", "[::]"}}, {{"SERVER_PORT", "8081"}});
    EXPECT_EQ(any.host, "127.0.0.1");
    EXPECT_EQ(any.port, 8081);
    EXPECT_NE(resolve_probe_target(cmd, {{"SERVER_HOST", "localhost"}}, {}).error.find("SERVER_HOST"),
              std::string::npos);
    EXPECT_NE(resolve_probe_target(cmd, {{"SERVER_PORT", "0"}}, {}).error.find("SERVER_PORT"), std::string::npos);
}

}  // namespace
}  // namespace spotik::app
