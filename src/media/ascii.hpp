// Locale-independent ASCII helpers shared by the media parsers (case folding, HTTP optional
// whitespace). Never throw.
#pragma once
#include <string_view>

namespace spotik::media {

constexpr char ascii_lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

constexpr bool is_ows(char c) noexcept
{
    return c == ' ' || c == '\t';
}

// Removes leading and trailing spaces and tabs.
constexpr std::string_view trim_ows(std::string_view s) noexcept
{
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

constexpr bool is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

}  // namespace spotik::media
