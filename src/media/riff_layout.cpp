// Walking RIFF/WAVE chunks with one small read per chunk, bounded in count and size.
// Throws std::system_error on I/O errors only.
#include "media/riff_layout.hpp"

#include "media/byte_order.hpp"
#include "media/mpeg_frame.hpp"

#include <optional>
#include <string_view>

namespace spotik::media {
namespace {

constexpr std::uint64_t k_riff_header_bytes = 12;
constexpr std::uint64_t k_chunk_header_bytes = 8;

bool valid_chunk_name(const unsigned char* p) noexcept
{
    for (int i = 0; i < 4; ++i)
        if (p[i] < 32 || p[i] > 126) return false;
    return true;
}

// TagLib skips the pad byte after an odd-sized chunk if it is zero or followed by a valid name.
bool skip_padding(const input_file& file, std::uint64_t offset)
{
    unsigned char bytes[5];
    const auto got = file.read_at(offset, bytes, sizeof bytes);
    if (got == 0) return false;
    return bytes[0] == 0 || (got == sizeof bytes && valid_chunk_name(bytes + 1));
}

void read_fmt(const unsigned char* p, wav_layout& out) noexcept
{
    out.format_tag = load_le16(p);
    out.channels = load_le16(p + 2);
    out.sample_rate = load_le32(p + 4);
    out.byte_rate = load_le32(p + 8);
    out.block_align = load_le16(p + 12);
    out.bits_per_sample = load_le16(p + 14);
}

// TagLib reads these chunks whole (or an ID3v2 tag of its own declared size) into memory.
std::optional<std::string> check_metadata_chunk(const input_file& file, std::string_view name, std::uint64_t offset,
                                                std::uint64_t size)
{
    if (size > k_max_riff_metadata_bytes) return "chunk '" + std::string(name) + "' too large";
    if (name == "ID3 " || name == "id3 ") {
        const auto tag = id3v2_tag_size(file.read_string(offset, 10));
        if (tag && *tag > k_max_riff_metadata_bytes) return std::string("ID3v2 chunk too large");
    }
    return std::nullopt;
}

}  // namespace

std::variant<wav_layout, std::string> scan_wav(const input_file& file)
{
    const auto head = file.read_string(0, k_riff_header_bytes);
    if (head.size() < k_riff_header_bytes || head.substr(0, 4) != "RIFF" || head.substr(8, 4) != "WAVE")
        return std::string("not a RIFF/WAVE file");
    wav_layout out;
    bool have_fmt = false, have_data = false;
    const std::uint64_t size = file.size();
    std::uint64_t offset = k_riff_header_bytes;
    for (std::size_t count = 0; offset + k_chunk_header_bytes <= size; ++count) {
        if (count == k_max_riff_chunks) return std::string("too many RIFF chunks");
        unsigned char hdr[k_chunk_header_bytes + 16] = {};
        const auto got = file.read_at(offset, hdr, sizeof hdr);
        if (!valid_chunk_name(hdr)) break;
        const std::string_view name(reinterpret_cast<const char*>(hdr), 4);
        const std::uint64_t body = offset + k_chunk_header_bytes;
        std::uint64_t chunk_size = load_le32(hdr + 4);
        if (chunk_size > size - body) {
            // A data chunk cut short (or a streaming writer's placeholder size) holds what is there.
            if (name != "data") break;
            chunk_size = size - body;
        }
        if (name == "data") {
            if (!have_data) {
                out.data_offset = body;
                out.data_bytes = chunk_size;
                have_data = true;
            }
        } else if (auto err = check_metadata_chunk(file, name, body, chunk_size)) {
            return *err;
        } else if (name == "fmt " && !have_fmt && chunk_size >= 16 && got == sizeof hdr) {
            read_fmt(hdr + k_chunk_header_bytes, out);
            have_fmt = true;
        }
        offset = body + chunk_size;
        if ((offset & 1) != 0 && skip_padding(file, offset)) ++offset;
    }
    if (!have_fmt) return std::string("no fmt chunk");
    if (!have_data) return std::string("no data chunk");
    return out;
}

}  // namespace spotik::media
