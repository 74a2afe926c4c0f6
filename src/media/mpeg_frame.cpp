// Decoding of MPEG audio frame headers and ID3v2 tag headers; pure, never throws.
#include "media/mpeg_frame.hpp"

#include "media/byte_order.hpp"

namespace spotik::media {
namespace {

// kbps by [version 1 | 2 and 2.5][layer - 1][bitrate index]; index 0 (free) and 15 are invalid.
constexpr int k_bitrates[2][3][16] = {
    {{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 0},
     {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 0},
     {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0}},
    {{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, 0},
     {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
     {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0}},
};

// Hz by [version 1, 2, 2.5][sample-rate index]; index 3 is reserved.
constexpr int k_sample_rates[3][3] = {{44100, 48000, 32000}, {22050, 24000, 16000}, {11025, 12000, 8000}};

int samples_per_frame(mpeg_version v, int layer) noexcept
{
    if (layer == 1) return 384;
    if (layer == 2) return 1152;
    return v == mpeg_version::v1 ? 1152 : 576;
}

}  // namespace

std::optional<mpeg_header> parse_mpeg_header(std::string_view bytes) noexcept
{
    if (bytes.size() < 4) return std::nullopt;
    const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
    if (b[0] != 0xFF || (b[1] & 0xE0) != 0xE0) return std::nullopt;
    const int version_bits = (b[1] >> 3) & 3;
    const int layer_bits = (b[1] >> 1) & 3;
    const int bitrate_index = b[2] >> 4;
    const int rate_index = (b[2] >> 2) & 3;
    if (version_bits == 1 || layer_bits == 0 || rate_index == 3) return std::nullopt;

    mpeg_header h;
    h.version = version_bits == 3 ? mpeg_version::v1 : version_bits == 2 ? mpeg_version::v2 : mpeg_version::v2_5;
    h.layer = 4 - layer_bits;
    const int table = h.version == mpeg_version::v1 ? 0 : 1;
    h.bitrate_kbps = k_bitrates[table][h.layer - 1][bitrate_index];
    if (h.bitrate_kbps == 0) return std::nullopt;
    h.min_bitrate_kbps = k_bitrates[table][h.layer - 1][1];
    h.sample_rate = k_sample_rates[static_cast<int>(h.version)][rate_index];
    h.channels = (b[3] >> 6) == 3 ? 1 : 2;
    const bool padded = ((b[2] >> 1) & 1) != 0;
    const int samples = samples_per_frame(h.version, h.layer);
    h.frame_length = static_cast<std::uint32_t>(samples * h.bitrate_kbps * 125 / h.sample_rate);
    if (padded) h.frame_length += h.layer == 1 ? 4 : 1;
    h.sync_bits = load_be32(b) & 0xFFFE0C00u;
    return h;
}

std::optional<std::uint64_t> id3v2_tag_size(std::string_view bytes) noexcept
{
    if (bytes.size() < 10 || bytes.substr(0, 3) != "ID3") return std::nullopt;
    const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
    if (b[3] == 0xFF || b[4] == 0xFF) return std::nullopt;
    std::uint64_t size = 0;
    for (int i = 6; i < 10; ++i) {
        if (b[i] & 0x80) return std::nullopt;
        size = (size << 7) | b[i];
    }
    const bool footer = b[3] == 4 && (b[5] & 0x10) != 0;
    return 10 + size + (footer ? 10 : 0);
}

}  // namespace spotik::media
