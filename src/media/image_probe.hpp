// Inspection of uploaded cover images (CONTRACT §5.6, §6.3): PNG, JPEG and WebP are recognised
// by their headers and must declare positive dimensions. At most the first 64 KiB are read.
// Expected failures are returned as messages; only I/O failures throw std::system_error.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace spotik::media {

enum class image_format { jpeg, png, webp };

struct image_info {
    image_format format = image_format::jpeg;
    int width = 0;
    int height = 0;

    // "jpg" | "png" | "webp": the extension a stored cover gets.
    std::string_view extension() const noexcept;
    // "image/jpeg" | "image/png" | "image/webp".
    std::string_view mime() const noexcept;
};

inline constexpr std::size_t k_image_probe_bytes = std::size_t{64} * 1024;

// "jpg", "jpeg", "png", "webp" in any case, without the dot.
std::optional<image_format> image_format_from_extension(std::string_view ext) noexcept;

// Decodes the header of an image held in memory (the first bytes of a file).
std::variant<image_info, std::string> probe_image_bytes(std::string_view bytes);

// Reads at most k_image_probe_bytes of path and decodes them with probe_image_bytes.
std::variant<image_info, std::string> probe_image(const std::string& path);

}  // namespace spotik::media
