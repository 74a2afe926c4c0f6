// Unit tests for media/multipart: boundaries from Content-Type, part headers and file names,
// CRLF handling, delimiters across the 64 KiB search window, malformed bodies and limits,
// read_part_text and copy_part (including failures that must remove the destination).
#include "media/multipart.hpp"
#include "media/media_test_support.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>
#include <csignal>

#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>

namespace spotik::media {
namespace {

using namespace std::string_literals;
using testing::build_multipart;
using testing::read_file;
using testing::temp_dir;
using testing::test_part;
using testing::write_file;

const std::string k_boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

class media_multipart : public ::testing::Test {
protected:
    std::variant<std::vector<multipart_part>, std::string> parse(std::string_view body,
                                                                 std::string_view boundary = k_boundary,
                                                                 multipart_limits limits = {})
    {
        write_file(body_path(), body);
        return parse_multipart(body_path(), boundary, limits);
    }
    std::vector<multipart_part> parts_of(std::string_view body, std::string_view boundary = k_boundary)
    {
        auto r = parse(body, boundary);
        if (auto* e = std::get_if<std::string>(&r)) ADD_FAILURE() << "unexpected error: " << *e;
        auto* p = std::get_if<std::vector<multipart_part>>(&r);
        return p ? *p : std::vector<multipart_part>{};
    }
    std::string error_of(std::string_view body, multipart_limits limits = {})
    {
        auto r = parse(body, k_boundary, limits);
        auto* e = std::get_if<std::string>(&r);
        return e ? *e : "(no error)";
    }
    std::string content(const multipart_part& p) { return read_part_text(body_path(), p, 1 << 30); }
    std::string body_path() const { return dir_.file("body"); }
    temp_dir dir_;
};

TEST(media_multipart_boundary, from_content_type)
{
    EXPECT_EQ(boundary_from_content_type("multipart/form-data; boundary=" + k_boundary), k_boundary);
    EXPECT_EQ(boundary_from_content_type("Multipart/Form-Data;BOUNDARY=abc"), "abc");
    EXPECT_EQ(boundary_from_content_type("multipart/form-data; charset=utf-8; boundary=\"a b:c\""), "a b:c");
    EXPECT_EQ(boundary_from_content_type("multipart/form-data; boundary=\"abc\"; x=y"), "abc");
    EXPECT_EQ(boundary_from_content_type("multipart/form-data; boundary=" + std::string(70, 'x')),
              std::string(70, 'x'));
    EXPECT_EQ(boundary_from_content_type("multipart/form-data; boundary=a'()+_,-./:=?"), "a'()+_,-./:=?");
}

TEST(media_multipart_boundary, invalid_boundaries)
{
    for (const std::string& ct :
         {"multipart/form-data; boundary=" + std::string(71, 'x'), "multipart/form-data; boundary=\"abc \""s,
          "multipart/form-data; boundary="s, "multipart/form-data; boundary=\"\""s, "multipart/form-data"s,
          "multipart/mixed; boundary=abc"s, "text/plain; boundary=abc"s, "multipart/form-data; boundary=a\"b"s,
          "multipart/form-data; boundary=\"a\\\"b\""s, "multipart/form-data; boundary=ab{c}"s, ""s,
          "multipart/form-data; boundary=\"a\r\nb\""s})
        EXPECT_FALSE(boundary_from_content_type(ct)) << ct;
}

TEST_F(media_multipart, single_file_part)
{
    const auto parts = parts_of(build_multipart(k_boundary, {{"audio_file", "song.mp3", "audio/mpeg", "ID3 bytes"}}));
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].name, "audio_file");
    EXPECT_EQ(parts[0].filename, "song.mp3");
    EXPECT_EQ(parts[0].content_type, "audio/mpeg");
    EXPECT_EQ(parts[0].length, 9u);
    EXPECT_EQ(content(parts[0]), "ID3 bytes");
}

TEST_F(media_multipart, file_and_text_fields)
{
    const auto parts = parts_of(build_multipart(k_boundary, {{"title", std::nullopt, "", "My title"},
                                                             {"audio_file", "a.wav", "audio/wav", "RIFF"},
                                                             {"cover_image", "c.png", "image/png", "\x89PNG"},
                                                             {"empty", std::nullopt, "", ""}}));
    ASSERT_EQ(parts.size(), 4u);
    EXPECT_EQ(parts[0].name, "title");
    EXPECT_FALSE(parts[0].filename);
    EXPECT_EQ(parts[0].content_type, "");
    EXPECT_EQ(content(parts[0]), "My title");
    EXPECT_EQ(read_part_text(body_path(), parts[0], 2), "My");
    EXPECT_EQ(content(parts[1]), "RIFF");
    EXPECT_EQ(parts[2].content_type, "image/png");
    EXPECT_EQ(parts[3].length, 0u);
    EXPECT_EQ(content(parts[3]), "");
}

TEST_F(media_multipart, crlf_inside_content_is_kept)
{
    for (const std::string& c :
         {"\r\n"s, "a\r\n"s, "\r\n\r\n"s, "x\r"s, "\n"s, "line1\r\nline2\r\n\r\n--"s, "\r\n-"s}) {
        const auto parts = parts_of(build_multipart(k_boundary, {{"f", "x", "", c}, {"g", std::nullopt, "", c}}));
        ASSERT_EQ(parts.size(), 2u);
        EXPECT_EQ(content(parts[0]), c);
        EXPECT_EQ(content(parts[1]), c);
    }
}

TEST_F(media_multipart, binary_content_with_dashes_and_partial_boundaries)
{
    const std::string tricky = "--\r\n--\r\n--" + k_boundary.substr(0, 10) + "\r\n--" +
                               k_boundary.substr(0, k_boundary.size() - 1) + "\0\xFF--"s + k_boundary + "\r\n--" +
                               k_boundary + "X\r\n" + "\r\n--" + k_boundary + " x";
    const auto parts = parts_of(build_multipart(k_boundary, {{"f", "bin", "application/octet-stream", tricky}}));
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(content(parts[0]), tricky);
}

TEST_F(media_multipart, preamble_epilogue_and_padding)
{
    auto parts = parts_of(build_multipart(k_boundary, {{"a", std::nullopt, "", "1"}}, "This is a preamble",
                                          "\r\nand an epilogue\r\n--" + k_boundary + "\r\n"));
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(content(parts[0]), "1");
    const std::string padded =
        "--" + k_boundary + " \t\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--" + k_boundary + "--";
    parts = parts_of(padded);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].name, "a");
    EXPECT_EQ(content(parts[0]), "v");
    EXPECT_TRUE(parts_of("--" + k_boundary + "--").empty());
}

TEST_F(media_multipart, header_variants)
{
    const std::string body = "--" + k_boundary +
                             "\r\ncontent-type:  text/plain; charset=utf-8 \r\nCONTENT-DISPOSITION: Form-Data;"
                             "\r\n name=\"field\";filename=\"a;b=c.txt\"\r\nX-Other: 1\r\n\r\nv\r\n--" +
                             k_boundary + "--";
    const auto parts = parts_of(body);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].name, "field");
    EXPECT_EQ(parts[0].filename, "a;b=c.txt");
    EXPECT_EQ(parts[0].content_type, "text/plain; charset=utf-8");
}

TEST_F(media_multipart, file_names_are_returned_as_sent)
{
    const std::string unicode = "Sigur R\xC3\xB3s \xE2\x80\x94 \xC3\x81g\xC3\xA6tis.mp3";
    const auto parts = parts_of(build_multipart(k_boundary, {{"a", "say \"hi\".mp3", "", "1"},
                                                             {"b", unicode, "", "2"},
                                                             {"c", "../../etc/passwd", "", "3"},
                                                             {"d", "C:\\fakepath\\song.mp3", "", "4"},
                                                             {"e", "", "", ""}}));
    ASSERT_EQ(parts.size(), 5u);
    EXPECT_EQ(parts[0].filename, "say \"hi\".mp3");
    EXPECT_EQ(parts[1].filename, unicode);
    EXPECT_EQ(parts[2].filename, "../../etc/passwd");
    EXPECT_EQ(parts[3].filename, "C:\\fakepath\\song.mp3");
    EXPECT_EQ(parts[4].filename, "");
    // Browsers do not escape backslashes: a lone one is kept.
    const auto raw = parts_of(
        "--" + k_boundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"C:\\a\\b.mp3\"\r\n\r\nx\r\n--" +
        k_boundary + "--");
    ASSERT_EQ(raw.size(), 1u);
    EXPECT_EQ(raw[0].filename, "C:\\a\\b.mp3");
}

TEST_F(media_multipart, extended_filename_is_preferred)
{
    auto with = [&](const std::string& disposition) {
        return parts_of("--" + k_boundary + "\r\nContent-Disposition: form-data; name=\"f\"; " + disposition +
                        "\r\n\r\nx\r\n--" + k_boundary + "--");
    };
    EXPECT_EQ(with("filename=\"fallback.mp3\"; filename*=UTF-8''%E2%9C%93%20ok.mp3")[0].filename,
              "\xE2\x9C\x93 ok.mp3");
    EXPECT_EQ(with("filename*=utf-8'en'na%C3%AFve.mp3; filename=\"naive.mp3\"")[0].filename, "na\xC3\xAFve.mp3");
    EXPECT_EQ(with("filename*=ISO-8859-1''caf%E9.mp3")[0].filename, "caf\xC3\xA9.mp3");
    EXPECT_EQ(with("filename=\"fallback.mp3\"; filename*=UTF-8''bad%G1")[0].filename, "fallback.mp3");
    EXPECT_EQ(with("filename=\"fallback.mp3\"; filename*=KOI8-R''x")[0].filename, "fallback.mp3");
    EXPECT_EQ(with("filename=\"fallback.mp3\"; filename*=UTF-8''trunc%E")[0].filename, "fallback.mp3");
}

TEST_F(media_multipart, malformed_bodies)
{
    const auto good = build_multipart(k_boundary, {{"a", std::nullopt, "", "1"}});
    EXPECT_EQ(error_of("no boundary here"), "missing first boundary");
    EXPECT_EQ(error_of(""), "missing first boundary");
    EXPECT_EQ(error_of(good.substr(0, good.size() - 2 - k_boundary.size() - 4)), "missing closing boundary");
    EXPECT_EQ(error_of(good.substr(0, good.size() - 2)), "missing closing boundary");  // "--boundary" without "--"
    EXPECT_EQ(error_of("--" + k_boundary + "\r\nContent-Disposition: form-data; name=a\r\n"),
              "missing closing boundary");
    EXPECT_EQ(error_of("--" + k_boundary + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + k_boundary + "--"),
              "part without a name");
    EXPECT_EQ(error_of("--" + k_boundary + "\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--" + k_boundary +
                       "--"),
              "part without a name");
    EXPECT_EQ(
        error_of("--" + k_boundary + "\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--" + k_boundary + "--"),
        "part is not form-data");
    // Bare LF line ends are not multipart.
    EXPECT_EQ(error_of("--" + k_boundary + "\nContent-Disposition: form-data; name=a\n\nx\n--" + k_boundary + "--"),
              "missing first boundary");
    write_file(body_path(), good);
    EXPECT_EQ(std::get<std::string>(parse_multipart(body_path(), "", {})), "invalid boundary");
}

TEST_F(media_multipart, limits)
{
    std::vector<test_part> many(17, test_part{"f", std::nullopt, "", "x"});
    EXPECT_EQ(error_of(build_multipart(k_boundary, many)), "too many parts");
    many.pop_back();
    EXPECT_EQ(parts_of(build_multipart(k_boundary, many)).size(), 16u);
    EXPECT_EQ(error_of(build_multipart(k_boundary, many), {.max_parts = 3}), "too many parts");
    const std::string long_header = "X-Long: " + std::string(9000, 'h') + "\r\n";
    EXPECT_EQ(error_of("--" + k_boundary + "\r\n" + long_header +
                       "Content-Disposition: form-data; name=a\r\n\r\nx\r\n--" + k_boundary + "--"),
              "part headers too large");
    const std::string fits = "Content-Disposition: form-data; name=a\r\n";  // 40 bytes + final CRLF
    const std::string body = "--" + k_boundary + "\r\n" + fits + "\r\nx\r\n--" + k_boundary + "--";
    EXPECT_EQ(error_of(body, {.max_header_bytes = fits.size() + 1}), "part headers too large");
    EXPECT_EQ(parse(body, k_boundary, {.max_header_bytes = fits.size() + 2}).index(), 0u);
}

// The delimiter at every position around the edges of the 64 KiB search window.
TEST_F(media_multipart, delimiters_across_the_search_window)
{
    const std::string head = "--" + k_boundary + "\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n";
    const std::size_t pattern = k_boundary.size() + 4;
    std::vector<std::size_t> delimiter_offsets = {65535, 65536, 65537};
    for (std::size_t d = 0; d <= pattern + 2; ++d) delimiter_offsets.push_back(head.size() + 65536 + 1 - d);
    for (std::size_t at : delimiter_offsets) {
        std::string first(at - head.size(), '\0');
        for (std::size_t i = 0; i < first.size(); ++i) first[i] = static_cast<char>(i * 131 % 251);
        std::string second(std::size_t{140} * 1024, 'z');
        second[65536 - 1] = '\r';
        const auto body = head + first + "\r\n--" + k_boundary +
                          "\r\nContent-Disposition: form-data; name=\"g\"\r\n\r\n" + second + "\r\n--" + k_boundary +
                          "--\r\n";
        ASSERT_EQ(body.find("\r\n--" + k_boundary), at);
        const auto parts = parts_of(body);
        ASSERT_EQ(parts.size(), 2u) << at;
        EXPECT_EQ(parts[0].offset, head.size());
        EXPECT_EQ(parts[0].length, first.size()) << at;
        EXPECT_EQ(parts[1].length, second.size()) << at;
        EXPECT_EQ(content(parts[1]), second);
    }
}

TEST_F(media_multipart, many_false_delimiters_stay_linear)
{
    std::string junk;
    while (junk.size() < std::size_t{4} << 20) junk += "\r\n--" + k_boundary + "X";
    const auto parts = parts_of(build_multipart(k_boundary, {{"f", "x", "", junk}}));
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].length, junk.size());
}

TEST_F(media_multipart, copy_part_copies_the_exact_range)
{
    std::string binary(std::size_t{300} * 1024, '\0');
    for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 7919) >> 3);
    const auto parts = parts_of(build_multipart(k_boundary, {{"a", "a.bin", "", "small"}, {"b", "b.bin", "", binary}}));
    ASSERT_EQ(parts.size(), 2u);
    const auto dest = dir_.file("copy.bin");
    write_file(dest, "previous content that is longer than five bytes");
    copy_part(body_path(), parts[0], dest);
    EXPECT_EQ(read_file(dest), "small");
    copy_part(body_path(), parts[1], dest);
    EXPECT_EQ(read_file(dest), binary);
    EXPECT_EQ(std::filesystem::status(dest).permissions() & std::filesystem::perms::others_write,
              std::filesystem::perms::none);
}

TEST_F(media_multipart, copy_part_failures_throw_and_leave_nothing)
{
    const auto parts = parts_of(build_multipart(k_boundary, {{"a", "a.bin", "", "content"}}));
    ASSERT_EQ(parts.size(), 1u);
    const auto missing_dir = dir_.file("no/such/dir/x");
    try {
        copy_part(body_path(), parts[0], missing_dir);
        ADD_FAILURE() << "no exception";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENOENT);
    }
    auto outside = parts[0];
    outside.length = 1 << 20;
    EXPECT_THROW(copy_part(body_path(), outside, dir_.file("o")), std::system_error);
    EXPECT_FALSE(std::filesystem::exists(dir_.file("o")));
    // A symlink as destination is refused and its target left alone.
    write_file(dir_.file("target"), "keep");
    std::filesystem::create_symlink(dir_.file("target"), dir_.file("link"));
    EXPECT_THROW(copy_part(body_path(), parts[0], dir_.file("link")), std::system_error);
    EXPECT_EQ(read_file(dir_.file("target")), "keep");
    EXPECT_THROW(copy_part(dir_.file("no-body"), parts[0], dir_.file("p")), std::system_error);
}

// A write that fails half-way (the file-size limit stands in for a full disk: same path, errno
// passed through) removes the partial destination.
TEST_F(media_multipart, copy_part_write_failure_removes_the_destination)
{
    const std::string big(std::size_t{256} * 1024, 'b');
    const auto parts = parts_of(build_multipart(k_boundary, {{"a", "a.bin", "", big}}));
    ASSERT_EQ(parts.size(), 1u);
    const auto dest = dir_.file("partial.bin");
    struct rlimit saved {};
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
    auto* old_handler = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = saved;
    small.rlim_cur = rlim_t{64} * 1024;
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
    int code = 0;
    try {
        copy_part(body_path(), parts[0], dest);
    } catch (const std::system_error& e) {
        code = e.code().value();
    }
    setrlimit(RLIMIT_FSIZE, &saved);
    signal(SIGXFSZ, old_handler);
    EXPECT_EQ(code, EFBIG);
    EXPECT_FALSE(std::filesystem::exists(dest));
}

}  // namespace
}  // namespace spotik::media
