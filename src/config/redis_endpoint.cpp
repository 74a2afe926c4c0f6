// REDIS_URL parsing.
#include "config/redis_endpoint.hpp"

#include <charconv>

namespace spotik::config {
namespace {

bool parse_int(std::string_view text, int lo, int hi, int& out)
{
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v < lo || v > hi) return false;
    out = v;
    return true;
}

// Percent-decoding for the password part of a URL.
std::string decode(std::string_view s)
{
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        int v = 0;
        if (s[i] == '%' && i + 2 < s.size() && std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ec == std::errc{}) {
            out += char(v);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::optional<std::string> parse_url(std::string_view url, redis_endpoint& e)
{
    constexpr std::string_view scheme = "redis://";
    if (!url.starts_with(scheme)) return "REDIS_URL: expected redis://[:password@]host[:port][/db]";
    auto rest = url.substr(scheme.size());
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        auto db = rest.substr(slash + 1);
        if (!db.empty() && !parse_int(db, 0, 1000, e.db)) return "REDIS_URL: the database number must be 0-1000";
    }
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        auto userinfo = authority.substr(0, at);
        auto colon = userinfo.find(':');
        e.password = decode(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1));
        authority = authority.substr(at + 1);
    }
    std::string_view host = authority, port;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return "REDIS_URL: unclosed [ in the host";
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') return "REDIS_URL: unexpected text after the host";
            port = authority.substr(close + 2);
        }
    } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) return "REDIS_URL: the host is missing";
    e.host = std::string(host);
    if (!port.empty() && !parse_int(port, 1, 65535, e.port)) return "REDIS_URL: the port must be 1-65535";
    return std::nullopt;
}

}  // namespace

std::optional<redis_endpoint> redis_endpoint_of(const redis_settings& s, std::string& problem)
{
    problem.clear();
    if (!s.enabled()) return std::nullopt;
    redis_endpoint e;
    if (!s.url.empty()) {
        if (auto p = parse_url(s.url, e)) {
            problem = *p;
            return std::nullopt;
        }
    } else {
        e.host = s.host;
        e.port = s.port;
    }
    if (!s.password.empty()) e.password = s.password;
    if (s.db >= 0) e.db = s.db;
    return e;
}

}  // namespace spotik::config
