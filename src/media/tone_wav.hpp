// Generated music for development data (`spotik db seed`): a short melody on a pentatonic
// scale rendered as a 16-bit PCM mono WAV file, deterministic for a given seed, with an
// exact length of whole seconds, so every generated track is real, playable audio whose
// duration the upload probe reads back. Pure; only std::bad_alloc can escape.
#pragma once
#include <cstdint>
#include <string>

namespace spotik::media {

struct tone_spec {
    int duration_seconds = 30;  // 1-600
    int sample_rate = 22050;    // 8000-48000
    std::uint32_t seed = 1;     // picks the key, tempo and notes
};

// The whole file: RIFF/WAVE header, fmt chunk (PCM, 1 channel, 16 bits) and the data chunk
// of duration_seconds * sample_rate samples. Out-of-range fields are clamped.
std::string synth_wav(const tone_spec& spec);

// A short human-readable name of the key the seed selects, such as "A minor pentatonic".
std::string tone_key_name(std::uint32_t seed);

}  // namespace spotik::media
