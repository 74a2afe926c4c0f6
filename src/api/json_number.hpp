// Numbers in responses: integral values are written as JSON integers ("0", "3"), others as
// decimals rounded to milliseconds, so clients never see forms like "0E0".
#pragma once
#include <boost/json/value.hpp>

#include <cmath>
#include <cstdint>

namespace spotik::api {

inline boost::json::value seconds_value(double s)
{
    double ms = std::round(s * 1000.0);
    if (std::fmod(ms, 1000.0) == 0.0 && std::fabs(ms) < 9e15) return std::int64_t(ms / 1000.0);
    return ms / 1000.0;
}

}  // namespace spotik::api
