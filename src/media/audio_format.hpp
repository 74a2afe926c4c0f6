// The audio formats Spotik accepts (CONTRACT §6.3) and how they are recognised: file extension,
// client-declared MIME type (with the common aliases) and magic bytes. Pure functions; never throw.
#pragma once
#include <optional>
#include <string_view>

namespace spotik::media {

enum class audio_format { mp3, wav, m4a };

// "audio/mpeg" | "audio/wav" | "audio/mp4": the value stored as a track's mime_type.
std::string_view canonical_mime(audio_format f) noexcept;

// "mp3", "wav", "m4a" in any case, without the dot.
std::optional<audio_format> format_from_extension(std::string_view ext) noexcept;

// audio/mpeg, audio/mp3, audio/wav, audio/x-wav, audio/wave, audio/vnd.wave, audio/mp4,
// audio/x-m4a in any case, parameters after ';' ignored. Anything else (including
// application/octet-stream and "") gives nullopt; callers treat those two as "not declared".
std::optional<audio_format> format_from_mime(std::string_view mime) noexcept;

// Magic bytes at the start of a file (pass the first few KiB):
// MP3: "ID3", or an MPEG audio frame header with valid version, layer, bitrate and sample rate;
// WAV: "RIFF" ... "WAVE"; M4A: an "ftyp" box at offset 4 whose major or a compatible brand is
// one of M4A , M4B , mp42, mp41, isom, iso2, dash.
std::optional<audio_format> sniff_audio(std::string_view first_bytes) noexcept;

}  // namespace spotik::media
