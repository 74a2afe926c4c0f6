// Recognising audio formats by extension, declared MIME type and magic bytes; never throws.
#include "media/audio_format.hpp"

#include "media/ascii.hpp"
#include "media/byte_order.hpp"
#include "media/mpeg_frame.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace spotik::media {
namespace {

constexpr std::array<std::pair<std::string_view, audio_format>, 8> k_mime_types = {{
    {"audio/mpeg", audio_format::mp3},
    {"audio/mp3", audio_format::mp3},
    {"audio/wav", audio_format::wav},
    {"audio/x-wav", audio_format::wav},
    {"audio/wave", audio_format::wav},
    {"audio/vnd.wave", audio_format::wav},
    {"audio/mp4", audio_format::m4a},
    {"audio/x-m4a", audio_format::m4a},
}};

constexpr std::array<std::string_view, 7> k_m4a_brands = {"M4A ", "M4B ", "mp42", "mp41", "isom", "iso2", "dash"};

bool is_m4a_brand(std::string_view brand) noexcept
{
    for (auto b : k_m4a_brands)
        if (brand == b) return true;
    return false;
}

// An ftyp box at offset 0: major brand at 8, compatible brands from 16 to the end of the box.
bool is_m4a(std::string_view bytes) noexcept
{
    if (bytes.size() < 12 || bytes.substr(4, 4) != "ftyp") return false;
    const auto box_size = load_be32(reinterpret_cast<const unsigned char*>(bytes.data()));
    if (box_size != 0 && box_size < 16) return false;  // too small for major + minor version
    if (is_m4a_brand(bytes.substr(8, 4))) return true;
    const std::size_t end = box_size == 0 ? bytes.size() : std::min<std::size_t>(box_size, bytes.size());
    for (std::size_t at = 16; at + 4 <= end; at += 4)
        if (is_m4a_brand(bytes.substr(at, 4))) return true;
    return false;
}

}  // namespace

std::string_view canonical_mime(audio_format f) noexcept
{
    switch (f) {
        case audio_format::mp3:
            return "audio/mpeg";
        case audio_format::wav:
            return "audio/wav";
        case audio_format::m4a:
            return "audio/mp4";
    }
    return "application/octet-stream";
}

std::optional<audio_format> format_from_extension(std::string_view ext) noexcept
{
    if (iequals(ext, "mp3")) return audio_format::mp3;
    if (iequals(ext, "wav")) return audio_format::wav;
    if (iequals(ext, "m4a")) return audio_format::m4a;
    return std::nullopt;
}

std::optional<audio_format> format_from_mime(std::string_view mime) noexcept
{
    const auto type = trim_ows(mime.substr(0, mime.find(';')));
    for (const auto& [name, format] : k_mime_types)
        if (iequals(type, name)) return format;
    return std::nullopt;
}

std::optional<audio_format> sniff_audio(std::string_view first_bytes) noexcept
{
    const auto b = first_bytes;
    if (b.substr(0, 3) == "ID3") return audio_format::mp3;
    if (parse_mpeg_header(b)) return audio_format::mp3;
    if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WAVE") return audio_format::wav;
    if (is_m4a(b)) return audio_format::m4a;
    return std::nullopt;
}

}  // namespace spotik::media
