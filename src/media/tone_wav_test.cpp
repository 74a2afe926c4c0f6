// Unit tests for media/tone_wav: the WAV layout, exact lengths, determinism, real sound, and
// that the upload probe accepts the result with the requested duration.
#include "media/tone_wav.hpp"

#include "media/audio_probe.hpp"
#include "media/media_test_support.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace spotik::media {
namespace {

std::uint32_t u32_at(const std::string& s, std::size_t at)
{
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
    return v;
}

std::uint16_t u16_at(const std::string& s, std::size_t at)
{
    return static_cast<std::uint16_t>(static_cast<unsigned char>(s[at]) | (static_cast<unsigned char>(s[at + 1]) << 8));
}

TEST(synth_wav, writes_a_pcm_header_and_exactly_the_requested_samples)
{
    const auto wav = synth_wav({.duration_seconds = 3, .sample_rate = 8000, .seed = 7});
    ASSERT_EQ(wav.size(), 44u + 3u * 8000u * 2u);
    EXPECT_EQ(wav.substr(0, 4), "RIFF");
    EXPECT_EQ(u32_at(wav, 4), wav.size() - 8);
    EXPECT_EQ(wav.substr(8, 8), "WAVEfmt ");
    EXPECT_EQ(u32_at(wav, 16), 16u);
    EXPECT_EQ(u16_at(wav, 20), 1);       // PCM
    EXPECT_EQ(u16_at(wav, 22), 1);       // mono
    EXPECT_EQ(u32_at(wav, 24), 8000u);   // sample rate
    EXPECT_EQ(u32_at(wav, 28), 16000u);  // byte rate
    EXPECT_EQ(u16_at(wav, 34), 16);      // bits
    EXPECT_EQ(wav.substr(36, 4), "data");
    EXPECT_EQ(u32_at(wav, 40), 3u * 8000u * 2u);
}

TEST(synth_wav, is_deterministic_per_seed_and_differs_between_seeds)
{
    EXPECT_EQ(synth_wav({.duration_seconds = 2, .seed = 3}), synth_wav({.duration_seconds = 2, .seed = 3}));
    EXPECT_NE(synth_wav({.duration_seconds = 2, .seed = 3}), synth_wav({.duration_seconds = 2, .seed = 4}));
    EXPECT_EQ(tone_key_name(5), tone_key_name(5));
    EXPECT_TRUE(tone_key_name(5).ends_with(" minor pentatonic"));
}

TEST(synth_wav, is_audible_and_never_clips)
{
    const auto wav = synth_wav({.duration_seconds = 4, .sample_rate = 16000, .seed = 11});
    int peak = 0;
    std::size_t nonzero = 0;
    for (std::size_t at = 44; at + 1 < wav.size(); at += 2) {
        const int v = static_cast<std::int16_t>(u16_at(wav, at));
        peak = std::max(peak, std::abs(v));
        nonzero += v != 0;
    }
    EXPECT_GT(peak, 8000);               // clearly audible
    EXPECT_LT(peak, 32767);              // below full scale: no clipping
    EXPECT_GT(nonzero, wav.size() / 4);  // sound most of the time, not silence
}

TEST(synth_wav, clamps_out_of_range_fields)
{
    const auto wav = synth_wav({.duration_seconds = 0, .sample_rate = 100, .seed = 1});
    EXPECT_EQ(u32_at(wav, 24), 8000u);
    EXPECT_EQ(wav.size(), 44u + 8000u * 2u);
}

TEST(synth_wav, the_upload_probe_reads_back_the_duration)
{
    testing::temp_dir dir;
    for (int seconds : {1, 17, 42}) {
        const auto path = (dir.path() / ("tone-" + std::to_string(seconds) + ".wav")).string();
        testing::write_file(path, synth_wav({.duration_seconds = seconds, .seed = std::uint32_t(seconds)}));
        const auto probed = probe_audio(path);
        const auto* info = std::get_if<audio_info>(&probed);
        ASSERT_NE(info, nullptr) << std::get<std::string>(probed);
        EXPECT_EQ(info->format, audio_format::wav);
        EXPECT_EQ(info->duration_seconds, seconds);
        EXPECT_EQ(info->sample_rate, 22050);
        EXPECT_EQ(info->channels, 1);
    }
}

}  // namespace
}  // namespace spotik::media
