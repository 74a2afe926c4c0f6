// Searching a file for a short byte string with a fixed 64 KiB window, so matches that span
// window edges are found and memory does not depend on the file size. Throws std::system_error
// on I/O errors only.
#pragma once
#include "media/input_file.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace spotik::media {

class file_search {
public:
    static constexpr std::size_t k_window_bytes = std::size_t{64} * 1024;

    // needle must be non-empty and shorter than the window; both must outlive the search.
    file_search(const input_file& file, std::string_view needle);
    file_search(const file_search&) = delete;
    file_search& operator=(const file_search&) = delete;

    // Offset of the first occurrence at or after from. Searches that continue inside the current
    // window (the usual case after a false match) do not read the file again.
    std::optional<std::uint64_t> find(std::uint64_t from);

    // Up to n bytes at pos from the current window, if it holds them all (or all up to the end of
    // the file); nullopt otherwise. Valid until the next find().
    std::optional<std::string_view> cached(std::uint64_t pos, std::size_t n) const noexcept;

private:
    void load(std::uint64_t from);

    const input_file& file_;
    std::string_view needle_;
    std::boyer_moore_horspool_searcher<std::string_view::const_iterator> searcher_;
    std::string window_;
    std::uint64_t window_pos_ = 0;
    std::size_t window_len_ = 0;
};

}  // namespace spotik::media
