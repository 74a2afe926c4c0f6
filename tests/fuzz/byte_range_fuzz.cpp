// Fuzz target: the Range and If-None-Match request headers (media/byte_range). Input: the
// header value. It is evaluated against representations of several sizes; a satisfiable
// range must lie inside the file, and a well-formed tag list holding our ETag must match it.
#include "media/byte_range.hpp"
#include "support.hpp"

#include <algorithm>
#include <limits>

using namespace spotik;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view header = fuzz::as_text(data, size);
    constexpr std::uint64_t k_max = std::numeric_limits<std::uint64_t>::max();
    for (std::uint64_t file_size :
         {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1000}, std::uint64_t{1} << 53, k_max - 1, k_max}) {
        const auto r = media::parse_range(header, file_size);
        if (r.kind == media::range_kind::satisfiable) {
            fuzz::check(file_size > 0, "a satisfiable range of an empty file", header);
            fuzz::check(r.range.first <= r.range.last && r.range.last < file_size, "a range outside the file", header);
        } else if (r.kind == media::range_kind::none) {
            fuzz::check(r.range.first == 0 && r.range.last == 0, "a range left set with kind none", header);
        }
    }
    const std::string etag = media::make_etag(0x1234, 0x5678abcd);
    const bool matched = media::etag_matches(header, etag);
    if (header == etag || header == "W/" + etag || header == "*")
        fuzz::check(matched, "our own ETag does not match", header);
    // A list that ends with our tag matches, whatever precedes it (unless an unclosed quote
    // swallows the comma: then the header is malformed and no match is fine).
    if (std::count(header.begin(), header.end(), '"') % 2 == 0)
        fuzz::check(media::etag_matches(std::string(header) + ", " + etag, etag), "a list ending with our ETag",
                    header);
    return 0;
}
