// Unit tests for media/audio_probe on the fixtures (tests/fixtures/README.md) and on generated
// files: random bytes, bare tags, broken frames, cut-off streams, WAV layouts, hostile MP4 atom
// trees, and mutated fixtures (no crash, only the documented outcomes).
#include "media/audio_probe.hpp"
#include "media/media_test_support.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <system_error>

namespace spotik::media {
namespace {

using namespace std::string_literals;
using testing::fixture;
using testing::read_file;
using testing::temp_dir;
using testing::write_file;

std::string error_of(const std::variant<audio_info, std::string>& r)
{
    const auto* e = std::get_if<std::string>(&r);
    return e ? *e : "(no error)";
}

audio_info info_of(const std::variant<audio_info, std::string>& r)
{
    if (const auto* e = std::get_if<std::string>(&r)) ADD_FAILURE() << "unexpected error: " << *e;
    const auto* i = std::get_if<audio_info>(&r);
    return i ? *i : audio_info{};
}

std::string le16(unsigned v)
{
    return {char(v & 0xFF), char((v >> 8) & 0xFF)};
}
std::string le32(std::uint32_t v)
{
    return le16(v & 0xFFFF) + le16(v >> 16);
}
std::string be32(std::uint32_t v)
{
    return {char(v >> 24), char((v >> 16) & 0xFF), char((v >> 8) & 0xFF), char(v & 0xFF)};
}

std::string chunk(std::string_view name, std::string_view body)
{
    std::string out = std::string(name) + le32(static_cast<std::uint32_t>(body.size())) + std::string(body);
    if (body.size() % 2) out.push_back('\0');
    return out;
}

// 16-bit PCM fmt chunk.
std::string fmt_chunk(unsigned channels, std::uint32_t rate)
{
    return chunk("fmt ",
                 le16(1) + le16(channels) + le32(rate) + le32(rate * channels * 2) + le16(channels * 2) + le16(16));
}

std::string riff(std::string_view chunks)
{
    return "RIFF" + le32(static_cast<std::uint32_t>(4 + chunks.size())) + "WAVE" + std::string(chunks);
}

std::string atom(std::string_view name, std::string_view body)
{
    return be32(static_cast<std::uint32_t>(8 + body.size())) + std::string(name) + std::string(body);
}

const std::string k_ftyp = atom("ftyp", "M4A \0\0\0\0M4A isom"s);

class media_audio_probe : public ::testing::Test {
protected:
    std::variant<audio_info, std::string> probe_bytes(std::string_view bytes)
    {
        const auto path = dir_.file("upload.bin");
        write_file(path, bytes);
        return probe_audio(path);
    }
    temp_dir dir_;
};

TEST_F(media_audio_probe, cbr_mp3_with_id3_tags)
{
    const auto info = info_of(probe_audio(fixture("tone-3s-cbr.mp3")));
    EXPECT_EQ(info.format, audio_format::mp3);
    EXPECT_EQ(info.duration_seconds, 3);
    EXPECT_NEAR(info.duration_exact, 3.03, 0.02);
    EXPECT_EQ(info.sample_rate, 44100);
    EXPECT_EQ(info.channels, 2);
    EXPECT_NEAR(info.bitrate_kbps, 128, 2);
    EXPECT_EQ(info.title, "A440 Tone");
    EXPECT_EQ(info.artist, "Spotik Fixtures");
    EXPECT_EQ(info.album, "Test Tones");
}

TEST_F(media_audio_probe, bare_and_vbr_mp3)
{
    const auto bare = info_of(probe_audio(fixture("tone-3s-bare.mp3")));
    EXPECT_EQ(bare.format, audio_format::mp3);
    EXPECT_EQ(bare.duration_seconds, 3);
    EXPECT_EQ(bare.bitrate_kbps, 128);
    EXPECT_TRUE(bare.title.empty());
    const auto vbr = info_of(probe_audio(fixture("tone-7s-vbr.mp3")));
    EXPECT_EQ(vbr.format, audio_format::mp3);
    EXPECT_EQ(vbr.duration_seconds, 7);
    EXPECT_NEAR(vbr.duration_exact, 7.03, 0.02);
}

TEST_F(media_audio_probe, wav_and_m4a)
{
    const auto wav = info_of(probe_audio(fixture("tone-5s.wav")));
    EXPECT_EQ(wav.format, audio_format::wav);
    EXPECT_EQ(wav.duration_seconds, 5);
    EXPECT_DOUBLE_EQ(wav.duration_exact, 5.0);
    EXPECT_EQ(wav.sample_rate, 22050);
    EXPECT_EQ(wav.channels, 1);
    const auto m4a = info_of(probe_audio(fixture("tone-4s.m4a")));
    EXPECT_EQ(m4a.format, audio_format::m4a);
    EXPECT_EQ(m4a.duration_seconds, 4);
    EXPECT_EQ(m4a.title, "M4A Tone");
    EXPECT_GT(m4a.sample_rate, 0);
}

TEST_F(media_audio_probe, fixtures_that_are_not_audio)
{
    EXPECT_EQ(error_of(probe_audio(fixture("empty.mp3"))), k_audio_empty);
    EXPECT_EQ(error_of(probe_audio(fixture("fake-text.mp3"))), k_audio_not_audio);
    EXPECT_EQ(error_of(probe_audio(fixture("image-as-audio.wav"))), k_audio_not_audio);
    EXPECT_EQ(error_of(probe_audio(fixture("cover.png"))), k_audio_not_audio);
    EXPECT_EQ(error_of(probe_audio(fixture("cover.jpg"))), k_audio_not_audio);
    EXPECT_EQ(error_of(probe_audio(fixture("header-only.wav"))), k_audio_corrupted);
}

// Decision: a cut-off stream reports the duration of what is really there (0 s here), not the
// 3 s its Xing/Info header claims.
TEST_F(media_audio_probe, truncated_mp3_reports_what_is_there)
{
    const auto info = info_of(probe_audio(fixture("truncated.mp3")));
    EXPECT_EQ(info.format, audio_format::mp3);
    EXPECT_EQ(info.duration_seconds, 0);
    EXPECT_GT(info.duration_exact, 0.3);
    EXPECT_LT(info.duration_exact, 0.45);  // 5885 audio bytes at 128 kb/s = 0.37 s
    EXPECT_EQ(info.title, "A440 Tone");
}

TEST_F(media_audio_probe, cut_cbr_without_xing_and_cut_vbr)
{
    const auto bare = read_file(fixture("tone-3s-bare.mp3"));
    const auto cut = info_of(probe_bytes(bare.substr(0, 24000)));
    EXPECT_NEAR(cut.duration_exact, 24000 * 8 / 128000.0, 0.05);
    EXPECT_EQ(cut.duration_seconds, 2);
    const auto vbr = read_file(fixture("tone-7s-vbr.mp3"));
    const auto half = info_of(probe_bytes(vbr.substr(0, vbr.size() / 2)));
    EXPECT_NEAR(half.duration_exact, 3.5, 0.3);
}

TEST_F(media_audio_probe, generated_garbage_is_rejected)
{
    std::mt19937 rng(42);
    for (int round = 0; round < 20; ++round) {
        std::string bytes(1000 + round * 500, '\0');
        for (auto& c : bytes) c = static_cast<char>(rng());
        const auto err = error_of(probe_bytes(bytes));
        EXPECT_TRUE(err == k_audio_not_audio || err == k_audio_corrupted) << err;
    }
    EXPECT_EQ(error_of(probe_bytes("ID3\x03\0\0\0\0\0\0"s)), k_audio_corrupted);
    EXPECT_EQ(error_of(probe_bytes("ID3\x03\0\0\0\0\x10\0"s + std::string(3000, 'x'))), k_audio_corrupted);
    EXPECT_EQ(error_of(probe_bytes("ID3\x04\0\0\x7F\x7F\x7F\x7F"s + "\xFF\xFB\x90\x64"s)), k_audio_corrupted);
    std::string sync_then_garbage = "\xFF\xFB\x90\x64"s;
    for (int i = 0; i < 5000; ++i) sync_then_garbage.push_back(static_cast<char>('a' + i % 26));
    EXPECT_EQ(error_of(probe_bytes(sync_then_garbage)), k_audio_corrupted);
    EXPECT_EQ(error_of(probe_bytes("\xFF\xFB"s)), k_audio_not_audio);
    EXPECT_EQ(error_of(probe_bytes("\xFF\xFB\x90\x64"s)), k_audio_corrupted);
}

TEST_F(media_audio_probe, oversized_tags_are_refused_before_taglib)
{
    const auto bare = read_file(fixture("tone-3s-bare.mp3"));
    // An ID3v2 tag declaring 17 MiB, an APE footer declaring 20 MiB.
    EXPECT_EQ(error_of(probe_bytes("ID3\x04\0\0\x08\x40\0\0"s + bare)), k_audio_corrupted);
    const std::string ape = "APETAGEX" + le32(2000) + le32(20u << 20) + le32(0) + le32(0) + std::string(8, '\0');
    EXPECT_EQ(error_of(probe_bytes(bare + ape)), k_audio_corrupted);
}

TEST_F(media_audio_probe, generated_wav_layouts)
{
    const std::string second(std::size_t{44100} * 2, '\x01');  // 1 s of 16-bit mono at 44.1 kHz
    auto ok = info_of(probe_bytes(riff(fmt_chunk(1, 44100) + chunk("data", second + second))));
    EXPECT_EQ(ok.duration_seconds, 2);
    EXPECT_DOUBLE_EQ(ok.duration_exact, 2.0);
    // Data chunk claiming more than is there (cut-off upload) and a streaming writer's sizes.
    auto cut = info_of(probe_bytes(riff(fmt_chunk(1, 44100) + "data" + le32(10 * 88200) + second)));
    EXPECT_DOUBLE_EQ(cut.duration_exact, 1.0);
    auto streamed =
        info_of(probe_bytes("RIFF\xFF\xFF\xFF\xFFWAVE"s + fmt_chunk(1, 44100) + "data\xFF\xFF\xFF\xFF"s + second));
    EXPECT_DOUBLE_EQ(streamed.duration_exact, 1.0);
    EXPECT_EQ(streamed.sample_rate, 44100);
    EXPECT_EQ(error_of(probe_bytes(riff(fmt_chunk(1, 44100) + chunk("data", "")))), k_audio_corrupted);
    EXPECT_EQ(error_of(probe_bytes(riff(fmt_chunk(2, 44100) + chunk("data", "\1\2\3")))), k_audio_corrupted);
    EXPECT_EQ(error_of(probe_bytes(riff(chunk("data", second)))), k_audio_corrupted);
    EXPECT_EQ(error_of(probe_bytes(riff(fmt_chunk(0, 44100) + chunk("data", second)))), k_audio_corrupted);
    // No block align and the widest channel count and sample size (fuzz reproducer
    // tests/fuzz/crashes/audio_probe/wav-frame-size-overflow): one frame is 512 MiB, far past the data.
    const std::string wide_fmt = chunk("fmt ", le16(1) + le16(0xFFFF) + le32(8000) + le32(0) + le16(0) + le16(0xFFFF));
    EXPECT_EQ(error_of(probe_bytes(riff(wide_fmt + chunk("data", second)))), k_audio_corrupted);
}

TEST_F(media_audio_probe, wav_info_tags)
{
    const std::string info = "INFO" + chunk("INAM", "Wav Title"s + '\0') + chunk("IART", "Wav Artist"s + '\0');
    auto tagged =
        info_of(probe_bytes(riff(fmt_chunk(1, 8000) + chunk("LIST", info) + chunk("data", std::string(16000, '\0')))));
    EXPECT_EQ(tagged.title, "Wav Title");
    EXPECT_EQ(tagged.artist, "Wav Artist");
    EXPECT_EQ(tagged.duration_seconds, 1);
}

TEST_F(media_audio_probe, hostile_wav_chunk_layouts)
{
    std::string many;
    for (int i = 0; i < 5000; ++i) many += chunk("junk", "");
    EXPECT_EQ(error_of(probe_bytes(riff(fmt_chunk(1, 8000) + many + chunk("data", "\0\0"s)))), k_audio_corrupted);
    const std::string big_list = chunk("LIST", std::string((16u << 20) + 2, '\0'));
    EXPECT_EQ(error_of(probe_bytes(riff(fmt_chunk(1, 8000) + big_list + chunk("data", "\0\0"s)))), k_audio_corrupted);
}

TEST_F(media_audio_probe, hostile_mp4_atom_trees)
{
    constexpr std::uint32_t levels = 20000;  // moov > trak > moov > ... > free, built outside in
    std::string deep;
    for (std::uint32_t i = 0; i < levels; ++i) deep += be32(8 * (levels - i) + 8) + (i % 2 ? "trak" : "moov");
    deep += atom("free", "");
    EXPECT_EQ(error_of(probe_bytes(k_ftyp + deep)), k_audio_corrupted);
    std::string meta = atom("free", "");
    for (int i = 0; i < 2000; ++i) meta = atom("meta", "\0\0\0\0"s + meta);
    EXPECT_EQ(error_of(probe_bytes(k_ftyp + atom("moov", meta))), k_audio_corrupted);
    std::string wide;
    for (int i = 0; i < 150000; ++i) wide += atom("free", "");
    EXPECT_EQ(error_of(probe_bytes(k_ftyp + atom("moov", wide))), k_audio_corrupted);
    EXPECT_EQ(error_of(probe_bytes(k_ftyp)), k_audio_corrupted);
    EXPECT_EQ(error_of(probe_bytes(k_ftyp + atom("moov", "") + atom("mdat", "xyz"))), k_audio_corrupted);
    EXPECT_EQ(error_of(probe_bytes(k_ftyp + be32(1) + "moov" + std::string(8, '\xFF'))), k_audio_corrupted);
}

TEST_F(media_audio_probe, m4a_without_its_moov_is_rejected)
{
    auto bytes = read_file(fixture("tone-4s.m4a"));
    const auto moov = bytes.find("moov");
    ASSERT_NE(moov, std::string::npos);
    bytes[moov] = 'x';
    EXPECT_EQ(error_of(probe_bytes(bytes)), k_audio_corrupted);
}

TEST_F(media_audio_probe, missing_file_or_directory_throws)
{
    EXPECT_THROW(probe_audio(dir_.file("does-not-exist.mp3")), std::system_error);
    EXPECT_THROW(probe_audio(dir_.path().string()), std::system_error);
}

// Byte flips and truncations of every audio fixture: each result is a documented one.
TEST_F(media_audio_probe, mutated_fixtures_never_crash)
{
    std::mt19937 rng(7);
    for (const char* name : {"tone-3s-cbr.mp3", "tone-3s-bare.mp3", "tone-7s-vbr.mp3", "tone-5s.wav", "tone-4s.m4a"}) {
        const auto original = read_file(fixture(name));
        for (int round = 0; round < 60; ++round) {
            auto bytes = original;
            if (round % 3 == 0) bytes.resize(rng() % bytes.size());
            const int flips = 1 + static_cast<int>(rng() % 32);
            for (int i = 0; i < flips && !bytes.empty(); ++i)
                bytes[rng() % std::min<std::size_t>(bytes.size(), round % 2 ? 512 : bytes.size())] =
                    static_cast<char>(rng());
            const auto result = probe_bytes(bytes);
            if (const auto* e = std::get_if<std::string>(&result)) {
                EXPECT_TRUE(*e == k_audio_empty || *e == k_audio_not_audio || *e == k_audio_corrupted) << *e;
            } else {
                const auto& info = std::get<audio_info>(result);
                EXPECT_GE(info.duration_seconds, 0);
                EXPECT_LE(info.duration_seconds, 3600) << name << " round " << round;
                EXPECT_GT(info.sample_rate, 0);
                EXPECT_GT(info.channels, 0);
            }
        }
    }
}

}  // namespace
}  // namespace spotik::media
