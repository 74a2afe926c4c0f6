// UTF-8 checks for text that reaches the database and JSON responses without passing through
// the JSON parser (which already refuses invalid UTF-8): form-encoded bodies and multipart
// file names. PostgreSQL refuses invalid UTF-8 in text columns and Boost.JSON writes strings
// byte for byte, so such text must be valid before it is stored. Never throw (but bad_alloc).
#pragma once
#include <string>
#include <string_view>

namespace spotik::util {

// Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points above U+10FFFF.
bool is_valid_utf8(std::string_view s) noexcept;

// s with every byte that does not start or continue a valid sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

}  // namespace spotik::util
