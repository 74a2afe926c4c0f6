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

}  // namespace
}  // namespace spotik::http
