// parse_multipart and boundary_from_content_type. The body is read through a 64 KiB search
// window and small bounded reads (delimiter suffixes, header blocks), never as a whole.
// Malformed bodies are returned as messages; I/O failures throw std::system_error.
#include "media/multipart.hpp"

#include "media/ascii.hpp"
#include "media/file_search.hpp"
#include "media/header_params.hpp"
#include "media/input_file.hpp"

#include <algorithm>

namespace spotik::media {
namespace {

constexpr std::size_t k_max_boundary = 70;
constexpr std::size_t k_max_padding = 256;           // transport padding after a delimiter
constexpr std::size_t k_header_bytes_cap = 1 << 20;  // whatever the caller's limit says

bool is_bchar(char c) noexcept
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

bool valid_boundary(std::string_view b) noexcept
{
    return !b.empty() && b.size() <= k_max_boundary && b.back() != ' ' && std::all_of(b.begin(), b.end(), is_bchar);
}

struct part_headers {
    std::string name;
    std::optional<std::string> filename;
    std::string content_type;
};

// Header lines of one part (obs-fold continuation lines joined); the first of each header wins.
std::variant<part_headers, std::string> parse_part_headers(std::string_view block)
{
    part_headers out;
    bool have_disposition = false, have_type = false;
    std::vector<std::string> lines;
    for (std::size_t pos = 0; pos <= block.size();) {
        std::size_t end = block.find("\r\n", pos);
        if (end == std::string_view::npos) end = block.size();
        const auto line = block.substr(pos, end - pos);
        if (!line.empty() && is_ows(line.front()) && !lines.empty())
            lines.back().append(" ").append(trim_ows(line));
        else if (!line.empty())
            lines.emplace_back(line);
        pos = end + 2;
    }
    for (const auto& line : lines) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const auto name = trim_ows(std::string_view(line).substr(0, colon));
        const auto value = trim_ows(std::string_view(line).substr(colon + 1));
        if (iequals(name, "content-type") && !have_type) {
            out.content_type = std::string(value);
            have_type = true;
        } else if (iequals(name, "content-disposition") && !have_disposition) {
            have_disposition = true;
            const auto parsed = parse_header_value(value);
            if (!iequals(parsed.type, "form-data")) return std::string("part is not form-data");
            if (const auto* n = parsed.find("name")) out.name = n->value;
            if (const auto* f = parsed.find("filename")) out.filename = f->value;
            if (const auto* ext = parsed.find("filename*"))
                if (auto decoded = decode_ext_value(ext->value)) out.filename = std::move(*decoded);
        }
    }
    if (out.name.empty()) return std::string("part without a name");
    return out;
}

// Where a delimiter leads: the next part's headers, or the end (closing delimiter).
struct delimiter {
    std::uint64_t at = 0;         // offset of the delimiter (its leading CRLF, if any)
    bool closing = false;         // "--boundary--"
    std::uint64_t next_part = 0;  // headers of the next part (if not closing)
};

class delimiter_finder {
public:
    delimiter_finder(const input_file& file, std::string_view boundary)
        : file_(file), pattern_("\r\n--" + std::string(boundary)), search_(file, pattern_)
    {
    }
    delimiter_finder(const delimiter_finder&) = delete;
    delimiter_finder& operator=(const delimiter_finder&) = delete;

    // The first boundary: "--boundary" at offset 0 or after a CRLF (ending a preamble).
    std::optional<delimiter> first()
    {
        if (auto d = check(0, pattern_.size() - 2, 0)) return d;
        return next(0);
    }

    // The next real delimiter (followed by "--" or padding and CRLF) at or after from.
    std::optional<delimiter> next(std::uint64_t from)
    {
        while (auto match = search_.find(from)) {
            if (auto d = check(*match, pattern_.size(), *match)) return d;
            from = *match + 1;
        }
        return std::nullopt;
    }

private:
    // Checks that dash_boundary_len bytes at start are "--boundary", then what follows.
    std::optional<delimiter> check(std::uint64_t start, std::size_t length, std::uint64_t at)
    {
        const std::size_t wanted = length + k_max_padding + 2;
        auto text = search_.cached(start, wanted);
        if (!text) {
            scratch_ = file_.read_string(start, wanted);
            text = scratch_;
        }
        if (text->substr(0, length) != std::string_view(pattern_).substr(pattern_.size() - length)) return std::nullopt;
        const auto rest = text->substr(length);
        if (rest.starts_with("--")) return delimiter{at, true, 0};
        std::size_t pad = 0;
        while (pad < rest.size() && is_ows(rest[pad])) ++pad;
        if (rest.substr(pad, 2) != "\r\n") return std::nullopt;
        return delimiter{at, false, start + length + pad + 2};
    }

    const input_file& file_;
    std::string pattern_;
    file_search search_;
    std::string scratch_;
};

}  // namespace

std::optional<std::string> boundary_from_content_type(std::string_view content_type)
{
    const auto parsed = parse_header_value(content_type);
    if (!iequals(parsed.type, "multipart/form-data")) return std::nullopt;
    const auto* b = parsed.find("boundary");
    if (b == nullptr || !valid_boundary(b->value)) return std::nullopt;
    return b->value;
}

std::variant<std::vector<multipart_part>, std::string> parse_multipart(const std::string& body_path,
                                                                       std::string_view boundary,
                                                                       const multipart_limits& limits)
{
    if (!valid_boundary(boundary)) return std::string("invalid boundary");
    const input_file file(body_path);
    delimiter_finder finder(file, boundary);
    auto d = finder.first();
    if (!d) return std::string("missing first boundary");
    const std::size_t header_cap = std::min(limits.max_header_bytes, k_header_bytes_cap);
    std::vector<multipart_part> parts;
    while (!d->closing) {
        if (parts.size() == limits.max_parts) return std::string("too many parts");
        // Read from the CRLF that ends the boundary line, so an empty header block is "\r\n\r\n".
        const std::uint64_t from = d->next_part - 2;
        const auto block = file.read_string(from, header_cap + 2);
        const auto end = block.find("\r\n\r\n");
        if (end == std::string::npos)
            return std::string(block.size() < header_cap + 2 ? "missing closing boundary" : "part headers too large");
        auto headers = parse_part_headers(std::string_view(block).substr(2, end > 2 ? end - 2 : 0));
        if (auto* err = std::get_if<std::string>(&headers)) return std::move(*err);
        const std::uint64_t content = from + end + 4;
        auto next = finder.next(content);
        if (!next) return std::string("missing closing boundary");
        auto& h = std::get<part_headers>(headers);
        parts.push_back(
            {std::move(h.name), std::move(h.filename), std::move(h.content_type), content, next->at - content});
        d = next;
    }
    return parts;
}

}  // namespace spotik::media
