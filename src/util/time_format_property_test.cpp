// Property tests for util/time_format (RapidCheck): every instant from 1970 to the end of year
// 9999 formats to a 24-character "YYYY-MM-DDTHH:MM:SS.mmmZ" string that parses back exactly, and
// every second in that range survives an IMF-fixdate round trip.
#include "util/time_format.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <regex>
#include <string>

namespace spotik::util {
namespace {

constexpr std::int64_t k_max_ms = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z
constexpr std::int64_t k_max_s = k_max_ms / 1000;
const std::regex k_iso("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z");
const std::regex k_imf("(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
                       "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT");

// Uniform over the whole range plus a bias towards day, month and year boundaries.
rc::Gen<std::int64_t> gen_ms()
{
    return rc::gen::oneOf(rc::gen::inRange<std::int64_t>(0, k_max_ms + 1),
                          rc::gen::map(rc::gen::inRange<std::int64_t>(0, k_max_ms / 86'400'000),
                                       [](std::int64_t day) { return day * 86'400'000; }),
                          rc::gen::map(rc::gen::inRange<std::int64_t>(1, k_max_ms / 86'400'000 + 1),
                                       [](std::int64_t day) { return day * 86'400'000 - 1; }));
}

RC_GTEST_PROP(time_format_property, iso_round_trip, ())
{
    const std::int64_t ms = *gen_ms();
    const std::string s = iso8601_ms(ms);
    RC_ASSERT(s.size() == 24u);
    RC_ASSERT(std::regex_match(s, k_iso));
    const auto back = parse_iso8601_ms(s);
    RC_ASSERT(back.has_value());
    RC_ASSERT(*back == ms);
}

RC_GTEST_PROP(time_format_property, iso_order_matches_string_order, ())
{
    const std::int64_t a = *gen_ms();
    const std::int64_t b = *gen_ms();
    // Fixed-width fields make lexical order equal to time order (what sorting clients rely on).
    RC_ASSERT((a < b) == (iso8601_ms(a) < iso8601_ms(b)));
}

RC_GTEST_PROP(time_format_property, http_date_round_trip, ())
{
    const std::int64_t s = *rc::gen::inRange<std::int64_t>(0, k_max_s + 1);
    const std::string text = http_date(s);
    RC_ASSERT(text.size() == 29u);
    RC_ASSERT(std::regex_match(text, k_imf));
    const auto back = parse_http_date(text);
    RC_ASSERT(back.has_value());
    RC_ASSERT(*back == s);
}

RC_GTEST_PROP(time_format_property, http_date_agrees_with_iso, ())
{
    const std::int64_t s = *rc::gen::inRange<std::int64_t>(0, k_max_s + 1);
    const std::string iso = iso8601_ms(s * 1000);
    const std::string imf = http_date(s);
    // Same clock time and same day of month in both renderings.
    RC_ASSERT(imf.substr(17, 8) == iso.substr(11, 8));
    RC_ASSERT(imf.substr(5, 2) == iso.substr(8, 2));
    RC_ASSERT(imf.substr(12, 4) == iso.substr(0, 4));
}

RC_GTEST_PROP(time_format_property, weekday_advances_by_one_each_day, ())
{
    static const std::string k_days = "SunMonTueWedThuFriSat";
    const std::int64_t s = *rc::gen::inRange<std::int64_t>(0, k_max_s - 86'400);
    const auto today = k_days.find(http_date(s).substr(0, 3)) / 3;
    const auto tomorrow = k_days.find(http_date(s + 86'400).substr(0, 3)) / 3;
    RC_ASSERT((today + 1) % 7 == tomorrow);
}

}  // namespace
}  // namespace spotik::util
