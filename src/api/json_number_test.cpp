// Unit tests for api/json_number: numbers written in responses and read from requests.
#include "api/json_number.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace spotik::api {
namespace {

TEST(seconds_value, whole_seconds_are_integers_and_others_milliseconds)
{
    EXPECT_TRUE(seconds_value(3.0).is_int64());
    EXPECT_EQ(seconds_value(3.0).as_int64(), 3);
    EXPECT_DOUBLE_EQ(seconds_value(12.3456).as_double(), 12.346);
}

// join_room's last_seq used to go through to_number<int64_t>, which throws for 1.5 or 1e300:
// the command failed with internal_error. Caught by the ws_command fuzz target; reproducer:
// tests/fuzz/crashes/ws_command/last-seq-fraction.
TEST(sequence_number, any_json_number_gives_a_sequence_number)
{
    auto seq = [](const char* json) { return sequence_number(boost::json::parse(json)); };
    EXPECT_EQ(seq("0"), 0u);
    EXPECT_EQ(seq("42"), 42u);
    EXPECT_EQ(seq("18446744073709551615"), 18446744073709551615u);
    EXPECT_EQ(seq("-5"), 0u) << "negative: from the first event";
    EXPECT_EQ(seq("-9223372036854775808"), 0u);
    EXPECT_EQ(seq("1.5"), 1u) << "a fraction is cut";
    EXPECT_EQ(seq("7e0"), 7u);
    EXPECT_EQ(seq("-2.5"), 0u);
    EXPECT_EQ(seq("-0.0"), 0u);
    EXPECT_EQ(seq("1e300"), 18446744073709551615u) << "too large: nothing missed";
    EXPECT_EQ(seq("1.8446744073709552e19"), 18446744073709551615u);
    EXPECT_EQ(seq("-1e300"), 0u);
}

}  // namespace
}  // namespace spotik::api
