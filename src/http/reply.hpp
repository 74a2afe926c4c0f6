// What a handler answers: a status, headers and either an in-memory body or a byte range
// of a file that the session streams from disk in chunks.
#pragma once
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spotik::http {

struct file_range {
    std::string path;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct reply {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::optional<file_range> file;  // when set, the body is streamed from this file range
    bool close = false;              // close the connection after sending

    // Sets a header, replacing one of the same name. Control characters in the value (CR and LF
    // above all: a header must never split in two) become spaces; a tab stays.
    void set(std::string name, std::string value);
    std::string_view get(std::string_view name) const;  // case-insensitive, "" if absent
};

// A JSON reply (Content-Type: application/json).
reply json(int status, const boost::json::value& body);

// Error bodies (CONTRACT §0.5): family A adds "success": false; both carry message and error.
reply error_a(int status, std::string_view message, std::string_view error);
reply error_b(int status, std::string_view error, std::string_view message = {});
// 422 with per-field messages; family A ({"success":false,"message":"Validation failed",...})
// or family B ({"error":"Validation failed",...}).
reply validation_error(const boost::json::object& errors, bool family_a);
// 429 (CONTRACT §0.8): {"success":false,"error","message","retry_after"} and Retry-After,
// both in whole seconds rounded up from retry_after_ms.
reply too_many_requests(std::int64_t retry_after_ms, std::string_view error, std::string_view message);

}  // namespace spotik::http
