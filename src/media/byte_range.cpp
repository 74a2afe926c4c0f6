// Range header parsing and ETag generation and comparison; pure, never throws (but bad_alloc).
#include "media/byte_range.hpp"

#include "media/ascii.hpp"

#include <limits>
#include <optional>

namespace spotik::media {
namespace {

constexpr range_result k_none{range_kind::none, {}};
constexpr range_result k_unsatisfiable{range_kind::unsatisfiable, {}};

// Digits only, no sign, no overflow.
std::optional<std::uint64_t> parse_number(std::string_view s) noexcept
{
    if (s.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : s) {
        if (!is_digit(c)) return std::nullopt;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

// The single non-empty element of a comma-separated list, or nullopt if there are 0 or 2+.
std::optional<std::string_view> single_element(std::string_view list) noexcept
{
    std::optional<std::string_view> found;
    while (true) {
        const auto comma = list.find(',');
        const auto element = trim_ows(list.substr(0, comma));
        if (!element.empty()) {
            if (found) return std::nullopt;
            found = element;
        }
        if (comma == std::string_view::npos) return found;
        list.remove_prefix(comma + 1);
    }
}

range_result resolve(std::optional<std::uint64_t> first, std::optional<std::uint64_t> last, std::uint64_t size)
{
    if (!first) {  // suffix range: the last *last bytes
        if (*last == 0 || size == 0) return k_unsatisfiable;
        return {range_kind::satisfiable, {*last >= size ? 0 : size - *last, size - 1}};
    }
    if (last && *first > *last) return k_none;
    if (*first >= size) return k_unsatisfiable;
    return {range_kind::satisfiable, {*first, last && *last < size - 1 ? *last : size - 1}};
}

// The opaque part of an entity tag: without W/ and, if quoted, without the quotes.
std::string_view opaque_tag(std::string_view tag) noexcept
{
    tag = trim_ows(tag);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') return tag.substr(1, tag.size() - 2);
    return tag;
}

}  // namespace

range_result parse_range(std::string_view header, std::uint64_t size)
{
    header = trim_ows(header);
    const auto eq = header.find('=');
    if (eq == std::string_view::npos || !iequals(trim_ows(header.substr(0, eq)), "bytes")) return k_none;
    const auto spec = single_element(header.substr(eq + 1));
    if (!spec) return k_none;
    const auto dash = spec->find('-');
    if (dash == std::string_view::npos) return k_none;
    const auto first_text = trim_ows(spec->substr(0, dash));
    const auto last_text = trim_ows(spec->substr(dash + 1));
    const auto first = parse_number(first_text);
    const auto last = parse_number(last_text);
    if ((!first_text.empty() && !first) || (!last_text.empty() && !last) || (!first && !last)) return k_none;
    return resolve(first, last, size);
}

std::string make_etag(std::uint64_t size, std::int64_t mtime_ns)
{
    static constexpr char k_hex[] = "0123456789abcdef";
    auto hex = [](std::uint64_t v) {
        std::string out;
        do {
            out.insert(out.begin(), k_hex[v & 15]);
            v >>= 4;
        } while (v != 0);
        return out;
    };
    return "\"" + hex(size) + "-" + hex(static_cast<std::uint64_t>(mtime_ns)) + "\"";
}

bool etag_matches(std::string_view list, std::string_view etag, bool strong)
{
    const auto ours = opaque_tag(etag);
    if (ours.empty()) return false;
    if (trim_ows(list) == "*") return true;
    std::size_t pos = 0;
    while (pos < list.size()) {
        // One element: up to the next comma outside quotes.
        std::size_t end = pos;
        bool quoted = false;
        while (end < list.size() && (quoted || list[end] != ',')) {
            if (list[end] == '"') quoted = !quoted;
            ++end;
        }
        const auto element = trim_ows(list.substr(pos, end - pos));
        if (!element.empty() && !(strong && element.starts_with("W/")) && opaque_tag(element) == ours) return true;
        pos = end + 1;
    }
    return false;
}

}  // namespace spotik::media
