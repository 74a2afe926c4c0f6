// Windowed substring search over a file; throws std::system_error on I/O errors only.
#include "media/file_search.hpp"

#include <algorithm>

namespace spotik::media {

file_search::file_search(const input_file& file, std::string_view needle)
    : file_(file), needle_(needle), searcher_(needle.begin(), needle.end()), window_(k_window_bytes, '\0')
{
}

void file_search::load(std::uint64_t from)
{
    window_pos_ = from;
    window_len_ = file_.read_at(from, window_.data(), window_.size());
}

std::optional<std::string_view> file_search::cached(std::uint64_t pos, std::size_t n) const noexcept
{
    if (pos < window_pos_ || pos - window_pos_ >= window_len_) return std::nullopt;
    const auto skip = static_cast<std::size_t>(pos - window_pos_);
    const std::size_t available = window_len_ - skip;
    if (available < n && window_len_ == window_.size()) return std::nullopt;  // more may follow
    return std::string_view(window_.data() + skip, std::min(n, available));
}

std::optional<std::uint64_t> file_search::find(std::uint64_t from)
{
    if (needle_.empty() || needle_.size() >= k_window_bytes) return std::nullopt;
    for (;;) {
        const bool inside = from >= window_pos_ && from - window_pos_ < window_len_;
        const bool full = window_len_ == window_.size();
        if (!inside || (full && window_len_ - (from - window_pos_) < needle_.size())) load(from);
        const auto skip = static_cast<std::size_t>(from - window_pos_);
        if (window_len_ - skip < needle_.size()) return std::nullopt;  // end of file
        const std::string_view view(window_.data() + skip, window_len_ - skip);
        const auto it = std::search(view.begin(), view.end(), searcher_);
        if (it != view.end()) return from + static_cast<std::uint64_t>(it - view.begin());
        if (window_len_ < window_.size()) return std::nullopt;
        // Continue so that the last needle.size() - 1 bytes are searched again with what follows.
        from = window_pos_ + window_len_ - (needle_.size() - 1);
    }
}

}  // namespace spotik::media
