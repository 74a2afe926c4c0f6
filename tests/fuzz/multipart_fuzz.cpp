// Fuzz target: multipart/form-data uploads (media/multipart, media/header_params, part_copy).
// Input: the Content-Type value on the first line, then the request body as sent. Invariants:
// every part lies inside the body and is followed by the CRLF--boundary delimiter that ends
// it, the part limit holds, and read_part_text / copy_part give back exactly those bytes.
#include "media/multipart.hpp"
#include "support.hpp"

#include <filesystem>

using namespace spotik;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input = fuzz::as_text(data, size);
    const auto eol = input.find('\n');
    if (eol == std::string_view::npos) return 0;
    std::string_view content_type = input.substr(0, eol);
    if (content_type.ends_with('\r')) content_type.remove_suffix(1);
    const std::string_view body = input.substr(eol + 1);

    const auto boundary = media::boundary_from_content_type(content_type);
    if (!boundary) return 0;
    fuzz::check(!boundary->empty() && boundary->size() <= 70, "boundary length", *boundary);

    const std::string body_path = fuzz::scratch_dir() + "/body";
    fuzz::write_file(body_path, body);
    // Small limits, so that inputs reach them.
    const media::multipart_limits limits{.max_parts = 4, .max_header_bytes = 256};
    auto parsed = media::parse_multipart(body_path, *boundary, limits);
    auto* parts = std::get_if<std::vector<media::multipart_part>>(&parsed);
    if (parts == nullptr) {
        fuzz::check(!std::get<std::string>(parsed).empty(), "an error without a message");
        return 0;
    }
    fuzz::check(parts->size() <= limits.max_parts, "more parts than the limit");
    const std::string delimiter = "\r\n--" + *boundary;
    bool copied = false;
    for (const auto& part : *parts) {
        fuzz::check(!part.name.empty(), "a part without a name");
        fuzz::check(part.offset <= body.size() && part.length <= body.size() - part.offset, "a part outside the body");
        const std::string_view content = body.substr(part.offset, part.length);
        fuzz::check(body.substr(part.offset + part.length).starts_with(delimiter),
                    "a part not followed by its delimiter", content);
        fuzz::check(media::read_part_text(body_path, part, 64) == content.substr(0, 64), "read_part_text differs");
        if (!copied && part.filename) {
            // One copy per input: copy_part syncs the file to disk.
            const std::string dest = fuzz::scratch_dir() + "/part";
            media::copy_part(body_path, part, dest);
            fuzz::check(fuzz::read_whole_file(dest) == content, "copy_part differs");
            std::filesystem::remove(dest);
            copied = true;
        }
    }
    return 0;
}
