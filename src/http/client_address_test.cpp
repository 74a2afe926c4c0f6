// Unit tests for http/client_address: forwarded headers count only from trusted proxies, are
// read from the right skipping trusted hops, and a malformed hop stops the walk.
#include "http/client_address.hpp"

#include <gtest/gtest.h>

namespace spotik::http {
namespace {

util::ip_range_list trusted(std::string_view text)
{
    util::ip_range_list l;
    EXPECT_FALSE(util::ip_range_list::parse(text, l));
    return l;
}

TEST(client_address, headers_are_ignored_without_trusted_proxies)
{
    auto none = trusted("");
    EXPECT_EQ(client_address("10.0.0.5", "1.2.3.4", "5.6.7.8", none), "10.0.0.5");
}

TEST(client_address, headers_from_an_untrusted_peer_are_ignored)
{
    auto t = trusted("10.0.0.0/8");
    EXPECT_EQ(client_address("192.0.2.1", "1.2.3.4", "5.6.7.8", t), "192.0.2.1");
}

TEST(client_address, the_first_untrusted_hop_from_the_right_is_the_client)
{
    auto t = trusted("10.0.0.0/8, 127.0.0.1");
    EXPECT_EQ(client_address("10.0.0.5", "203.0.113.9", "", t), "203.0.113.9");
    // A client-supplied (spoofed) entry sits left of the address the proxy saw: ignored.
    EXPECT_EQ(client_address("10.0.0.5", "6.6.6.6, 203.0.113.9", "", t), "203.0.113.9");
    // Two proxies in a row.
    EXPECT_EQ(client_address("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.1.1", "", t), "203.0.113.9");
    EXPECT_EQ(client_address("10.0.0.5", " 2001:db8::7 ", "", t), "2001:db8::7");
}

TEST(client_address, all_hops_trusted_gives_the_leftmost)
{
    auto t = trusted("10.0.0.0/8");
    EXPECT_EQ(client_address("10.0.0.5", "10.0.0.7, 10.0.0.6", "", t), "10.0.0.7");
}

TEST(client_address, a_malformed_hop_stops_at_the_last_vouched_address)
{
    auto t = trusted("10.0.0.0/8");
    EXPECT_EQ(client_address("10.0.0.5", "garbage", "", t), "10.0.0.5");
    EXPECT_EQ(client_address("10.0.0.5", "1.2.3.4, garbage, 10.0.0.9", "", t), "10.0.0.9");
    EXPECT_EQ(client_address("10.0.0.5", ",", "", t), "10.0.0.5");
}

TEST(client_address, x_real_ip_when_there_is_no_forwarded_for)
{
    auto t = trusted("10.0.0.0/8");
    EXPECT_EQ(client_address("10.0.0.5", "", "198.51.100.2", t), "198.51.100.2");
    EXPECT_EQ(client_address("10.0.0.5", "", "nonsense", t), "10.0.0.5");
}

}  // namespace
}  // namespace spotik::http
