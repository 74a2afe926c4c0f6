// Property tests for media/multipart (RapidCheck): for arbitrary boundaries, names, file names
// and contents (any bytes, biased towards CR, LF, dashes and pieces of the boundary, but never
// a delimiter), build -> parse -> copy_part/read_part_text gives back the exact bytes; and
// arbitrary bodies never produce parts outside the file or beyond the limits.
#include "media/media_test_support.hpp"
#include "media/multipart.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace spotik::media {
namespace {

using testing::build_multipart;
using testing::read_file;
using testing::temp_dir;
using testing::test_part;
using testing::write_file;

const std::string k_bchars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";

rc::Gen<std::string> gen_boundary()
{
    return rc::gen::map(rc::gen::pair(rc::gen::container<std::string>(rc::gen::elementOf(k_bchars)),
                                      rc::gen::elementOf(k_bchars.substr(0, k_bchars.size() - 1))),
                        [](const std::pair<std::string, char>& p) { return p.first.substr(0, 69) + p.second; });
}

// Bytes with the pieces that could confuse a delimiter search.
std::string gen_content(const std::string& boundary)
{
    const auto pieces = *rc::gen::container<std::vector<std::string>>(
        rc::gen::oneOf(rc::gen::arbitrary<std::string>(),
                       rc::gen::element<std::string>("\r", "\n", "\r\n", "-", "--", "\r\n--", "\r\n\r\n"),
                       rc::gen::map(rc::gen::inRange<std::size_t>(0, boundary.size()),
                                    [boundary](std::size_t n) { return "\r\n--" + boundary.substr(0, n); })));
    std::string out;
    for (const auto& p : pieces) out += p;
    return out;
}

std::string gen_name()
{
    return *rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::inRange('a', '{')));
}

// Printable file names with quotes, backslashes, slashes, spaces and UTF-8.
std::optional<std::string> gen_filename()
{
    if (*rc::gen::arbitrary<bool>()) return std::nullopt;
    const auto pieces = *rc::gen::container<std::vector<std::string>>(rc::gen::oneOf(
        rc::gen::map(rc::gen::inRange(0x20, 0x7f), [](int c) { return std::string(1, static_cast<char>(c)); }),
        rc::gen::element<std::string>("\"", "\\", "/", "../", "\xC3\xA9", "\xE2\x9C\x93", "\xF0\x9F\x8E\xB5", ";",
                                      "=")));
    std::string out;
    for (const auto& p : pieces) out += p;
    return out;
}

RC_GTEST_PROP(media_multipart_property, build_parse_copy_round_trips, ())
{
    const auto boundary = *gen_boundary();
    const auto count = *rc::gen::inRange<std::size_t>(1, 6);
    std::vector<test_part> parts;
    for (std::size_t i = 0; i < count; ++i) {
        auto content = gen_content(boundary);
        RC_PRE(content.find("\r\n--" + boundary) == std::string::npos);
        parts.push_back({gen_name(), gen_filename(), *rc::gen::element<std::string>("", "audio/mpeg", "text/plain"),
                         std::move(content)});
    }
    const auto preamble = *rc::gen::element<std::string>("", "preamble", "--x\r\n");
    RC_PRE(preamble.find("--" + boundary) == std::string::npos);
    temp_dir dir;
    write_file(dir.file("body"),
               build_multipart(boundary, parts, preamble, *rc::gen::element<std::string>("", "\r\n", "epilogue")));
    const auto parsed = parse_multipart(dir.file("body"), boundary, {});
    RC_ASSERT(std::holds_alternative<std::vector<multipart_part>>(parsed));
    const auto& got = std::get<std::vector<multipart_part>>(parsed);
    RC_ASSERT(got.size() == parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
        RC_ASSERT(got[i].name == parts[i].name);
        RC_ASSERT(got[i].filename == parts[i].filename);
        RC_ASSERT(got[i].content_type == parts[i].content_type);
        RC_ASSERT(got[i].length == parts[i].content.size());
        const auto dest = dir.file("copy-" + std::to_string(i));
        copy_part(dir.file("body"), got[i], dest);
        RC_ASSERT(read_file(dest) == parts[i].content);
        RC_ASSERT(read_part_text(dir.file("body"), got[i], parts[i].content.size()) == parts[i].content);
    }
}

RC_GTEST_PROP(media_multipart_property, arbitrary_bodies_stay_within_limits, ())
{
    const auto boundary = *rc::gen::element<std::string>("b", "xyz", "----WebKitFormBoundaryabc");
    // Well-formed parts mixed with arbitrary and structural pieces, so some bodies parse.
    const auto part =
        "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=a\r\n\r\n" + *rc::gen::arbitrary<std::string>();
    const auto pieces = *rc::gen::container<std::vector<std::string>>(rc::gen::weightedOneOf<std::string>({
        {4, rc::gen::just(part)},
        {1, rc::gen::arbitrary<std::string>()},
        {1, rc::gen::element<std::string>("\r\n", "--", "\r\n\r\n", "Content-Type: a/b\r\n", "; filename=\"x\"",
                                          "\r\n--" + boundary, "\r\n--" + boundary + "--")},
    }));
    std::string body = *rc::gen::arbitrary<bool>() ? "preamble" : "";
    for (const auto& p : pieces) body += p;
    if (*rc::gen::arbitrary<bool>()) body += "\r\n--" + boundary + "--";
    const multipart_limits limits{.max_parts = *rc::gen::inRange<std::size_t>(1, 8),
                                  .max_header_bytes = *rc::gen::inRange<std::size_t>(16, 400)};
    temp_dir dir;
    write_file(dir.file("body"), body);
    const auto parsed = parse_multipart(dir.file("body"), boundary, limits);
    if (const auto* got = std::get_if<std::vector<multipart_part>>(&parsed)) {
        RC_ASSERT(got->size() <= limits.max_parts);
        for (const auto& p : *got) {
            RC_ASSERT(!p.name.empty());
            RC_ASSERT(p.offset <= body.size());
            RC_ASSERT(p.length <= body.size() - p.offset);
        }
    }
}

}  // namespace
}  // namespace spotik::media
