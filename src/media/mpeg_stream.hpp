// Where the MPEG audio stream of an MP3 file starts, checked before TagLib sees the file: the
// leading ID3v2 tags are skipped and the first frame must be confirmed by a second one right
// after it, within a small window. Also bounds the tags TagLib would load into memory.
// Expected failures are values; reading throws std::system_error on I/O errors.
#pragma once
#include "media/input_file.hpp"
#include "media/mpeg_frame.hpp"

#include <cstdint>
#include <string>
#include <variant>

namespace spotik::media {

// Largest ID3v2 or APE tag accepted (TagLib reads a whole tag into memory).
inline constexpr std::uint64_t k_max_mpeg_tag_bytes = 16u << 20;
// How far after the leading tags the first frame is looked for.
inline constexpr std::size_t k_mpeg_search_window = 4096;

struct mpeg_stream {
    std::uint64_t tags_end = 0;     // offset just after the leading ID3v2 tag(s)
    std::uint64_t first_frame = 0;  // offset of the first confirmed frame
    mpeg_header header;             // that frame's header
};

// The error string is a short technical reason (not shown to users).
std::variant<mpeg_stream, std::string> find_mpeg_stream(const input_file& file);

// The frame header at offset, if there is one and the next frame follows it as TagLib requires.
std::optional<mpeg_header> confirmed_frame_at(const input_file& file, std::uint64_t offset);

}  // namespace spotik::media
