// Unit tests for media/byte_range: every Range header form of RFC 7233 (single range), the
// ignorable and unsatisfiable cases, empty representations, ETag format and If-None-Match.
#include "media/byte_range.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace spotik::media {
namespace {

constexpr std::uint64_t k_size = 1000;

::testing::AssertionResult is_range(const range_result& r, std::uint64_t first, std::uint64_t last)
{
    if (r.kind != range_kind::satisfiable) return ::testing::AssertionFailure() << "not satisfiable";
    if (r.range.first != first || r.range.last != last)
        return ::testing::AssertionFailure() << "got " << r.range.first << "-" << r.range.last;
    return ::testing::AssertionSuccess();
}

range_kind kind(std::string_view header, std::uint64_t size = k_size)
{
    return parse_range(header, size).kind;
}

TEST(media_byte_range, closed_ranges)
{
    EXPECT_TRUE(is_range(parse_range("bytes=0-499", k_size), 0, 499));
    EXPECT_TRUE(is_range(parse_range("bytes=500-999", k_size), 500, 999));
    EXPECT_TRUE(is_range(parse_range("bytes=0-0", k_size), 0, 0));
    EXPECT_TRUE(is_range(parse_range("bytes=999-999", k_size), 999, 999));
    EXPECT_TRUE(is_range(parse_range("bytes=10-10", k_size), 10, 10));
}

TEST(media_byte_range, end_beyond_eof_is_clamped)
{
    EXPECT_TRUE(is_range(parse_range("bytes=500-1000", k_size), 500, 999));
    EXPECT_TRUE(is_range(parse_range("bytes=0-99999999999", k_size), 0, 999));
    EXPECT_TRUE(is_range(parse_range("bytes=0-18446744073709551615", k_size), 0, 999));
}

TEST(media_byte_range, open_ranges)
{
    EXPECT_TRUE(is_range(parse_range("bytes=0-", k_size), 0, 999));
    EXPECT_TRUE(is_range(parse_range("bytes=999-", k_size), 999, 999));
    EXPECT_TRUE(is_range(parse_range("bytes=123-", k_size), 123, 999));
}

TEST(media_byte_range, suffix_ranges)
{
    EXPECT_TRUE(is_range(parse_range("bytes=-500", k_size), 500, 999));
    EXPECT_TRUE(is_range(parse_range("bytes=-1", k_size), 999, 999));
    EXPECT_TRUE(is_range(parse_range("bytes=-1000", k_size), 0, 999));
    EXPECT_TRUE(is_range(parse_range("bytes=-5000", k_size), 0, 999));
    EXPECT_EQ(kind("bytes=-0"), range_kind::unsatisfiable);
    EXPECT_EQ(kind("bytes=-000"), range_kind::unsatisfiable);
}

TEST(media_byte_range, unsatisfiable)
{
    EXPECT_EQ(kind("bytes=1000-"), range_kind::unsatisfiable);
    EXPECT_EQ(kind("bytes=1000-2000"), range_kind::unsatisfiable);
    EXPECT_EQ(kind("bytes=5000-5000"), range_kind::unsatisfiable);
}

TEST(media_byte_range, empty_representation)
{
    for (const char* h : {"bytes=0-", "bytes=0-0", "bytes=0-10", "bytes=-1", "bytes=-10", "bytes=-0", "bytes=5-"})
        EXPECT_EQ(kind(h, 0), range_kind::unsatisfiable) << h;
    EXPECT_EQ(kind("bytes=5-1", 0), range_kind::none);
    EXPECT_EQ(kind("", 0), range_kind::none);
}

TEST(media_byte_range, invalid_ranges_are_ignored)
{
    EXPECT_EQ(kind("bytes=500-100"), range_kind::none);  // first > last
    EXPECT_EQ(kind("bytes=2000-1000"), range_kind::none);
    for (const char* h : {"",
                          "bytes",
                          "bytes=",
                          "bytes=-",
                          "bytes=abc",
                          "bytes=1-abc",
                          "bytes=a-1",
                          "bytes=1",
                          "bytes=1--2",
                          "bytes=--1",
                          "bytes=+1-2",
                          "bytes=1-+2",
                          "bytes=0x10-0x20",
                          "bytes=1 2-3",
                          "bytes=1.5-2",
                          "bytes=1-2-3",
                          "items=0-1",
                          "bytes 0-1",
                          "bytes:0-1",
                          "=0-1",
                          "bytesx=0-1",
                          "bytes=\xC2\xB9-2",
                          "bytes=1\t2-3"})
        EXPECT_EQ(kind(h), range_kind::none) << h;
}

TEST(media_byte_range, overflowing_numbers_are_ignored)
{
    EXPECT_EQ(kind("bytes=18446744073709551616-"), range_kind::none);
    EXPECT_EQ(kind("bytes=0-18446744073709551616"), range_kind::none);
    EXPECT_EQ(kind("bytes=-99999999999999999999999"), range_kind::none);
    const auto max = std::numeric_limits<std::uint64_t>::max();
    EXPECT_TRUE(is_range(parse_range("bytes=18446744073709551614-", max), max - 1, max - 1));
    EXPECT_TRUE(is_range(parse_range("bytes=-18446744073709551615", max), 0, max - 1));
}

TEST(media_byte_range, several_ranges_serve_the_whole_file)
{
    EXPECT_EQ(kind("bytes=0-1,5-6"), range_kind::none);
    EXPECT_EQ(kind("bytes=0-1, -5"), range_kind::none);
    EXPECT_EQ(kind("bytes=0-1,0-1"), range_kind::none);
    EXPECT_EQ(kind("bytes=2000-3000,0-1"), range_kind::none);
}

TEST(media_byte_range, whitespace_case_and_empty_elements)
{
    EXPECT_TRUE(is_range(parse_range("  bytes = 10 - 20  ", k_size), 10, 20));
    EXPECT_TRUE(is_range(parse_range("\tbytes=\t-10\t", k_size), 990, 999));
    EXPECT_TRUE(is_range(parse_range("BYTES=0-1", k_size), 0, 1));
    EXPECT_TRUE(is_range(parse_range("Bytes=5-", k_size), 5, 999));
    EXPECT_TRUE(is_range(parse_range("bytes=, 0-1 ,", k_size), 0, 1));
    EXPECT_TRUE(is_range(parse_range("bytes=007-008", k_size), 7, 8));
    EXPECT_EQ(kind("bytes=,,"), range_kind::none);
}

TEST(media_byte_range, etag_format)
{
    EXPECT_EQ(make_etag(500, 0x17a3c), "\"1f4-17a3c\"");
    EXPECT_EQ(make_etag(0, 0), "\"0-0\"");
    EXPECT_EQ(make_etag(std::numeric_limits<std::uint64_t>::max(), -1), "\"ffffffffffffffff-ffffffffffffffff\"");
    EXPECT_NE(make_etag(500, 1), make_etag(500, 2));
    EXPECT_NE(make_etag(500, 1), make_etag(501, 1));
}

TEST(media_byte_range, if_none_match)
{
    const auto etag = make_etag(500, 123456789);
    EXPECT_TRUE(etag_matches(etag, etag));
    EXPECT_TRUE(etag_matches("*", etag));
    EXPECT_TRUE(etag_matches(" * ", etag));
    EXPECT_TRUE(etag_matches("W/" + etag, etag));
    EXPECT_TRUE(etag_matches("\"other\", " + etag, etag));
    EXPECT_TRUE(etag_matches("\"a,b\",W/" + etag + " ,\"c\"", etag));
    EXPECT_TRUE(etag_matches(etag.substr(1, etag.size() - 2), etag));  // unquoted, as older clients send
    EXPECT_TRUE(etag_matches(etag, "W/" + etag));
    EXPECT_FALSE(etag_matches("\"other\"", etag));
    EXPECT_FALSE(etag_matches("", etag));
    EXPECT_FALSE(etag_matches(",,", etag));
    EXPECT_FALSE(etag_matches("\"" + etag, etag));
    EXPECT_FALSE(etag_matches(etag + "x", etag));
    EXPECT_FALSE(etag_matches("\"1f4-75bcd15, \"", etag));
    EXPECT_FALSE(etag_matches("*", ""));
}

}  // namespace
}  // namespace spotik::media
