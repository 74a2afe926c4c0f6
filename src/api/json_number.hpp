// Numbers in responses: integral values are written as JSON integers ("0", "3"), others as
// decimals rounded to milliseconds, so clients never see forms like "0E0". And numbers in
// requests that must become integers whatever JSON number the client wrote.
#pragma once
#include <boost/json/value.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

namespace spotik::api {

inline boost::json::value seconds_value(double s)
{
    double ms = std::round(s * 1000.0);
    if (std::fmod(ms, 1000.0) == 0.0 && std::fabs(ms) < 9e15) return std::int64_t(ms / 1000.0);
    return ms / 1000.0;
}

// A room event sequence number as a client sends it (join_room's last_seq): negative means
// "from the first event", a fraction is cut (no seq lies between two integers), and anything
// at or above 2^64 means "nothing missed". v must be a number.
inline std::uint64_t sequence_number(const boost::json::value& v)
{
    if (v.is_uint64()) return v.as_uint64();
    if (v.is_int64()) return v.as_int64() < 0 ? 0 : static_cast<std::uint64_t>(v.as_int64());
    const double d = v.as_double();
    if (!(d > 0)) return 0;
    if (d >= 18446744073709551616.0) return std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(d);
}

}  // namespace spotik::api
