#include "http/request.hpp"

#include <gtest/gtest.h>

namespace spotik::http {
namespace {

request with_headers(std::vector<std::pair<std::string, std::string>> headers)
{
    request r;
    r.method = "POST";
    r.headers = std::move(headers);
    return r;
}

TEST(ambiguous_body_framing, a_single_length_or_plain_chunked_is_clear)
{
    EXPECT_FALSE(ambiguous_body_framing(with_headers({})));
    EXPECT_FALSE(ambiguous_body_framing(with_headers({{"content-length", "12"}})));
    EXPECT_FALSE(ambiguous_body_framing(with_headers({{"transfer-encoding", "chunked"}})));
    EXPECT_FALSE(ambiguous_body_framing(with_headers({{"transfer-encoding", " Chunked\t"}})));
    EXPECT_FALSE(ambiguous_body_framing(with_headers({{"host", "x"}, {"content-type", "application/json"}})));
}

TEST(ambiguous_body_framing, two_readings_of_the_length_are_refused)
{
    EXPECT_TRUE(ambiguous_body_framing(with_headers({{"content-length", "2"}, {"content-length", "2"}})));
    EXPECT_TRUE(ambiguous_body_framing(with_headers({{"content-length", "4"}, {"transfer-encoding", "chunked"}})));
    EXPECT_TRUE(
        ambiguous_body_framing(with_headers({{"transfer-encoding", "chunked"}, {"transfer-encoding", "chunked"}})));
    EXPECT_TRUE(ambiguous_body_framing(with_headers({{"content-length", "2, 2"}})));
    EXPECT_TRUE(ambiguous_body_framing(with_headers({{"content-length", "+2"}})));
    EXPECT_TRUE(ambiguous_body_framing(with_headers({{"content-length", ""}})));
    EXPECT_TRUE(ambiguous_body_framing(with_headers({{"transfer-encoding", "gzip, chunked"}})));
    EXPECT_TRUE(ambiguous_body_framing(with_headers({{"transfer-encoding", "chunked, identity"}})));
    EXPECT_TRUE(ambiguous_body_framing(with_headers({{"transfer-encoding", "xchunked"}})));
    EXPECT_TRUE(ambiguous_body_framing(with_headers({{"transfer-encoding", ""}})));
}

TEST(bad_host_field, one_host_with_an_optional_port_is_good)
{
    EXPECT_FALSE(bad_host_field(with_headers({{"host", "example.com"}}), 11));
    EXPECT_FALSE(bad_host_field(with_headers({{"host", "127.0.0.1:8000"}}), 11));
    EXPECT_FALSE(bad_host_field(with_headers({{"host", "[::1]:8000"}}), 11));
    EXPECT_FALSE(bad_host_field(with_headers({{"host", " spotik.local "}}), 11));
    EXPECT_FALSE(bad_host_field(with_headers({{"host", ""}}), 11));
    EXPECT_FALSE(bad_host_field(with_headers({}), 10));  // HTTP/1.0 needs none
}

TEST(bad_host_field, a_missing_repeated_or_malformed_host_is_refused)
{
    EXPECT_TRUE(bad_host_field(with_headers({}), 11));
    EXPECT_TRUE(bad_host_field(with_headers({{"host", "a"}, {"host", "a"}}), 11));
    EXPECT_TRUE(bad_host_field(with_headers({{"host", "a"}, {"host", "b"}}), 10));
    EXPECT_TRUE(bad_host_field(with_headers({{"host", "user@example.com"}}), 11));
    EXPECT_TRUE(bad_host_field(with_headers({{"host", "a b"}}), 11));
    EXPECT_TRUE(bad_host_field(with_headers({{"host", "example.com/x"}}), 11));
    EXPECT_TRUE(bad_host_field(with_headers({{"host", "example.com:80x"}}), 11));
}

}  // namespace
}  // namespace spotik::http
