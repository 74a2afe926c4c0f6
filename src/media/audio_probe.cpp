// probe_audio: magic bytes, a bounded layout check, then TagLib for properties and tags.
// Expected failures are user-facing strings; I/O failures throw std::system_error.
#include "media/audio_probe.hpp"

#include "media/input_file.hpp"
#include "media/mp4_layout.hpp"
#include "media/mpeg_stream.hpp"
#include "media/riff_layout.hpp"

#include <taglib/id3v2framefactory.h>
#include <taglib/id3v2tag.h>
#include <taglib/infotag.h>
#include <taglib/mp4file.h>
#include <taglib/mpegfile.h>
#include <taglib/mpegproperties.h>
#include <taglib/tfilestream.h>
#include <taglib/wavfile.h>
#include <taglib/xingheader.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <system_error>

namespace spotik::media {
namespace {

constexpr std::size_t k_sniff_bytes = 4096;
constexpr std::uint64_t k_id3v1_bytes = 128;
constexpr std::uint32_t k_max_rate = 1u << 30;  // keeps values read from a header within int

std::string corrupted()
{
    return std::string(k_audio_corrupted);
}

// UTF-8 text of a tag field, cut to k_max_tag_text_bytes on a character boundary.
std::string tag_text(const TagLib::String& s)
{
    std::string out = s.to8Bit(true);
    if (out.size() > k_max_tag_text_bytes) {
        std::size_t cut = k_max_tag_text_bytes;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
    }
    return out;
}

void read_tags(const TagLib::Tag* tag, audio_info& info)
{
    if (tag == nullptr) return;
    if (info.title.empty()) info.title = tag_text(tag->title());
    if (info.artist.empty()) info.artist = tag_text(tag->artist());
    if (info.album.empty()) info.album = tag_text(tag->album());
}

void set_duration(audio_info& info, double ms)
{
    ms = std::max(ms, 0.0);
    info.duration_exact = ms / 1000.0;
    info.duration_seconds = std::llround(info.duration_exact);
}

// A TagLib stream opened read-only; TagLib must never be able to modify an upload.
std::unique_ptr<TagLib::FileStream> open_stream(const std::string& path)
{
    auto stream = std::make_unique<TagLib::FileStream>(path.c_str(), true);
    if (!stream->isOpen()) throw std::system_error(std::make_error_code(std::errc::io_error), "TagLib open");
    return stream;
}

// The duration (ms) of what the file really holds; see the header for the rules.
double mp3_duration_ms(const input_file& file, const TagLib::MPEG::File& mp3, const TagLib::MPEG::Properties& props,
                       std::uint64_t first_frame, const mpeg_header& header)
{
    std::uint64_t end = file.size();
    if (mp3.hasID3v1Tag() && end >= first_frame + k_id3v1_bytes) end -= k_id3v1_bytes;
    const auto audio_bytes = static_cast<double>(end > first_frame ? end - first_frame : 0);
    double ms = props.lengthInMilliseconds();
    if (const auto* xing = props.xingHeader()) {
        if (xing->totalSize() > 0 && audio_bytes < xing->totalSize()) ms = ms * audio_bytes / xing->totalSize();
    } else {
        ms = std::min(ms, audio_bytes * 8.0 / header.bitrate_kbps);
    }
    return std::min(ms, audio_bytes * 8.0 / header.min_bitrate_kbps);
}

std::variant<audio_info, std::string> probe_mp3(const input_file& file, const std::string& path)
{
    const auto stream = find_mpeg_stream(file);
    if (!std::holds_alternative<mpeg_stream>(stream)) return corrupted();
    auto io = open_stream(path);
    TagLib::MPEG::File mp3(io.get(), TagLib::ID3v2::FrameFactory::instance(), true, TagLib::AudioProperties::Accurate);
    const auto* props = mp3.audioProperties();
    if (!mp3.isValid() || props == nullptr || props->sampleRate() <= 0 || props->channels() <= 0) return corrupted();
    const long first = mp3.firstFrameOffset();
    if (first < 0) return corrupted();
    auto header = parse_mpeg_header(file.read_string(static_cast<std::uint64_t>(first), 4));
    if (!header) header = std::get<mpeg_stream>(stream).header;

    audio_info info;
    info.format = audio_format::mp3;
    set_duration(info, mp3_duration_ms(file, mp3, *props, static_cast<std::uint64_t>(first), *header));
    info.bitrate_kbps = props->bitrate() > 0 ? props->bitrate() : header->bitrate_kbps;
    info.sample_rate = props->sampleRate();
    info.channels = props->channels();
    read_tags(mp3.tag(), info);
    return info;
}

std::variant<audio_info, std::string> probe_wav(const input_file& file, const std::string& path)
{
    const auto scanned = scan_wav(file);
    const auto* layout = std::get_if<wav_layout>(&scanned);
    if (layout == nullptr || layout->channels == 0 || layout->sample_rate == 0) return corrupted();
    // Widened first: 16-bit channel and sample-size fields multiply past int's range.
    const std::uint64_t frame_bytes =
        layout->block_align > 0
            ? layout->block_align
            : std::max<std::uint64_t>(1, std::uint64_t{layout->channels} * layout->bits_per_sample / 8);
    if (layout->data_bytes < frame_bytes) return corrupted();
    auto io = open_stream(path);
    TagLib::RIFF::WAV::File wav(io.get(), true, TagLib::AudioProperties::Accurate);
    if (!wav.isValid()) return corrupted();
    const auto* props = wav.audioProperties();
    const bool have_props = props != nullptr && props->sampleRate() > 0 && props->channels() > 0;
    const double taglib_ms = have_props ? props->lengthInMilliseconds() : 0.0;
    const double data_ms =
        layout->byte_rate > 0 ? static_cast<double>(layout->data_bytes) * 1000.0 / layout->byte_rate : -1.0;
    if (taglib_ms <= 0 && data_ms < 0) return corrupted();

    audio_info info;
    info.format = audio_format::wav;
    set_duration(info, taglib_ms <= 0 ? data_ms : data_ms < 0 ? taglib_ms : std::min(taglib_ms, data_ms));
    info.sample_rate = have_props ? props->sampleRate() : static_cast<int>(std::min(layout->sample_rate, k_max_rate));
    info.channels = have_props ? props->channels() : layout->channels;
    info.bitrate_kbps = have_props && props->bitrate() > 0
                            ? props->bitrate()
                            : static_cast<int>(std::min(layout->byte_rate, k_max_rate) / 125);
    if (wav.hasID3v2Tag()) read_tags(wav.ID3v2Tag(), info);
    if (wav.hasInfoTag()) read_tags(wav.InfoTag(), info);
    return info;
}

std::variant<audio_info, std::string> probe_m4a(const input_file& file, const std::string& path)
{
    if (check_mp4_layout(file)) return corrupted();
    auto io = open_stream(path);
    TagLib::MP4::File m4a(io.get(), true, TagLib::AudioProperties::Accurate);
    const auto* props = m4a.audioProperties();
    if (!m4a.isValid() || props == nullptr || props->sampleRate() <= 0 || props->channels() <= 0) return corrupted();

    audio_info info;
    info.format = audio_format::m4a;
    set_duration(info, props->lengthInMilliseconds());
    info.bitrate_kbps = props->bitrate();
    info.sample_rate = props->sampleRate();
    info.channels = props->channels();
    read_tags(m4a.tag(), info);
    return info;
}

}  // namespace

std::variant<audio_info, std::string> probe_audio(const std::string& path)
{
    const input_file file(path);
    if (file.size() == 0) return std::string(k_audio_empty);
    const auto format = sniff_audio(file.read_string(0, k_sniff_bytes));
    if (!format) return std::string(k_audio_not_audio);
    switch (*format) {
        case audio_format::mp3:
            return probe_mp3(file, path);
        case audio_format::wav:
            return probe_wav(file, path);
        case audio_format::m4a:
            return probe_m4a(file, path);
    }
    return std::string(k_audio_not_audio);
}

}  // namespace spotik::media
