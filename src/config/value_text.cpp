// Text checks shared by the configuration's setters (see value_text.hpp).
#include "config/value_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace spotik::config::text {

std::string lower(std::string_view text)
{
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::string shown(std::string_view text)
{
    constexpr std::size_t k_max = 64;
    if (text.empty()) return "an empty value";
    std::string out = "\"";
    for (char c : text.substr(0, k_max)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? '?' : c;
    }
    return out + (text.size() > k_max ? "...\"" : "\"");
}

std::optional<long long> parse_whole(std::string_view text)
{
    if (text.empty()) return std::nullopt;
    if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
    long long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<bool> parse_bool(std::string_view text)
{
    const std::string t = lower(text);
    if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "0" || t == "no" || t == "off") return false;
    return std::nullopt;
}

bool is_http_url(std::string_view text)
{
    const auto rest = text.starts_with("https://")  ? text.substr(8)
                      : text.starts_with("http://") ? text.substr(7)
                                                    : std::string_view{};
    return !rest.empty() && rest.find_first_of(" \t\r\n") == std::string_view::npos;
}

bool is_origin(std::string_view item)
{
    if (!is_http_url(item)) return false;
    const auto authority = item.substr(item.find("//") + 2);
    if (authority.find_first_of("/?#@*") != std::string_view::npos) return false;
    const auto bracket = authority.starts_with('[') ? authority.find(']') : 0;
    if (bracket == std::string_view::npos || bracket == 1) return false;  // "[" alone, or "[]"
    const auto colon = authority.find(':', bracket);
    if (colon == 0) return false;  // no host
    if (colon == std::string_view::npos) return bracket == 0 || bracket + 1 == authority.size();
    const auto port = authority.substr(colon + 1);
    const auto value = parse_whole(port);
    return (bracket == 0 || colon == bracket + 1) && value && *value >= 1 && *value <= 65535;
}

}  // namespace spotik::config::text
