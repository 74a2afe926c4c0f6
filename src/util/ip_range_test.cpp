// Unit tests for util/ip_range: IPv4/IPv6 addresses and CIDR ranges, IPv4-mapped IPv6, and
// the TRUSTED_PROXIES list parser with its error message.
#include "util/ip_range.hpp"

#include <gtest/gtest.h>

namespace spotik::util {
namespace {

bool in(std::string_view list, std::string_view address)
{
    ip_range_list l;
    EXPECT_FALSE(ip_range_list::parse(list, l)) << list;
    return l.contains(address);
}

TEST(ip_range, ipv4_cidr_boundaries)
{
    EXPECT_TRUE(in("10.0.0.0/8", "10.255.1.2"));
    EXPECT_FALSE(in("10.0.0.0/8", "11.0.0.0"));
    EXPECT_TRUE(in("192.168.1.0/24", "192.168.1.255"));
    EXPECT_FALSE(in("192.168.1.0/24", "192.168.2.0"));
    EXPECT_TRUE(in("172.16.0.0/12", "172.31.255.255"));
    EXPECT_FALSE(in("172.16.0.0/12", "172.32.0.0"));
    EXPECT_TRUE(in("0.0.0.0/0", "8.8.8.8"));
    EXPECT_FALSE(in("0.0.0.0/0", "::1")) << "an IPv4 range holds no IPv6 address";
    EXPECT_TRUE(in("127.0.0.1", "127.0.0.1"));
    EXPECT_FALSE(in("127.0.0.1", "127.0.0.2"));
    EXPECT_TRUE(in("10.1.2.3/8", "10.9.9.9")) << "host bits beyond the prefix are ignored";
}

TEST(ip_range, ipv6_and_mapped_addresses)
{
    EXPECT_TRUE(in("::1", "::1"));
    EXPECT_TRUE(in("[::1]", "[::1]"));
    EXPECT_TRUE(in("fd00::/8", "fdab:1::5"));
    EXPECT_FALSE(in("fd00::/8", "fe80::1"));
    EXPECT_TRUE(in("127.0.0.0/8", "::ffff:127.0.0.9")) << "IPv4-mapped IPv6";
    EXPECT_TRUE(in("2001:db8::/32", "2001:db8:ffff::1"));
    EXPECT_FALSE(in("2001:db8::/33", "2001:db8:ffff::1"));
}

TEST(ip_range, list_separators_and_errors)
{
    ip_range_list l;
    EXPECT_FALSE(ip_range_list::parse("10.0.0.1, 10.0.0.2 ,fd00::/8", l));
    EXPECT_TRUE(l.contains("10.0.0.2"));
    EXPECT_TRUE(l.contains("fd00::7"));
    EXPECT_FALSE(l.contains("not-an-ip"));
    ip_range_list empty;
    EXPECT_FALSE(ip_range_list::parse("", empty));
    EXPECT_TRUE(empty.empty());
    for (auto bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "host.example", "1.2.3", "10.0.0.0/-1"}) {
        ip_range_list out;
        auto problem = ip_range_list::parse(std::string("127.0.0.1,") + bad, out);
        ASSERT_TRUE(problem) << bad;
        EXPECT_NE(problem->find("is not an IP address or CIDR range"), std::string::npos) << *problem;
    }
}

}  // namespace
}  // namespace spotik::util
