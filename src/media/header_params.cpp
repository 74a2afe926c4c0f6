// MIME parameter parsing for multipart headers and Content-Type; never throws (but bad_alloc).
#include "media/header_params.hpp"

#include "media/ascii.hpp"

namespace spotik::media {
namespace {

// A quoted-string starting after the opening quote; stops after the closing quote (or at the end).
std::string read_quoted(std::string_view s, std::size_t& pos)
{
    std::string out;
    while (pos < s.size()) {
        const char c = s[pos++];
        if (c == '"') return out;
        if (c == '\\' && pos < s.size() && (s[pos] == '"' || s[pos] == '\\')) {
            out.push_back(s[pos++]);
            continue;
        }
        out.push_back(c);
    }
    return out;
}

std::string lower_copy(std::string_view s)
{
    std::string out(s);
    for (auto& c : out) c = ascii_lower(c);
    return out;
}

int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9') return c - '0';
    c = ascii_lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s)
{
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

std::string latin1_to_utf8(std::string_view s)
{
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

}  // namespace

const header_param* header_value::find(std::string_view lower_name) const noexcept
{
    for (const auto& p : params)
        if (p.name == lower_name) return &p;
    return nullptr;
}

header_value parse_header_value(std::string_view value)
{
    header_value out;
    std::size_t pos = value.find(';');
    out.type = trim_ows(value.substr(0, pos));
    while (pos < value.size()) {
        ++pos;  // past ';'
        const std::size_t name_end = value.find_first_of("=;", pos);
        const auto name = trim_ows(value.substr(pos, name_end - pos));
        if (name_end == std::string_view::npos || value[name_end] == ';') {
            pos = name_end;
            if (!name.empty()) out.params.push_back({lower_copy(name), {}});
            continue;
        }
        pos = name_end + 1;
        while (pos < value.size() && is_ows(value[pos])) ++pos;
        std::string param_value;
        if (pos < value.size() && value[pos] == '"') {
            ++pos;
            param_value = read_quoted(value, pos);
            pos = value.find(';', pos);
        } else {
            const std::size_t end = value.find(';', pos);
            param_value = std::string(trim_ows(value.substr(pos, end - pos)));
            pos = end;
        }
        if (!name.empty()) out.params.push_back({lower_copy(name), std::move(param_value)});
    }
    return out;
}

std::optional<std::string> decode_ext_value(std::string_view ext)
{
    const std::size_t q1 = ext.find('\'');
    if (q1 == std::string_view::npos) return std::nullopt;
    const std::size_t q2 = ext.find('\'', q1 + 1);
    if (q2 == std::string_view::npos) return std::nullopt;
    const auto charset = trim_ows(ext.substr(0, q1));
    auto decoded = percent_decode(ext.substr(q2 + 1));
    if (!decoded) return std::nullopt;
    if (iequals(charset, "utf-8")) return decoded;
    if (iequals(charset, "iso-8859-1")) return latin1_to_utf8(*decoded);
    return std::nullopt;
}

}  // namespace spotik::media
