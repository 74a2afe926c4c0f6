// MPEG-1/2/2.5 audio frame headers (layers I-III) and ID3v2 tag headers, decoded from raw bytes.
// Frame lengths use TagLib's formula so both agree on where the next frame starts.
// Pure functions; never throw.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace spotik::media {

enum class mpeg_version { v1, v2, v2_5 };

struct mpeg_header {
    mpeg_version version = mpeg_version::v1;
    int layer = 0;             // 1, 2 or 3
    int bitrate_kbps = 0;      // never 0: free-format streams are not accepted
    int min_bitrate_kbps = 0;  // lowest bitrate this version/layer can signal
    int sample_rate = 0;
    int channels = 0;
    std::uint32_t frame_length = 0;  // bytes, including the header and padding
    std::uint32_t sync_bits = 0;     // sync, version, layer and sample-rate bits, to match the next frame
};

// Decodes 4 bytes; nullopt unless sync is set and version, layer, bitrate index (1-14) and
// sample-rate index are all valid.
std::optional<mpeg_header> parse_mpeg_header(std::string_view bytes) noexcept;

// Total size (header + body + optional footer) of an ID3v2 tag starting at bytes[0], or nullopt
// if bytes does not start with a well-formed ID3v2 header (10 bytes, syncsafe size).
std::optional<std::uint64_t> id3v2_tag_size(std::string_view bytes) noexcept;

}  // namespace spotik::media
