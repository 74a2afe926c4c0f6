// Unit tests for media/audio_format and media/mpeg_frame: extensions, declared MIME types with
// their aliases, magic-byte sniffing, MPEG frame header and ID3v2 header decoding.
#include "media/audio_format.hpp"
#include "media/mpeg_frame.hpp"

#include <gtest/gtest.h>

#include <string>

namespace spotik::media {
namespace {

using namespace std::string_literals;

TEST(media_audio_format, canonical_mime_types)
{
    EXPECT_EQ(canonical_mime(audio_format::mp3), "audio/mpeg");
    EXPECT_EQ(canonical_mime(audio_format::wav), "audio/wav");
    EXPECT_EQ(canonical_mime(audio_format::m4a), "audio/mp4");
}

TEST(media_audio_format, extensions_are_case_insensitive)
{
    EXPECT_EQ(format_from_extension("mp3"), audio_format::mp3);
    EXPECT_EQ(format_from_extension("MP3"), audio_format::mp3);
    EXPECT_EQ(format_from_extension("Wav"), audio_format::wav);
    EXPECT_EQ(format_from_extension("m4A"), audio_format::m4a);
    for (const char* bad : {"", ".mp3", "mp3 ", "mp4", "aac", "ogg", "wave", "mp"})
        EXPECT_FALSE(format_from_extension(bad)) << bad;
}

TEST(media_audio_format, mime_types_and_aliases)
{
    EXPECT_EQ(format_from_mime("audio/mpeg"), audio_format::mp3);
    EXPECT_EQ(format_from_mime("audio/mp3"), audio_format::mp3);
    EXPECT_EQ(format_from_mime("audio/wav"), audio_format::wav);
    EXPECT_EQ(format_from_mime("audio/x-wav"), audio_format::wav);
    EXPECT_EQ(format_from_mime("audio/wave"), audio_format::wav);
    EXPECT_EQ(format_from_mime("audio/vnd.wave"), audio_format::wav);
    EXPECT_EQ(format_from_mime("audio/mp4"), audio_format::m4a);
    EXPECT_EQ(format_from_mime("audio/x-m4a"), audio_format::m4a);
}

TEST(media_audio_format, mime_case_parameters_and_whitespace)
{
    EXPECT_EQ(format_from_mime("Audio/MPEG"), audio_format::mp3);
    EXPECT_EQ(format_from_mime("audio/x-WAV; codecs=1"), audio_format::wav);
    EXPECT_EQ(format_from_mime(" audio/mp4 ;foo=bar"), audio_format::m4a);
    for (const char* bad : {"", "application/octet-stream", "audio/ogg", "audio/mpeg3", "audio/", "audio", "video/mp4",
                            "audio/mpegx", ";audio/mpeg"})
        EXPECT_FALSE(format_from_mime(bad)) << bad;
}

TEST(media_audio_format, sniffs_mp3_by_id3_or_frame_sync)
{
    EXPECT_EQ(sniff_audio("ID3\x03\0\0\0\0\0\0"s), audio_format::mp3);
    EXPECT_EQ(sniff_audio("\xFF\xFB\x90\x64"s), audio_format::mp3);  // MPEG-1 layer III 128 kb/s
    EXPECT_EQ(sniff_audio("\xFF\xFA\x90\x64"s), audio_format::mp3);  // with CRC
    EXPECT_EQ(sniff_audio("\xFF\xF3\x50\xC4"s), audio_format::mp3);  // MPEG-2 layer III
    EXPECT_EQ(sniff_audio("\xFF\xE3\x50\xC4"s), audio_format::mp3);  // MPEG-2.5 layer III
    EXPECT_EQ(sniff_audio("\xFF\xFD\x90\x64"s), audio_format::mp3);  // layer II
}

TEST(media_audio_format, rejects_invalid_frame_headers)
{
    EXPECT_FALSE(sniff_audio("\xFF\xFB\xF0\x64"s));  // bitrate index 15
    EXPECT_FALSE(sniff_audio("\xFF\xFB\x00\x64"s));  // free format
    EXPECT_FALSE(sniff_audio("\xFF\xFB\x9C\x64"s));  // sample-rate index 3
    EXPECT_FALSE(sniff_audio("\xFF\xF9\x90\x64"s));  // layer 0 (reserved)
    EXPECT_FALSE(sniff_audio("\xFF\xEB\x90\x64"s));  // version 01 (reserved)
    EXPECT_FALSE(sniff_audio("\xFF\xDB\x90\x64"s));  // sync incomplete
    EXPECT_FALSE(sniff_audio("\xFF\xFB\x90"s));      // too short
    EXPECT_FALSE(sniff_audio("ID"));
    EXPECT_FALSE(sniff_audio(""));
}

TEST(media_audio_format, sniffs_wav)
{
    EXPECT_EQ(sniff_audio("RIFF\x24\0\0\0WAVEfmt "s), audio_format::wav);
    EXPECT_FALSE(sniff_audio("RIFF\x24\0\0\0AVI LIST"s));
    EXPECT_FALSE(sniff_audio("RIFF\x24\0\0\0WEBPVP8 "s));
    EXPECT_FALSE(sniff_audio("RIFF\x24\0\0\0WAV"s));
}

TEST(media_audio_format, sniffs_m4a_by_major_or_compatible_brand)
{
    EXPECT_EQ(sniff_audio("\0\0\0\x1C"
                          "ftypM4A \0\0\x02\0M4A isomiso2"s),
              audio_format::m4a);
    EXPECT_EQ(sniff_audio("\0\0\0\x18"
                          "ftypqt  \0\0\0\0M4A mp42"s),
              audio_format::m4a);
    EXPECT_EQ(sniff_audio("\0\0\0\x14"
                          "ftypdash\0\0\0\0"s +
                          "xxxx"),
              audio_format::m4a);
    for (const char* brand : {"M4B ", "mp42", "mp41", "isom", "iso2"})
        EXPECT_EQ(sniff_audio("\0\0\0\x10"
                              "ftyp"s +
                              brand + "\0\0\0\0"s),
                  audio_format::m4a)
            << brand;
    // A compatible brand outside the box does not count; nor does an unknown major brand.
    EXPECT_FALSE(
        sniff_audio("\0\0\0\x14"
                    "ftypavc1\0\0\0\0qt  M4A "s));
    EXPECT_FALSE(
        sniff_audio("\0\0\0\x14"
                    "ftypavc1\0\0\0\0qt  "s));
    EXPECT_FALSE(
        sniff_audio("\0\0\0\x08"
                    "ftypM4A \0\0\0\0"s));  // box too small
    EXPECT_FALSE(sniff_audio("ftypM4A \0\0\0\0"s));
}

TEST(media_audio_format, rejects_other_content)
{
    EXPECT_FALSE(sniff_audio("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"s));
    EXPECT_FALSE(sniff_audio("\xFF\xD8\xFF\xE0\0\x10JFIF"s));
    EXPECT_FALSE(sniff_audio("This is not audio"));
    EXPECT_FALSE(sniff_audio("OggS\0\x02"s));
}

TEST(media_mpeg_frame, decodes_header_fields)
{
    auto h = parse_mpeg_header("\xFF\xFB\x90\x64"s);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->version, mpeg_version::v1);
    EXPECT_EQ(h->layer, 3);
    EXPECT_EQ(h->bitrate_kbps, 128);
    EXPECT_EQ(h->min_bitrate_kbps, 32);
    EXPECT_EQ(h->sample_rate, 44100);
    EXPECT_EQ(h->channels, 2);
    EXPECT_EQ(h->frame_length, 417u);
    EXPECT_EQ(parse_mpeg_header("\xFF\xFB\x92\x64"s)->frame_length, 418u);  // padded

    auto mono = parse_mpeg_header("\xFF\xF3\x50\xC4"s);  // MPEG-2 layer III 40 kb/s 22.05 kHz mono
    ASSERT_TRUE(mono);
    EXPECT_EQ(mono->version, mpeg_version::v2);
    EXPECT_EQ(mono->bitrate_kbps, 40);
    EXPECT_EQ(mono->min_bitrate_kbps, 8);
    EXPECT_EQ(mono->sample_rate, 22050);
    EXPECT_EQ(mono->channels, 1);
    EXPECT_EQ(mono->frame_length, 576u * 40 * 125 / 22050);

    auto layer1 = parse_mpeg_header("\xFF\xFF\x12\x00"s);  // MPEG-1 layer I 32 kb/s, padded
    ASSERT_TRUE(layer1);
    EXPECT_EQ(layer1->layer, 1);
    EXPECT_EQ(layer1->frame_length, 384u * 32 * 125 / 44100 + 4);
}

TEST(media_mpeg_frame, frames_of_the_same_stream_share_sync_bits)
{
    EXPECT_EQ(parse_mpeg_header("\xFF\xFB\x90\x64"s)->sync_bits, parse_mpeg_header("\xFF\xFA\xB2\xC4"s)->sync_bits);
    EXPECT_NE(parse_mpeg_header("\xFF\xFB\x90\x64"s)->sync_bits, parse_mpeg_header("\xFF\xFB\x94\x64"s)->sync_bits);
}

TEST(media_mpeg_frame, id3v2_tag_sizes)
{
    EXPECT_EQ(id3v2_tag_size("ID3\x03\0\0\0\0\0\x69"s), 115u);
    EXPECT_EQ(id3v2_tag_size("ID3\x04\0\0\0\0\x01\x00"s), 10u + 128);
    EXPECT_EQ(id3v2_tag_size("ID3\x04\0\x10\0\0\0\x05"s), 25u);  // footer present
    EXPECT_EQ(id3v2_tag_size("ID3\x04\0\0\x7F\x7F\x7F\x7F"s), 10u + 0x0FFFFFFF);
    EXPECT_FALSE(id3v2_tag_size("ID3\x03\0\0\0\0\x80\0"s));  // not syncsafe
    EXPECT_FALSE(id3v2_tag_size("ID3\xFF\0\0\0\0\0\0"s));
    EXPECT_FALSE(id3v2_tag_size("ID3\x03\0\0\0\0\0"s));  // 9 bytes
    EXPECT_FALSE(id3v2_tag_size("TAG\x03\0\0\0\0\0\0"s));
}

}  // namespace
}  // namespace spotik::media
