// Unit tests for the pre-TagLib layout checks: media/mpeg_stream, media/riff_layout and
// media/mp4_layout, asserting the reason each hostile layout is refused.
#include "media/media_test_support.hpp"
#include "media/mp4_layout.hpp"
#include "media/mpeg_stream.hpp"
#include "media/riff_layout.hpp"

#include <gtest/gtest.h>

#include <string>

namespace spotik::media {
namespace {

using namespace std::string_literals;
using testing::fixture;
using testing::read_file;
using testing::temp_dir;
using testing::write_file;

std::string le32(std::uint32_t v)
{
    return {char(v & 0xFF), char((v >> 8) & 0xFF), char((v >> 16) & 0xFF), char(v >> 24)};
}
std::string be32(std::uint32_t v)
{
    return {char(v >> 24), char((v >> 16) & 0xFF), char((v >> 8) & 0xFF), char(v & 0xFF)};
}
std::string atom(std::string_view name, std::string_view body)
{
    return be32(8 + body.size()) + std::string(name) + std::string(body);
}

class media_container_layout : public ::testing::Test {
protected:
    input_file file_with(std::string_view bytes)
    {
        const auto path = dir_.file("f.bin");
        write_file(path, bytes);
        return input_file(path);
    }
    temp_dir dir_;
};

TEST_F(media_container_layout, mpeg_stream_after_id3_tag)
{
    const auto file = input_file(fixture("tone-3s-cbr.mp3"));
    const auto found = find_mpeg_stream(file);
    ASSERT_TRUE(std::holds_alternative<mpeg_stream>(found));
    EXPECT_EQ(std::get<mpeg_stream>(found).tags_end, 115u);
    EXPECT_EQ(std::get<mpeg_stream>(found).first_frame, 115u);
    EXPECT_EQ(std::get<mpeg_stream>(found).header.bitrate_kbps, 128);
}

TEST_F(media_container_layout, mpeg_stream_skips_padding_and_repeated_tags)
{
    const auto bare = read_file(fixture("tone-3s-bare.mp3"));
    const auto tag = "ID3\x03\0\0\0\0\0\x0A"s + std::string(10, '\0');
    const auto f = file_with(tag + tag + std::string(100, '\0') + bare);
    const auto found = find_mpeg_stream(f);
    ASSERT_TRUE(std::holds_alternative<mpeg_stream>(found));
    EXPECT_EQ(std::get<mpeg_stream>(found).tags_end, 40u);
    EXPECT_EQ(std::get<mpeg_stream>(found).first_frame, 140u);
}

TEST_F(media_container_layout, mpeg_stream_needs_a_confirmed_frame_near_the_start)
{
    const auto bare = read_file(fixture("tone-3s-bare.mp3"));
    EXPECT_EQ(std::get<std::string>(find_mpeg_stream(file_with(std::string(5000, '\0') + bare))),
              "no MPEG frame near the start of the file");
    EXPECT_EQ(std::get<std::string>(find_mpeg_stream(file_with(bare.substr(0, 417)))),
              "no MPEG frame near the start of the file");
    EXPECT_EQ(std::get<std::string>(find_mpeg_stream(file_with("\xFF\xFB\x90\x64"s + std::string(5000, 'a')))),
              "no MPEG frame near the start of the file");
    // A broken first frame is skipped when a confirmed one follows within the window.
    const auto found = find_mpeg_stream(file_with("\xFF\xFB\x90\x64garbage"s + bare.substr(4)));
    ASSERT_TRUE(std::holds_alternative<mpeg_stream>(found));
    EXPECT_EQ(std::get<mpeg_stream>(found).first_frame, 11u + 413u);
    EXPECT_EQ(std::get<std::string>(find_mpeg_stream(file_with("ID3\x04\0\0\x09\0\0\0"s + bare))),
              "ID3v2 tag too large");
}

TEST_F(media_container_layout, wav_layout_of_fixture)
{
    const auto layout = scan_wav(input_file(fixture("tone-5s.wav")));
    ASSERT_TRUE(std::holds_alternative<wav_layout>(layout));
    const auto& w = std::get<wav_layout>(layout);
    EXPECT_EQ(w.format_tag, 1);
    EXPECT_EQ(w.channels, 1);
    EXPECT_EQ(w.sample_rate, 22050u);
    EXPECT_EQ(w.byte_rate, 44100u);
    EXPECT_EQ(w.block_align, 2);
    EXPECT_EQ(w.data_bytes, 220500u);
    EXPECT_EQ(std::get<std::string>(scan_wav(input_file(fixture("header-only.wav")))), "no data chunk");
}

TEST_F(media_container_layout, wav_walk_limits_and_padding)
{
    const std::string fmt = "fmt " + le32(16) + std::string(16, '\x01');
    std::string many;
    for (std::size_t i = 0; i < k_max_riff_chunks; ++i) many += "junk" + le32(0);
    const auto head = [](const std::string& chunks) { return "RIFF" + le32(4 + chunks.size()) + "WAVE" + chunks; };
    EXPECT_EQ(std::get<std::string>(scan_wav(file_with(head(fmt + many)))), "too many RIFF chunks");
    // An odd-sized chunk followed by a non-zero pad byte that precedes a valid name is skipped.
    const auto odd = "junk" + le32(3) + "abc" + "X";
    const auto layout = scan_wav(file_with(head(fmt + odd + "data" + le32(4) + "\1\2\3\4")));
    ASSERT_TRUE(std::holds_alternative<wav_layout>(layout));
    EXPECT_EQ(std::get<wav_layout>(layout).data_bytes, 4u);
    EXPECT_EQ(std::get<std::string>(scan_wav(file_with(head("ID3 " + le32(10) + "ID3\x04\0\0\x7F\x7F\x7F\x7F"s)))),
              "ID3v2 chunk too large");
    EXPECT_EQ(std::get<std::string>(scan_wav(file_with("RIFX" + le32(4) + "WAVE"))), "not a RIFF/WAVE file");
}

TEST_F(media_container_layout, mp4_limits)
{
    const auto ftyp = atom("ftyp", "M4A \0\0\0\0"s);
    EXPECT_FALSE(check_mp4_layout(input_file(fixture("tone-4s.m4a"))));
    std::string deep = atom("free", "");
    for (int i = 0; i <= k_max_mp4_depth; ++i) deep = atom("trak", deep);
    EXPECT_EQ(check_mp4_layout(file_with(ftyp + deep)), "MP4 atoms nested too deeply");
    std::string fine = atom("free", "");
    for (int i = 0; i < k_max_mp4_depth; ++i) fine = atom("trak", fine);
    EXPECT_FALSE(check_mp4_layout(file_with(ftyp + fine)));
    std::string wide;
    for (std::size_t i = 0; i < k_max_mp4_atoms; ++i) wide += atom("free", "");
    EXPECT_EQ(check_mp4_layout(file_with(ftyp + atom("moov", wide))), "too many MP4 atoms");
    const auto big = atom("udta", std::string(k_max_mp4_metadata_bytes, '\0'));
    EXPECT_EQ(check_mp4_layout(file_with(ftyp + atom("moov", big))), "MP4 atom too large");
    // Top-level media data may be large.
    EXPECT_FALSE(check_mp4_layout(
        file_with(ftyp + atom("moov", "") + atom("mdat", std::string(k_max_mp4_metadata_bytes + 1, '\0')))));
}

TEST_F(media_container_layout, mp4_meta_full_and_plain)
{
    const auto ftyp = atom("ftyp", "M4A \0\0\0\0"s);
    std::string full = atom("free", ""), plain = atom("free", "");
    for (int i = 0; i < 40; ++i) full = atom("meta", "\0\0\0\0"s + full);
    for (int i = 0; i < 40; ++i) plain = atom("meta", atom("hdlr", "") + atom("ilst", plain));
    EXPECT_EQ(check_mp4_layout(file_with(ftyp + full)), "MP4 atoms nested too deeply");
    EXPECT_EQ(check_mp4_layout(file_with(ftyp + plain)), "MP4 atoms nested too deeply");
}

}  // namespace
}  // namespace spotik::media
