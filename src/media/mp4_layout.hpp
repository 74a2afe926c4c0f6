// A bounded walk over the atom tree of an MP4/M4A file, done before TagLib parses it: TagLib
// 1.13 recurses into container atoms without a depth limit and keeps every atom in memory, so
// deeply nested, very numerous or oversized metadata atoms are refused first.
// Expected failures are values; reading throws std::system_error on I/O errors.
#pragma once
#include "media/input_file.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace spotik::media {

inline constexpr std::size_t k_max_mp4_atoms = 100'000;
inline constexpr int k_max_mp4_depth = 16;
// Largest atom TagLib may read whole (any atom below the top level, and "moov" itself).
inline constexpr std::uint64_t k_max_mp4_metadata_bytes = 16u << 20;

// nullopt when the tree is within the limits (it may still be invalid for TagLib); otherwise a
// short technical reason (not shown to users).
std::optional<std::string> check_mp4_layout(const input_file& file);

}  // namespace spotik::media
