// Inspection of an uploaded audio file (CONTRACT §6.3, §13 E1): magic bytes first, then the
// TagLib class of the sniffed format, which must report real audio properties. Returns the
// format, the real duration and the tags, or a user-facing error message. Only I/O failures
// throw (std::system_error, e.g. the file cannot be opened).
#pragma once
#include "media/audio_format.hpp"

#include <cstdint>
#include <string>
#include <variant>

namespace spotik::media {

struct audio_info {
    audio_format format = audio_format::mp3;
    std::int64_t duration_seconds = 0;  // rounded to the nearest second
    double duration_exact = 0;          // seconds
    int bitrate_kbps = 0;
    int sample_rate = 0;
    int channels = 0;
    std::string title, artist, album;  // UTF-8, empty when absent, at most k_max_tag_text_bytes
};

inline constexpr std::size_t k_max_tag_text_bytes = 512;

// Error messages (contract style, shown to users under errors.audio_file).
inline constexpr std::string_view k_audio_empty = "File is empty";
inline constexpr std::string_view k_audio_not_audio = "File does not appear to be a valid audio file";
inline constexpr std::string_view k_audio_corrupted = "Invalid audio file format or corrupted file";

// Reads the first 4 KiB to sniff the format and a few small blocks to check the container
// layout (see mpeg_stream.hpp, riff_layout.hpp, mp4_layout.hpp), then opens the file read-only
// with TagLib (Accurate). Requirements: sample rate and channels > 0; MP3: a frame confirmed by
// the next one; WAV: a fmt chunk and a data chunk holding at least one sample frame.
//
// Durations: TagLib's, in milliseconds, rounded to whole seconds, except that
// - MP3: a stream shorter than its header claims (a cut-off file) reports what is really there:
//   with a Xing/Info header giving the stream size, the claim is scaled by present/claimed
//   bytes; without one, it is capped by (audio bytes * 8 / first-frame bitrate); and in every
//   case by what the lowest bitrate of that MPEG version could hold;
// - WAV: at most the data actually present / byte rate (the only source when TagLib gives 0).
std::variant<audio_info, std::string> probe_audio(const std::string& path);

}  // namespace spotik::media
