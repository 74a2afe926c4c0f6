// pread-based read-only file access for the media parsers; throws std::system_error on I/O errors.
#include "media/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <system_error>
#include <utility>

namespace spotik::media {
namespace {

[[noreturn]] void throw_errno(const char* what)
{
    throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

input_file::input_file(const std::string& path)
{
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw_errno("open");
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        const int saved = errno;
        ::close(fd_);
        throw std::system_error(saved, std::generic_category(), "fstat");
    }
    size_ = st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

input_file::~input_file()
{
    if (fd_ >= 0) ::close(fd_);
}

input_file::input_file(input_file&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(std::exchange(other.size_, 0))
{
}

input_file& input_file::operator=(input_file&& other) noexcept
{
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

std::size_t input_file::read_at(std::uint64_t offset, void* dst, std::size_t n) const
{
    constexpr auto k_max_offset = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
    auto* out = static_cast<char*>(dst);
    std::size_t done = 0;
    while (done < n) {
        if (offset > k_max_offset - done) break;  // beyond any possible end of file
        const ssize_t got = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
        if (got < 0) {
            if (errno == EINTR) continue;
            throw_errno("pread");
        }
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    return done;
}

std::string input_file::read_string(std::uint64_t offset, std::size_t n) const
{
    std::string out(n, '\0');
    out.resize(read_at(offset, out.data(), n));
    return out;
}

}  // namespace spotik::media
