// ISO-8601 and HTTP-date formatting with no dependence on the process time zone.
#include "util/time_format.hpp"

#include <array>
#include <chrono>
#include <cstdio>

namespace spotik::util {
namespace {

using namespace std::chrono;

constexpr std::array<const char*, 7> k_days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> k_months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct civil {
    int year, month, day, hour, minute, second, millis;
};

civil to_civil(std::int64_t epoch_ms)
{
    std::int64_t days = epoch_ms >= 0 ? epoch_ms / 86'400'000 : -((-epoch_ms + 86'399'999) / 86'400'000);
    std::int64_t rest = epoch_ms - days * 86'400'000;
    year_month_day ymd{sys_days{std::chrono::days{days}}};
    return civil{int(ymd.year()),         int(unsigned(ymd.month())), int(unsigned(ymd.day())), int(rest / 3'600'000),
                 int(rest / 60'000 % 60), int(rest / 1000 % 60),      int(rest % 1000)};
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out)
{
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

std::optional<std::int64_t> from_civil(int y, int mo, int d, int h, int mi, int s, int ms)
{
    year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
    std::int64_t days = sys_days{ymd}.time_since_epoch().count();
    return ((days * 24 + h) * 60 + mi) * 60'000 + std::int64_t(s) * 1000 + ms;
}

}  // namespace

std::string iso8601_ms(std::int64_t epoch_ms)
{
    civil c = to_civil(epoch_ms);
    if (c.year < 0 || c.year > 9999) {  // not the fixed width below
        char buf[40];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day, c.hour, c.minute,
                      c.second, c.millis);
        return buf;
    }
    // Written digit by digit: every room view and event carries dozens of these dates.
    std::string out = "0000-00-00T00:00:00.000Z";
    const auto put = [&out](std::size_t end, int value) {
        for (std::size_t i = end; value > 0; --i, value /= 10) out[i] = char('0' + value % 10);
    };
    put(3, c.year);
    put(6, c.month);
    put(9, c.day);
    put(12, c.hour);
    put(15, c.minute);
    put(18, c.second);
    put(22, c.millis);
    return out;
}

std::optional<std::int64_t> parse_iso8601_ms(std::string_view t)
{
    int y, mo, d, h, mi, s, ms;
    if (t.size() != 24 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != '.' ||
        t[23] != 'Z')
        return std::nullopt;
    if (!digits(t, 0, 4, y) || !digits(t, 5, 2, mo) || !digits(t, 8, 2, d) || !digits(t, 11, 2, h) ||
        !digits(t, 14, 2, mi) || !digits(t, 17, 2, s) || !digits(t, 20, 3, ms))
        return std::nullopt;
    return from_civil(y, mo, d, h, mi, s, ms);
}

std::string http_date(std::int64_t epoch_s)
{
    civil c = to_civil(epoch_s * 1000);
    std::int64_t days = (epoch_s >= 0 ? epoch_s : epoch_s - 86'399) / 86'400;
    int weekday = int(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", k_days[weekday], c.day, k_months[c.month - 1],
                  c.year, c.hour, c.minute, c.second);
    return buf;
}

std::optional<std::int64_t> parse_http_date(std::string_view t)
{
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    if (t.size() != 29 || t[3] != ',' || t[4] != ' ' || t[7] != ' ' || t[11] != ' ' || t[16] != ' ' || t[19] != ':' ||
        t[22] != ':' || t.substr(25) != " GMT")
        return std::nullopt;
    int d, y, h, mi, s;
    if (!digits(t, 5, 2, d) || !digits(t, 12, 4, y) || !digits(t, 17, 2, h) || !digits(t, 20, 2, mi) ||
        !digits(t, 23, 2, s))
        return std::nullopt;
    bool day_ok = false;
    for (const char* name : k_days) day_ok = day_ok || t.substr(0, 3) == name;
    if (!day_ok) return std::nullopt;
    int mo = 0;
    for (int i = 0; i < 12; ++i)
        if (t.substr(8, 3) == k_months[i]) mo = i + 1;
    if (mo == 0) return std::nullopt;
    auto ms = from_civil(y, mo, d, h, mi, s, 0);
    if (!ms) return std::nullopt;
    return *ms / 1000;
}

}  // namespace spotik::util
