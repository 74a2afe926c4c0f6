// Parsing of MIME header values with parameters ("form-data; name=\"a\"; filename*=UTF-8''x")
// as used by Content-Type and Content-Disposition, including RFC 5987 extended values.
// Lenient about malformed input (never fails, never throws except std::bad_alloc).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spotik::media {

struct header_param {
    std::string name;   // lower-cased
    std::string value;  // unquoted; \" and \\ unescaped, other backslashes kept as sent
};

struct header_value {
    std::string_view type;  // the leading token, trimmed (e.g. "form-data", "multipart/form-data")
    std::vector<header_param> params;

    // The first parameter with this (lower-case) name.
    const header_param* find(std::string_view lower_name) const noexcept;
};

header_value parse_header_value(std::string_view value);

// Decodes an RFC 5987 ext-value (charset'language'percent-encoded) to UTF-8; UTF-8 and
// ISO-8859-1 charsets only. nullopt if malformed.
std::optional<std::string> decode_ext_value(std::string_view ext);

}  // namespace spotik::media
