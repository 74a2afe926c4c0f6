// Fuzz target: inspection of uploaded cover images (media/image_probe). Input: the file's
// first bytes; seeds include the fixture covers. Invariants: an accepted image has positive
// dimensions and a known extension and MIME type; the file entry point accepts no header the
// in-memory one refuses.
#include "media/image_probe.hpp"
#include "support.hpp"

using namespace spotik;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view bytes = fuzz::as_text(data, size);
    const auto probed = media::probe_image_bytes(bytes);
    const auto* info = std::get_if<media::image_info>(&probed);
    if (info == nullptr) {
        fuzz::check(!std::get<std::string>(probed).empty(), "a refusal without a message");
    } else {
        fuzz::check(info->width > 0 && info->height > 0, "accepted without positive dimensions");
        fuzz::check(!info->extension().empty() && info->mime().starts_with("image/"), "no extension or MIME type");
        fuzz::check(media::image_format_from_extension(info->extension()) == info->format,
                    "the extension does not map back to the format");
    }
    // The file entry point decodes the same header and also wants the whole image: it accepts
    // nothing the in-memory probe refuses, and reads the same dimensions.
    if (size <= media::k_image_probe_bytes && size % 8 == 0) {
        const std::string path = fuzz::scratch_dir() + "/cover";
        fuzz::write_file(path, bytes);
        const auto from_file = media::probe_image(path);
        if (const auto* whole = std::get_if<media::image_info>(&from_file))
            fuzz::check(info != nullptr && whole->format == info->format && whole->width == info->width &&
                            whole->height == info->height,
                        "the file probe accepted a header the memory probe refused, or read it otherwise");
    }
    return 0;
}
