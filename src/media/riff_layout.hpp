// The chunk layout of a RIFF/WAVE file, walked the way TagLib walks it (same chunk-name and
// padding rules) so that files TagLib would find too costly are refused before it opens them:
// too many chunks or a metadata chunk too large to read into memory.
// Expected failures are values; reading throws std::system_error on I/O errors.
#pragma once
#include "media/input_file.hpp"

#include <cstdint>
#include <string>
#include <variant>

namespace spotik::media {

inline constexpr std::size_t k_max_riff_chunks = 1024;
inline constexpr std::uint64_t k_max_riff_metadata_bytes = 16u << 20;

struct wav_layout {
    std::uint16_t format_tag = 0;  // 1 = PCM, 0xFFFE = extensible, ...
    std::uint16_t channels = 0;
    std::uint32_t sample_rate = 0;
    std::uint32_t byte_rate = 0;
    std::uint16_t block_align = 0;
    std::uint16_t bits_per_sample = 0;
    std::uint64_t data_offset = 0;
    std::uint64_t data_bytes = 0;  // what the file really holds: a declared size past EOF is cut
};

// Requires "RIFF"...."WAVE", a "fmt " chunk of at least 16 bytes and a "data" chunk. The error
// string is a short technical reason (not shown to users).
std::variant<wav_layout, std::string> scan_wav(const input_file& file);

}  // namespace spotik::media
