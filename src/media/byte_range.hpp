// HTTP byte ranges (RFC 7233, a single range) and entity tags (RFC 7232) for audio streaming
// and cover images (CONTRACT §8.1, §8.4, §13 E2). Pure functions; never throw (but bad_alloc).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace spotik::media {

struct byte_range {
    std::uint64_t first = 0;
    std::uint64_t last = 0;  // inclusive
};

enum class range_kind {
    none,           // no header, not parseable, or more than one range: send 200 with the whole file
    satisfiable,    // send 206 with `range`
    unsatisfiable,  // send 416 with Content-Range: bytes */size
};

struct range_result {
    range_kind kind = range_kind::none;
    byte_range range;
};

// One Range header value against a representation of `size` bytes:
// - "bytes=a-b": [a, min(b, size-1)]; a > b is invalid (none); a >= size is unsatisfiable;
// - "bytes=a-": [a, size-1];
// - "bytes=-n": the last n bytes (the whole file if n >= size); n == 0 is unsatisfiable;
// - an empty representation (size 0) makes every valid range unsatisfiable;
// - the unit is case-insensitive, spaces and tabs are allowed around tokens, empty list elements
//   are ignored; several ranges, other units, garbage and numbers that overflow give none.
range_result parse_range(std::string_view header, std::uint64_t size);

// A strong validator "\"<size hex>-<mtime ns hex>\"" (quotes included).
std::string make_etag(std::uint64_t size, std::int64_t mtime_ns);

// An If-None-Match (or, with `strong`, an If-Match) list against our ETag: "*" matches,
// otherwise any listed tag whose opaque part equals ours. If-None-Match compares weakly (W/
// ignored on both sides, RFC 9110 §13.1.2); If-Match strongly, so a weak tag never matches
// (§13.1.1). Unquoted tags (as some older clients send) are compared to our tag without its
// quotes.
bool etag_matches(std::string_view list, std::string_view etag, bool strong = false);

}  // namespace spotik::media
