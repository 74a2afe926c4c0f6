// Unit tests for media/image_probe: the cover fixtures, audio fixtures (refused), every
// truncation of the covers (in memory: their headers; in files: the whole image), hand-made JPEG
// marker sequences and generated WebP headers.
#include "media/image_probe.hpp"
#include "media/media_test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <system_error>

namespace spotik::media {
namespace {

using namespace std::string_literals;
using testing::fixture;
using testing::read_file;
using testing::temp_dir;
using testing::write_file;

std::string le16(unsigned v)
{
    return {char(v & 0xFF), char((v >> 8) & 0xFF)};
}
std::string le32(std::uint32_t v)
{
    return le16(v & 0xFFFF) + le16(v >> 16);
}
std::string be16(unsigned v)
{
    return {char((v >> 8) & 0xFF), char(v & 0xFF)};
}

std::string webp(std::string_view chunk_name, std::string_view payload)
{
    const std::string chunk =
        std::string(chunk_name) + le32(static_cast<std::uint32_t>(payload.size())) + std::string(payload);
    return "RIFF" + le32(static_cast<std::uint32_t>(4 + chunk.size())) + "WEBP" + chunk;
}

std::string jpeg_segment(unsigned char marker, std::string_view body)
{
    return "\xFF"s + char(marker) + be16(static_cast<unsigned>(body.size() + 2)) + std::string(body);
}

std::string sof(unsigned char marker, unsigned width, unsigned height)
{
    return jpeg_segment(marker, "\x08"s + be16(height) + be16(width) + "\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"s);
}

const std::string k_soi = "\xFF\xD8"s;
// A start of scan, entropy-coded data (with a stuffed 0xFF and a restart marker) and the end.
const std::string k_scan = "\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00"s + "\x12\xFF\x00\x34\xFF\xD0\x56"s + "\xFF\xD9"s;

image_info info_of(const std::variant<image_info, std::string>& r)
{
    if (const auto* e = std::get_if<std::string>(&r)) ADD_FAILURE() << "unexpected error: " << *e;
    const auto* i = std::get_if<image_info>(&r);
    return i ? *i : image_info{};
}

bool failed(const std::variant<image_info, std::string>& r)
{
    return std::holds_alternative<std::string>(r);
}

TEST(media_image_probe, cover_fixtures)
{
    const auto png = info_of(probe_image(fixture("cover.png")));
    EXPECT_EQ(png.format, image_format::png);
    EXPECT_EQ(png.width, 64);
    EXPECT_EQ(png.height, 64);
    EXPECT_EQ(png.extension(), "png");
    EXPECT_EQ(png.mime(), "image/png");
    const auto jpg = info_of(probe_image(fixture("cover.jpg")));
    EXPECT_EQ(jpg.format, image_format::jpeg);
    EXPECT_EQ(jpg.width, 64);
    EXPECT_EQ(jpg.height, 64);
    EXPECT_EQ(jpg.extension(), "jpg");
    EXPECT_EQ(jpg.mime(), "image/jpeg");
}

TEST(media_image_probe, audio_and_other_files_are_refused)
{
    for (const char* name : {"tone-3s-cbr.mp3", "tone-3s-bare.mp3", "tone-5s.wav", "tone-4s.m4a", "empty.mp3",
                             "fake-text.mp3", "header-only.wav", "README.md"})
        EXPECT_TRUE(failed(probe_image(fixture(name)))) << name;
    // image-as-audio.wav is a PNG whatever its name says.
    EXPECT_EQ(info_of(probe_image(fixture("image-as-audio.wav"))).format, image_format::png);
}

// Only headers are checked: a prefix passes exactly when it holds the dimension fields.
TEST(media_image_probe, every_truncation_of_the_covers)
{
    const auto png = read_file(fixture("cover.png"));
    for (std::size_t n = 0; n <= png.size(); ++n)
        EXPECT_EQ(failed(probe_image_bytes(std::string_view(png).substr(0, n))), n < 24) << n;
    const auto jpg = read_file(fixture("cover.jpg"));
    const auto sof = jpg.find("\xFF\xC0"s);
    ASSERT_NE(sof, std::string::npos);
    for (std::size_t n = 0; n <= jpg.size(); ++n)
        EXPECT_EQ(failed(probe_image_bytes(std::string_view(jpg).substr(0, n))), n < sof + 9)
            << n;  // marker, length, precision, height, width
}

// A file must hold the whole image: every cut before the end is refused, bytes after it are not.
TEST(media_image_probe, files_cut_short_are_refused)
{
    temp_dir dir;
    const auto path = dir.file("cover");
    for (const char* name : {"cover.png", "cover.jpg"}) {
        const auto whole = read_file(fixture(name));
        for (std::size_t n = 0; n < whole.size(); ++n) {
            write_file(path, std::string_view(whole).substr(0, n));
            EXPECT_TRUE(failed(probe_image(path))) << name << " cut to " << n << " bytes";
        }
        write_file(path, whole);
        EXPECT_FALSE(failed(probe_image(path))) << name;
        write_file(path, whole + "trailer appended by a camera");
        EXPECT_FALSE(failed(probe_image(path))) << name << " with a trailer";
    }
    const auto lossy = webp("VP8 ", "\x30\x01\x00\x9D\x01\x2A"s + le16(300) + le16(200) + std::string(40, '\x7F'));
    write_file(path, lossy);
    EXPECT_EQ(info_of(probe_image(path)).width, 300);
    write_file(path, lossy.substr(0, lossy.size() - 1));
    EXPECT_TRUE(failed(probe_image(path)));
}

TEST(media_image_probe, jpeg_end_marker_is_looked_for_after_the_scan_starts)
{
    temp_dir dir;
    const auto path = dir.file("c.jpg");
    // An end marker inside an APP1 segment (an embedded thumbnail's) does not end the image.
    const auto thumbnail = jpeg_segment(0xE1, "Exif\0\0\xFF\xD8\xFF\xD9"s);
    const auto header = k_soi + thumbnail + sof(0xC0, 8, 8);
    const auto scan_only = k_scan.substr(0, k_scan.size() - 2);
    write_file(path, header + scan_only);
    EXPECT_TRUE(failed(probe_image(path)));
    write_file(path, header + k_scan);
    EXPECT_EQ(info_of(probe_image(path)).width, 8);
    // Scan data longer than one read, with the end marker split across two reads.
    const auto sos = k_scan.substr(0, 10);
    std::string data(k_image_probe_bytes - 1, '\x11');
    write_file(path, header + sos + data + "\xFF\xD9"s);
    EXPECT_FALSE(failed(probe_image(path)));
    write_file(path, header + sos + data + std::string(k_image_probe_bytes, '\x22'));
    EXPECT_TRUE(failed(probe_image(path)));
}

TEST(media_image_probe, png_chunks_must_reach_iend)
{
    temp_dir dir;
    const auto path = dir.file("c.png");
    const auto png = read_file(fixture("cover.png"));
    const auto iend = png.substr(png.size() - 12);
    ASSERT_EQ(iend.substr(4, 4), "IEND");
    // A chunk whose length runs past the end of the file.
    auto overlong = png.substr(0, png.size() - 12) + "\x00\x10\x00\x00tEXt"s + "abc" + iend;
    write_file(path, overlong);
    EXPECT_TRUE(failed(probe_image(path)));
    // Without IEND, however many chunks come before the end.
    std::string many = png.substr(0, png.size() - 12);
    for (int i = 0; i < 70000; ++i) many += "\0\0\0\0tEXt\0\0\0\0"s;
    write_file(path, many);
    EXPECT_TRUE(failed(probe_image(path)));
}

TEST(media_image_probe, png_header_checks)
{
    const auto png = read_file(fixture("cover.png"));
    auto zero_width = png;
    zero_width.replace(16, 4, "\0\0\0\0"s);
    EXPECT_TRUE(failed(probe_image_bytes(zero_width)));
    auto not_ihdr = png;
    not_ihdr.replace(12, 4, "IDAT");
    EXPECT_TRUE(failed(probe_image_bytes(not_ihdr)));
    auto huge = png;
    huge.replace(16, 4, "\x80\0\0\0"s);  // beyond int
    EXPECT_TRUE(failed(probe_image_bytes(huge)));
    auto wide = png;
    wide.replace(16, 4, "\0\0\x10\0"s);
    EXPECT_EQ(info_of(probe_image_bytes(wide)).width, 4096);
}

TEST(media_image_probe, jpeg_marker_walk)
{
    const auto app0 = jpeg_segment(0xE0, "JFIF\0\x01\x01\0\0\x01\0\x01\0\0"s);
    const auto progressive = info_of(probe_image_bytes(k_soi + app0 + sof(0xC2, 640, 480)));
    EXPECT_EQ(progressive.width, 640);
    EXPECT_EQ(progressive.height, 480);
    // Fill bytes before a marker and a restart marker without length are skipped.
    const auto filled = info_of(probe_image_bytes(k_soi + "\xFF\xFF\xFF"s + app0 + "\xFF\xD0"s + sof(0xC0, 3, 2)));
    EXPECT_EQ(filled.width, 3);
    EXPECT_EQ(filled.height, 2);
    // DHT (C4) is not a frame header.
    EXPECT_TRUE(failed(probe_image_bytes(k_soi + jpeg_segment(0xC4, "\0\0\0\0\0\0\0\0"s))));
    EXPECT_TRUE(failed(probe_image_bytes(k_soi + app0 + jpeg_segment(0xDA, "\0\0\0"s) + sof(0xC0, 1, 1))));
    EXPECT_TRUE(failed(probe_image_bytes(k_soi + "\xFF\xE0\x00\x00"s + sof(0xC0, 1, 1))));  // length 0
    EXPECT_TRUE(failed(probe_image_bytes(k_soi + "\xFF\xE0\x00\x01"s)));
    EXPECT_TRUE(failed(probe_image_bytes(k_soi + app0 + "junk"s)));
    EXPECT_TRUE(failed(probe_image_bytes(k_soi + sof(0xC0, 0, 16))));  // height 0 means DNL: refused
    EXPECT_TRUE(failed(probe_image_bytes(k_soi + app0 + "\xFF\xD9"s)));
}

TEST(media_image_probe, jpeg_frame_beyond_64_kib_is_not_found)
{
    std::string segments;
    while (segments.size() < k_image_probe_bytes) segments += jpeg_segment(0xE1, std::string(60000, 'x'));
    temp_dir dir;
    write_file(dir.file("big.jpg"), k_soi + segments + sof(0xC0, 10, 10));
    EXPECT_TRUE(failed(probe_image(dir.file("big.jpg"))));
    write_file(dir.file("ok.jpg"), k_soi + jpeg_segment(0xE1, std::string(60000, 'x')) + sof(0xC0, 10, 10) + k_scan);
    EXPECT_EQ(info_of(probe_image(dir.file("ok.jpg"))).width, 10);
}

TEST(media_image_probe, webp_headers)
{
    // Lossy: frame tag, start code, 14-bit width and height (upper bits are scale).
    const auto lossy =
        info_of(probe_image_bytes(webp("VP8 ", "\x30\x01\x00\x9D\x01\x2A"s + le16(300 | 0x4000) + le16(200))));
    EXPECT_EQ(lossy.format, image_format::webp);
    EXPECT_EQ(lossy.width, 300);
    EXPECT_EQ(lossy.height, 200);
    EXPECT_EQ(lossy.extension(), "webp");
    EXPECT_EQ(lossy.mime(), "image/webp");
    // Lossless: signature 0x2F, then (width-1) and (height-1) in 14 bits each.
    const std::uint32_t bits = (1024 - 1) | ((768 - 1) << 14);
    const auto lossless = info_of(probe_image_bytes(webp("VP8L", "\x2F"s + le32(bits) + "\0\0\0\0\0"s)));
    EXPECT_EQ(lossless.width, 1024);
    EXPECT_EQ(lossless.height, 768);
    // Extended: flags, reserved, 24-bit (width-1) and (height-1).
    const auto extended = info_of(probe_image_bytes(webp("VP8X", "\x10\0\0\0\x9F\x0F\x00\xB7\x0B\x00"s)));
    EXPECT_EQ(extended.width, 4000);
    EXPECT_EQ(extended.height, 3000);
    EXPECT_TRUE(failed(probe_image_bytes(webp("VP8 ", "\x30\x01\x00\x9D\x01\x2B"s + le16(300) + le16(200)))));
    EXPECT_TRUE(failed(probe_image_bytes(webp("VP8 ", "\x30\x01\x00\x9D\x01\x2A"s + le16(0) + le16(200)))));
    EXPECT_TRUE(failed(probe_image_bytes(webp("VP8L", "\x2E"s + le32(bits) + "\0\0\0\0\0"s))));
    EXPECT_TRUE(failed(probe_image_bytes(webp("ALPH", std::string(20, '\0')))));
    EXPECT_TRUE(failed(probe_image_bytes(webp("VP8X", "\x10\0\0"s))));
    EXPECT_TRUE(failed(probe_image_bytes("RIFF\0\0\0\0WEBP"s)));
}

TEST(media_image_probe, extensions)
{
    EXPECT_EQ(image_format_from_extension("jpg"), image_format::jpeg);
    EXPECT_EQ(image_format_from_extension("JPEG"), image_format::jpeg);
    EXPECT_EQ(image_format_from_extension("Png"), image_format::png);
    EXPECT_EQ(image_format_from_extension("webp"), image_format::webp);
    for (const char* bad : {"", "gif", ".png", "jpe", "svg", "tiff"})
        EXPECT_FALSE(image_format_from_extension(bad)) << bad;
}

TEST(media_image_probe, missing_file_throws)
{
    temp_dir dir;
    EXPECT_THROW(probe_image(dir.file("nope.png")), std::system_error);
}

}  // namespace
}  // namespace spotik::media
