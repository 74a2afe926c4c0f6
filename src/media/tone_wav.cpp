// Melody synthesis for seeded tracks: notes of one pentatonic scale, each with a short attack
// and release so there are no clicks, two soft harmonics, and a fade-out at the very end.
#include "media/tone_wav.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace spotik::media {
namespace {

constexpr std::array<const char*, 12> k_note_names{"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
constexpr std::array<int, 5> k_minor_pentatonic{0, 3, 5, 7, 10};

// xorshift32: small, deterministic across platforms.
struct prng {
    std::uint32_t state;
    std::uint32_t next()
    {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
    }
    int below(int n) { return static_cast<int>(next() % static_cast<std::uint32_t>(n)); }
};

void put_u16(std::string& out, std::uint16_t v)
{
    out += static_cast<char>(v & 0xff);
    out += static_cast<char>(v >> 8);
}

void put_u32(std::string& out, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string wav_header(std::uint32_t samples, std::uint32_t rate)
{
    std::string h;
    const std::uint32_t data_bytes = samples * 2;
    h += "RIFF";
    put_u32(h, 36 + data_bytes);
    h += "WAVEfmt ";
    put_u32(h, 16);
    put_u16(h, 1);  // PCM
    put_u16(h, 1);  // mono
    put_u32(h, rate);
    put_u32(h, rate * 2);  // byte rate
    put_u16(h, 2);         // block align
    put_u16(h, 16);        // bits per sample
    h += "data";
    put_u32(h, data_bytes);
    return h;
}

std::uint32_t mixed_seed(std::uint32_t seed)
{
    return seed * 2654435761u + 0x9e3779b9u;
}

}  // namespace

std::string tone_key_name(std::uint32_t seed)
{
    prng rng{mixed_seed(seed) | 1u};
    return std::string(k_note_names[static_cast<std::size_t>(rng.below(12))]) + " minor pentatonic";
}

std::string synth_wav(const tone_spec& spec)
{
    const int seconds = std::clamp(spec.duration_seconds, 1, 600);
    const int rate = std::clamp(spec.sample_rate, 8000, 48000);
    const auto total = static_cast<std::uint32_t>(seconds) * static_cast<std::uint32_t>(rate);
    prng rng{mixed_seed(spec.seed) | 1u};
    const int root = 57 + rng.below(12) - 12;         // MIDI note: the key, A2..G#3 region
    const double beat = 60.0 / (80 + rng.below(60));  // 80-139 beats per minute

    std::string out = wav_header(total, static_cast<std::uint32_t>(rate));
    out.reserve(out.size() + total * 2);
    std::uint32_t done = 0;
    const double fade = std::min(1.0, seconds / 4.0) * rate;
    while (done < total) {
        const double length_beats = (rng.below(4) + 1) * 0.5;  // half to two beats
        const auto note_samples =
            std::min<std::uint32_t>(total - done, static_cast<std::uint32_t>(length_beats * beat * rate));
        const int degree = rng.below(static_cast<int>(k_minor_pentatonic.size()));
        const int octave = 12 * (1 + rng.below(2));
        const bool rest = rng.below(8) == 0;
        const double freq =
            440.0 * std::pow(2.0, (root + octave + k_minor_pentatonic[static_cast<std::size_t>(degree)] - 69) / 12.0);
        const double attack = 0.01 * rate, release = std::min(0.08 * rate, note_samples / 2.0);
        for (std::uint32_t i = 0; i < note_samples; ++i, ++done) {
            double env = std::min({1.0, i / attack, (note_samples - i) / std::max(1.0, release)});
            env *= std::min(1.0, (total - done) / fade);  // fade out at the end of the track
            const double t = static_cast<double>(i) / rate;
            const double w = 2.0 * std::numbers::pi * freq * t;
            const double v = rest ? 0.0 : env * (0.6 * std::sin(w) + 0.25 * std::sin(2 * w) + 0.1 * std::sin(3 * w));
            const auto sample = static_cast<std::int16_t>(std::lround(std::clamp(v, -1.0, 1.0) * 0.7 * 32767));
            put_u16(out, static_cast<std::uint16_t>(sample));
        }
    }
    return out;
}

}  // namespace spotik::media
