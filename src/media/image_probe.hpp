// Inspection of uploaded cover images (CONTRACT §5.6, §6.3): PNG, JPEG and WebP are recognised
// by their headers and must declare positive dimensions; a file must also hold the whole image
// (a cut-off upload is refused). Expected failures are returned as messages; only I/O failures
// throw std::system_error.
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

// Decodes the first k_image_probe_bytes of path with probe_image_bytes, then checks that the
// image is complete: a PNG's chunks reach IEND within the file, a JPEG's end marker follows its
// first scan, a WebP file holds the whole RIFF chunk its header declares. Bytes after the end
// are allowed (cameras append their own data).
std::variant<image_info, std::string> probe_image(const std::string& path);

}  // namespace spotik::media
