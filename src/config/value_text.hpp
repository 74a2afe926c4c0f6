// Text checks shared by the configuration's setters: trimming, lower-casing, quoting a bad
// value for a message, strict whole numbers and booleans, http(s) URLs and browser origins.
// Nothing here throws except std::bad_alloc.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace spotik::config::text {

std::string lower(std::string_view text);
// Without leading and trailing spaces and tabs.
std::string_view trim(std::string_view text);
// A bad (non-secret) value quoted for an error message: shortened, control characters masked.
std::string shown(std::string_view text);
// Digits only: no sign, no spaces, no suffix; nullopt also on overflow.
std::optional<long long> parse_whole(std::string_view text);
// true/false, 1/0, yes/no, on/off in any case.
std::optional<bool> parse_bool(std::string_view text);
// http:// or https:// followed by something, and no whitespace.
bool is_http_url(std::string_view text);
// scheme://host[:port] and nothing more (no path, query, user or wildcard, a port within
// 1-65535): the only texts a browser's Origin header can ever be equal to.
bool is_origin(std::string_view item);

}  // namespace spotik::config::text
