// PNG (IHDR), JPEG (marker walk to the first SOFn) and WebP (VP8 / VP8L / VP8X) header decoding,
// and for files, whether the image goes on to its end. Expected failures are messages;
// probe_image throws std::system_error on I/O errors.
#include "media/image_probe.hpp"

#include "media/ascii.hpp"
#include "media/byte_order.hpp"
#include "media/input_file.hpp"

#include <cstdint>

namespace spotik::media {
namespace {

constexpr std::string_view k_not_image = "The file is not a PNG, JPEG or WebP image";
constexpr std::string_view k_broken_image = "The image is truncated or corrupted";
constexpr std::string_view k_png_signature = "\x89PNG\r\n\x1a\n";
constexpr std::uint32_t k_max_dimension = 0x7FFFFFFF;

using probe_result = std::variant<image_info, std::string>;

const unsigned char* bytes_of(std::string_view s) noexcept
{
    return reinterpret_cast<const unsigned char*>(s.data());
}

probe_result broken()
{
    return std::string(k_broken_image);
}

probe_result make_info(image_format f, std::uint32_t width, std::uint32_t height)
{
    if (width == 0 || height == 0 || width > k_max_dimension || height > k_max_dimension) return broken();
    return image_info{f, static_cast<int>(width), static_cast<int>(height)};
}

// The IHDR chunk must come first: length 13, then width and height (big-endian).
probe_result probe_png(std::string_view b)
{
    if (b.size() < 24 || load_be32(bytes_of(b) + 8) != 13 || b.substr(12, 4) != "IHDR") return broken();
    return make_info(image_format::png, load_be32(bytes_of(b) + 16), load_be32(bytes_of(b) + 20));
}

// Markers with no length field after them: TEM, the restart markers and SOI.
bool stands_alone(unsigned char m) noexcept
{
    return m == 0x01 || (m >= 0xD0 && m <= 0xD8);
}

bool is_sof(unsigned char m) noexcept
{
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

// Walks the markers after SOI; every step moves forward, so the loop ends within the buffer.
probe_result probe_jpeg(std::string_view b)
{
    const auto* p = bytes_of(b);
    std::size_t pos = 2;
    while (pos + 1 < b.size()) {
        if (p[pos] != 0xFF) return broken();
        const unsigned char marker = p[pos + 1];
        if (marker == 0xFF) {  // fill byte
            ++pos;
            continue;
        }
        pos += 2;
        if (stands_alone(marker)) continue;
        if (marker == 0xD9 || marker == 0xDA) return broken();  // image data before any frame
        if (pos + 2 > b.size()) break;
        const std::size_t length = load_be16(p + pos);
        if (length < 2) return broken();
        if (is_sof(marker)) {
            if (length < 7 || pos + 7 > b.size()) break;
            return make_info(image_format::jpeg, load_be16(p + pos + 5), load_be16(p + pos + 3));
        }
        pos += length;
    }
    return broken();
}

// The first chunk after "WEBP" says which bitstream follows and carries the canvas size.
probe_result probe_webp(std::string_view b)
{
    if (b.size() < 30) return broken();
    const auto* p = bytes_of(b);
    const auto chunk = b.substr(12, 4);
    const std::uint32_t chunk_size = load_le32(p + 16);
    if (chunk == "VP8 ") {
        if (chunk_size < 10 || p[23] != 0x9D || p[24] != 0x01 || p[25] != 0x2A) return broken();
        return make_info(image_format::webp, load_le16(p + 26) & 0x3FFF, load_le16(p + 28) & 0x3FFF);
    }
    if (chunk == "VP8L") {
        if (chunk_size < 5 || p[20] != 0x2F) return broken();
        const std::uint32_t bits = load_le32(p + 21);
        return make_info(image_format::webp, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
    }
    if (chunk == "VP8X") {
        if (chunk_size < 10) return broken();
        return make_info(image_format::webp, load_le24(p + 24) + 1, load_le24(p + 27) + 1);
    }
    return broken();
}

// Limits the walks below on a crafted file of tiny chunks or segments: real images have a few
// hundred at most.
constexpr int k_max_steps = 1 << 16;

// The chunks follow one another up to IEND, which must be within the file.
bool png_complete(const input_file& f)
{
    std::uint64_t at = k_png_signature.size();
    for (int step = 0; step < k_max_steps; ++step) {
        unsigned char head[8];
        if (f.read_at(at, head, sizeof head) < sizeof head) return false;
        const std::uint64_t next = at + 12 + load_be32(head);
        if (next > f.size()) return false;
        if (std::string_view(reinterpret_cast<const char*>(head + 4), 4) == "IEND") return true;
        at = next;
    }
    return false;
}

// Where the first scan's data begins (after the SOS segment), or 0 when the segments end first.
std::uint64_t jpeg_scan_start(const input_file& f)
{
    std::uint64_t at = 2;
    for (int step = 0; step < k_max_steps; ++step) {
        unsigned char m[4];
        const std::size_t n = f.read_at(at, m, sizeof m);
        if (n < 2 || m[0] != 0xFF) return 0;
        if (m[1] == 0xFF) {  // fill byte
            ++at;
            continue;
        }
        if (stands_alone(m[1])) {
            at += 2;
            continue;
        }
        if (n < 4) return 0;
        at += 2 + load_be16(m + 2);
        if (m[1] == 0xDA) return at;
    }
    return 0;
}

// The end-of-image marker follows the scans: inside their data a 0xFF byte is always followed
// by 0x00 or a restart marker, so the first FF D9 after the first scan starts is the end.
bool jpeg_complete(const input_file& f)
{
    std::uint64_t at = jpeg_scan_start(f);
    if (at == 0) return false;
    std::string block;
    bool after_ff = false;  // the previous block ended with 0xFF
    for (; at < f.size(); at += block.size()) {
        block = f.read_string(at, k_image_probe_bytes);
        if (block.empty()) return false;
        if (after_ff && block[0] == '\xD9') return true;
        if (block.find("\xFF\xD9") != std::string::npos) return true;
        after_ff = block.back() == '\xFF';
    }
    return false;
}

// The RIFF chunk, whose size the header gives, must be all there.
bool webp_complete(const input_file& f)
{
    unsigned char size[4];
    return f.read_at(4, size, sizeof size) == sizeof size && 8 + std::uint64_t{load_le32(size)} <= f.size();
}

bool complete(const input_file& f, image_format format)
{
    switch (format) {
        case image_format::png:
            return png_complete(f);
        case image_format::jpeg:
            return jpeg_complete(f);
        case image_format::webp:
            return webp_complete(f);
    }
    return false;
}

}  // namespace

std::string_view image_info::extension() const noexcept
{
    switch (format) {
        case image_format::jpeg:
            return "jpg";
        case image_format::png:
            return "png";
        case image_format::webp:
            return "webp";
    }
    return "jpg";
}

std::string_view image_info::mime() const noexcept
{
    switch (format) {
        case image_format::jpeg:
            return "image/jpeg";
        case image_format::png:
            return "image/png";
        case image_format::webp:
            return "image/webp";
    }
    return "image/jpeg";
}

std::optional<image_format> image_format_from_extension(std::string_view ext) noexcept
{
    if (iequals(ext, "jpg") || iequals(ext, "jpeg")) return image_format::jpeg;
    if (iequals(ext, "png")) return image_format::png;
    if (iequals(ext, "webp")) return image_format::webp;
    return std::nullopt;
}

std::variant<image_info, std::string> probe_image_bytes(std::string_view bytes)
{
    if (bytes.starts_with(k_png_signature)) return probe_png(bytes);
    if (bytes.size() >= 3 && bytes_of(bytes)[0] == 0xFF && bytes_of(bytes)[1] == 0xD8 && bytes_of(bytes)[2] == 0xFF)
        return probe_jpeg(bytes);
    if (bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WEBP") return probe_webp(bytes);
    return std::string(k_not_image);
}

std::variant<image_info, std::string> probe_image(const std::string& path)
{
    const input_file file(path);
    auto probed = probe_image_bytes(file.read_string(0, k_image_probe_bytes));
    if (const auto* info = std::get_if<image_info>(&probed); info && !complete(file, info->format)) return broken();
    return probed;
}

}  // namespace spotik::media
