// Property tests for media/byte_range (RapidCheck): every valid single-range header gives the
// range RFC 7233 defines, inside [0, size-1]; arbitrary headers never escape the file; lists of
// ranges are ignored; ETags match themselves (weakly too) and nothing else.
#include "media/byte_range.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

namespace spotik::media {
namespace {

constexpr auto k_max = std::numeric_limits<std::uint64_t>::max();

rc::Gen<std::uint64_t> gen_size()
{
    return rc::gen::oneOf(rc::gen::element<std::uint64_t>(0, 1, 2, k_max - 1, k_max),
                          rc::gen::inRange<std::uint64_t>(0, 5000), rc::gen::arbitrary<std::uint64_t>());
}

// A position near the interesting points of a representation of `size` bytes, or anywhere.
rc::Gen<std::uint64_t> gen_position(std::uint64_t size)
{
    const std::uint64_t near = size > k_max - 3 ? k_max - 3 : size;
    return rc::gen::oneOf(rc::gen::inRange<std::uint64_t>(0, std::min<std::uint64_t>(near + 3, 6000)),
                          rc::gen::element<std::uint64_t>(0, near, near + 1, near + 2, k_max),
                          rc::gen::arbitrary<std::uint64_t>());
}

std::string gen_ows()
{
    return *rc::gen::element<std::string>("", " ", "\t", "  ");
}
std::string gen_unit()
{
    return *rc::gen::element<std::string>("bytes", "BYTES", "Bytes", "bYtEs");
}

struct spec {
    std::optional<std::uint64_t> first, last;
    std::string text;
};

// first-last with first <= last, first-, or -suffix; spaces around tokens; leading zeros sometimes.
spec gen_spec(std::uint64_t size)
{
    spec s;
    const int form = *rc::gen::inRange(0, 3);
    auto num = [](std::uint64_t v) { return (*rc::gen::inRange(0, 4) == 0 ? "00" : "") + std::to_string(v); };
    if (form == 0) {
        auto a = *gen_position(size), b = *gen_position(size);
        if (a > b) std::swap(a, b);
        s.first = a;
        s.last = b;
        s.text = gen_ows() + num(a) + gen_ows() + "-" + gen_ows() + num(b) + gen_ows();
    } else if (form == 1) {
        s.first = *gen_position(size);
        s.text = gen_ows() + num(*s.first) + gen_ows() + "-" + gen_ows();
    } else {
        s.last = *gen_position(size);
        s.text = gen_ows() + "-" + gen_ows() + num(*s.last) + gen_ows();
    }
    return s;
}

RC_GTEST_PROP(media_byte_range_property, valid_single_ranges_follow_the_rfc, ())
{
    const auto size = *gen_size();
    const auto s = gen_spec(size);
    const auto header = gen_ows() + gen_unit() + gen_ows() + "=" + s.text;
    const auto r = parse_range(header, size);
    if (!s.first) {  // suffix
        if (*s.last == 0 || size == 0) {
            RC_ASSERT(r.kind == range_kind::unsatisfiable);
            return;
        }
        RC_ASSERT(r.kind == range_kind::satisfiable);
        RC_ASSERT(r.range.last == size - 1);
        RC_ASSERT(r.range.last - r.range.first + 1 == std::min(*s.last, size));
        return;
    }
    if (*s.first >= size) {
        RC_ASSERT(r.kind == range_kind::unsatisfiable);
        return;
    }
    RC_ASSERT(r.kind == range_kind::satisfiable);
    RC_ASSERT(r.range.first == *s.first);
    RC_ASSERT(r.range.last == (s.last ? std::min(*s.last, size - 1) : size - 1));
    RC_ASSERT(r.range.first <= r.range.last);
    RC_ASSERT(r.range.last <= size - 1);
}

RC_GTEST_PROP(media_byte_range_property, reversed_ranges_and_lists_are_ignored, ())
{
    const auto size = *gen_size();
    const auto a = *gen_position(size), b = *gen_position(size);
    RC_PRE(a != b);
    const auto hi = std::max(a, b), lo = std::min(a, b);
    RC_ASSERT(parse_range("bytes=" + std::to_string(hi) + "-" + std::to_string(lo), size).kind == range_kind::none);
    const auto one = gen_spec(size), two = gen_spec(size);
    RC_ASSERT(parse_range("bytes=" + one.text + "," + two.text, size).kind == range_kind::none);
}

RC_GTEST_PROP(media_byte_range_property, arbitrary_headers_stay_inside_the_file, (const std::string& tail))
{
    const auto size = *gen_size();
    const auto header = *rc::gen::element<std::string>("", "bytes=", "bytes=-", "bytes=1") + tail;
    const auto r = parse_range(header, size);
    if (r.kind == range_kind::satisfiable) {
        RC_ASSERT(size > 0);
        RC_ASSERT(r.range.first <= r.range.last);
        RC_ASSERT(r.range.last <= size - 1);
    }
}

RC_GTEST_PROP(media_byte_range_property, etags_match_themselves_only,
              (std::uint64_t size, std::int64_t mtime, std::uint64_t other_size, std::int64_t other_mtime))
{
    const auto etag = make_etag(size, mtime);
    RC_ASSERT(etag.size() >= 5 && etag.front() == '"' && etag.back() == '"');
    RC_ASSERT(etag_matches(etag, etag));
    RC_ASSERT(etag_matches("W/" + etag, etag));
    RC_ASSERT(etag_matches("\"x\", " + etag + ", \"y\"", etag));
    // If-Match compares strongly: a weak tag never matches.
    RC_ASSERT(etag_matches(etag, etag, true));
    RC_ASSERT(!etag_matches("W/" + etag, etag, true));
    RC_ASSERT(etag_matches("W/\"x\", " + etag, etag, true));
    const auto other = make_etag(other_size, other_mtime);
    RC_ASSERT(etag_matches(other, etag) == (size == other_size && mtime == other_mtime));
}

}  // namespace
}  // namespace spotik::media
