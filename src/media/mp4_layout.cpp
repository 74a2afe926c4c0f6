// Walking MP4 atoms with one small read per atom, descending into the same container atoms as
// TagLib and with its rule for "meta" (a full atom unless a known child follows at once).
// Throws std::system_error on I/O errors only.
#include "media/mp4_layout.hpp"

#include "media/byte_order.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace spotik::media {
namespace {

constexpr std::array<std::string_view, 11> k_containers = {"moov", "udta", "mdia", "meta", "ilst", "stbl",
                                                           "minf", "moof", "traf", "trak", "stsd"};

constexpr std::array<std::string_view, 5> k_meta_children = {"hdlr", "ilst", "mhdr", "ctry", "lang"};

template <std::size_t N>
bool is_one_of(std::string_view name, const std::array<std::string_view, N>& names) noexcept
{
    for (auto n : names)
        if (name == n) return true;
    return false;
}

class atom_walker {
public:
    explicit atom_walker(const input_file& file) : file_(file), cache_(k_cache_bytes, '\0') {}

    // Walks the atoms from begin while below end; false (with error_ set) when a limit is hit.
    bool walk(std::uint64_t begin, std::uint64_t end, int depth);

    std::string error_;

private:
    bool fail(const char* why)
    {
        error_ = why;
        return false;
    }
    bool descend(std::string_view name, std::uint64_t children, std::uint64_t end, int depth);
    std::size_t read(std::uint64_t pos, unsigned char* out, std::size_t n);

    // Sibling atoms are usually adjacent: one block read serves many small headers.
    static constexpr std::size_t k_cache_bytes = std::size_t{16} * 1024;
    const input_file& file_;
    std::string cache_;
    std::uint64_t cache_pos_ = 0;
    std::size_t cache_len_ = 0;
    std::size_t atoms_ = 0;
};

std::size_t atom_walker::read(std::uint64_t pos, unsigned char* out, std::size_t n)
{
    if (pos < cache_pos_ || pos - cache_pos_ + n > cache_len_) {
        cache_pos_ = pos;
        cache_len_ = file_.read_at(pos, cache_.data(), cache_.size());
    }
    const auto skip = static_cast<std::size_t>(pos - cache_pos_);
    const std::size_t got = skip < cache_len_ ? std::min(n, cache_len_ - skip) : 0;
    std::memcpy(out, cache_.data() + skip, got);
    return got;
}

bool atom_walker::walk(std::uint64_t begin, std::uint64_t end, int depth)
{
    const std::uint64_t size = file_.size();
    std::uint64_t pos = begin;
    while (depth == 0 ? pos + 8 <= end : pos < end) {
        if (++atoms_ > k_max_mp4_atoms) return fail("too many MP4 atoms");
        unsigned char hdr[16] = {};
        const auto got = read(pos, hdr, sizeof hdr);
        if (got < 8) return true;  // TagLib stops at a short header
        std::uint64_t length = load_be32(hdr);
        std::uint64_t header_bytes = 8;
        if (length == 0) {
            length = size - pos;
        } else if (length == 1) {
            if (got < 16) return true;
            length = load_be64(hdr + 8);
            header_bytes = 16;
        }
        if (length < header_bytes || length > size - pos) return true;  // TagLib stops here too
        const std::string_view name(reinterpret_cast<const char*>(hdr + 4), 4);
        if ((depth > 0 || name == "moov") && length > k_max_mp4_metadata_bytes) return fail("MP4 atom too large");
        if (is_one_of(name, k_containers) && !descend(name, pos + header_bytes, pos + length, depth + 1)) return false;
        pos += length;
    }
    return true;
}

bool atom_walker::descend(std::string_view name, std::uint64_t children, std::uint64_t end, int depth)
{
    if (depth > k_max_mp4_depth) return fail("MP4 atoms nested too deeply");
    if (name == "meta") {
        unsigned char next[8] = {};
        read(children, next, sizeof next);
        const bool plain = is_one_of(std::string_view(reinterpret_cast<const char*>(next + 4), 4), k_meta_children);
        return walk(plain ? children : children + 4, end, depth);
    }
    if (name == "stsd") return walk(children + 8, end, depth);
    return walk(children, end, depth);
}

}  // namespace

std::optional<std::string> check_mp4_layout(const input_file& file)
{
    atom_walker walker(file);
    if (!walker.walk(0, file.size(), 0)) return walker.error_;
    return std::nullopt;
}

}  // namespace spotik::media
