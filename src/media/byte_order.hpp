// Big- and little-endian integer loads from raw bytes for the media parsers. Never throws;
// the caller guarantees that the bytes exist.
#pragma once
#include <cstdint>

namespace spotik::media {

constexpr std::uint32_t load_be32(const unsigned char* p) noexcept
{
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

constexpr std::uint64_t load_be64(const unsigned char* p) noexcept
{
    return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}

constexpr std::uint16_t load_be16(const unsigned char* p) noexcept
{
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

constexpr std::uint32_t load_le32(const unsigned char* p) noexcept
{
    return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | p[0];
}

constexpr std::uint32_t load_le24(const unsigned char* p) noexcept
{
    return (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | p[0];
}

constexpr std::uint16_t load_le16(const unsigned char* p) noexcept
{
    return static_cast<std::uint16_t>((p[1] << 8) | p[0]);
}

}  // namespace spotik::media
