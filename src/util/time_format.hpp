// Timestamp formatting: every instant leaves the server as ISO-8601 UTC with milliseconds
// ("2025-01-15T10:30:00.123Z"), the form JavaScript's toISOString() produces.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spotik::util {

// Epoch milliseconds -> "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string iso8601_ms(std::int64_t epoch_ms);

// Parses the form above (the fraction and 'Z' are required); nullopt on anything else.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

// Epoch seconds -> RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string http_date(std::int64_t epoch_s);

// Parses an IMF-fixdate; nullopt on anything else.
std::optional<std::int64_t> parse_http_date(std::string_view text);

}  // namespace spotik::util
