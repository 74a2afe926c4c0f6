// Streaming multipart/form-data (RFC 7578, RFC 2046 §5.1) over a request body already saved to
// a file: parts are located, not copied; their contents stay in the body file until copy_part.
// Memory use does not depend on the body size. Malformed bodies are returned as messages;
// I/O failures throw std::system_error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace spotik::media {

// The boundary parameter of a "multipart/form-data" Content-Type (quoted or not), if it is
// 1-70 characters from RFC 2046's bchars and does not end with a space.
std::optional<std::string> boundary_from_content_type(std::string_view content_type);

struct multipart_part {
    std::string name;
    std::optional<std::string> filename;  // as sent (filename* preferred); the caller sanitizes
    std::string content_type;             // as sent, empty when absent
    std::uint64_t offset = 0;             // where the content starts inside the body file
    std::uint64_t length = 0;             // content bytes
};

struct multipart_limits {
    std::size_t max_parts = 16;
    std::size_t max_header_bytes = 8192;  // per part, the header block including its CRLFs
};

// Lines must end in CRLF. A preamble before the first boundary and an epilogue after the closing
// one are ignored. Errors: no first boundary, no closing boundary, a header block that is too
// large or unterminated, too many parts, a part without Content-Disposition: form-data; name.
std::variant<std::vector<multipart_part>, std::string> parse_multipart(const std::string& body_path,
                                                                       std::string_view boundary,
                                                                       const multipart_limits& limits);

// The first min(part.length, max_bytes) bytes of a part (for small text fields).
std::string read_part_text(const std::string& body_path, const multipart_part& part, std::size_t max_bytes);

// Copies a part's content into dest_path (created or truncated, never through a symlink) and
// fsyncs it. On any failure the destination is removed and std::system_error is thrown with the
// errno of the failing call (ENOSPC for a full disk).
void copy_part(const std::string& body_path, const multipart_part& part, const std::string& dest_path);

}  // namespace spotik::media
