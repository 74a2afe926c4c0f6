// Fuzz target: inspection of uploaded audio files (media/audio_probe with audio_format,
// mpeg_frame, mpeg_stream, riff_layout, mp4_layout and TagLib behind them). Input: the file's
// bytes; seeds include tests/fixtures. Invariants: no crash, hang or huge allocation (the
// layout checks exist to keep TagLib within bounds); an accepted file has the sniffed format,
// a positive sample rate and channel count, a duration >= 0 and tags within their limit; a
// refused one gets one of the three user-facing messages.
#include "media/audio_format.hpp"
#include "media/audio_probe.hpp"
#include "support.hpp"

#include <cmath>

using namespace spotik;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view bytes = fuzz::as_text(data, size);
    const std::string path = fuzz::scratch_dir() + "/upload";
    fuzz::write_file(path, bytes);
    const auto probed = media::probe_audio(path);
    if (const auto* message = std::get_if<std::string>(&probed)) {
        fuzz::check(*message == media::k_audio_empty || *message == media::k_audio_not_audio ||
                        *message == media::k_audio_corrupted,
                    "an unexpected refusal message", *message);
        fuzz::check((*message == media::k_audio_empty) == bytes.empty(), "empty and refused as empty disagree");
        return 0;
    }
    const auto& info = std::get<media::audio_info>(probed);
    const auto sniffed = media::sniff_audio(bytes.substr(0, 4096));
    fuzz::check(sniffed && *sniffed == info.format, "accepted as another format than sniffed");
    fuzz::check(info.sample_rate > 0 && info.channels > 0, "accepted without sample rate or channels");
    fuzz::check(info.duration_seconds >= 0 && std::isfinite(info.duration_exact) && info.duration_exact >= 0,
                "a negative or non-finite duration");
    fuzz::check(info.duration_seconds == std::llround(info.duration_exact), "duration not rounded from the exact one");
    fuzz::check(info.bitrate_kbps >= 0, "a negative bitrate");
    for (const auto* tag : {&info.title, &info.artist, &info.album})
        fuzz::check(tag->size() <= media::k_max_tag_text_bytes, "a tag longer than its limit", *tag);
    return 0;
}
