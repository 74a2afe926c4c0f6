// Locating and sanity-checking the MPEG audio stream of an MP3 file with a few small reads.
// Throws std::system_error on I/O errors only.
#include "media/mpeg_stream.hpp"

#include "media/byte_order.hpp"

namespace spotik::media {
namespace {

constexpr int k_max_leading_tags = 4;
constexpr std::uint64_t k_id3v1_bytes = 128;
constexpr std::uint64_t k_ape_footer_bytes = 32;

// Checks the APE tag TagLib would read from the end of the file (before an ID3v1 tag, if any).
bool ape_tag_acceptable(const input_file& file)
{
    const std::uint64_t size = file.size();
    for (std::uint64_t trailer : {std::uint64_t{0}, k_id3v1_bytes}) {
        if (size < trailer + k_ape_footer_bytes) continue;
        unsigned char footer[k_ape_footer_bytes];
        if (file.read_at(size - trailer - k_ape_footer_bytes, footer, sizeof footer) != sizeof footer) continue;
        if (std::string_view(reinterpret_cast<const char*>(footer), 8) != "APETAGEX") continue;
        if (load_le32(footer + 12) > k_max_mpeg_tag_bytes) return false;
    }
    return true;
}

}  // namespace

std::optional<mpeg_header> confirmed_frame_at(const input_file& file, std::uint64_t offset)
{
    char bytes[4];
    if (file.read_at(offset, bytes, 4) != 4) return std::nullopt;
    auto header = parse_mpeg_header(std::string_view(bytes, 4));
    if (!header) return std::nullopt;
    if (file.read_at(offset + header->frame_length, bytes, 4) != 4) return std::nullopt;
    auto next = parse_mpeg_header(std::string_view(bytes, 4));
    if (!next || next->sync_bits != header->sync_bits) return std::nullopt;
    return header;
}

std::variant<mpeg_stream, std::string> find_mpeg_stream(const input_file& file)
{
    mpeg_stream out;
    for (int i = 0; i < k_max_leading_tags; ++i) {
        const auto tag = id3v2_tag_size(file.read_string(out.tags_end, 10));
        if (!tag) break;
        if (*tag > k_max_mpeg_tag_bytes) return std::string("ID3v2 tag too large");
        out.tags_end += *tag;
    }
    if (!ape_tag_acceptable(file)) return std::string("APE tag too large");
    const std::string window = file.read_string(out.tags_end, k_mpeg_search_window);
    const std::string_view w(window);
    for (std::size_t i = 0; i + 4 <= w.size(); ++i) {
        // TagLib also takes an ID3v2 tag found before the first frame; keep that one bounded too.
        if (w[i] == 'I' && id3v2_tag_size(w.substr(i)).value_or(0) > k_max_mpeg_tag_bytes)
            return std::string("ID3v2 tag too large");
        if (static_cast<unsigned char>(w[i]) != 0xFF || !parse_mpeg_header(w.substr(i))) continue;
        if (auto header = confirmed_frame_at(file, out.tags_end + i)) {
            out.first_frame = out.tags_end + i;
            out.header = *header;
            return out;
        }
    }
    return std::string("no MPEG frame near the start of the file");
}

}  // namespace spotik::media
