// Reading multipart part contents out of the saved body: read_part_text for small fields and
// copy_part (copy_file_range, falling back to pread/write) into a new, fsynced file. Throws
// std::system_error on any I/O failure, after removing a partial destination.
#include "media/input_file.hpp"
#include "media/multipart.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>

namespace spotik::media {
namespace {

constexpr std::size_t k_copy_chunk = std::size_t{64} * 1024;
constexpr std::size_t k_max_kernel_copy = 1 << 30;

[[noreturn]] void throw_errno(int code, const char* what)
{
    throw std::system_error(code, std::generic_category(), what);
}

void write_all(int fd, const char* data, std::size_t n)
{
    while (n > 0) {
        const ssize_t put = ::write(fd, data, n);
        if (put < 0) {
            if (errno == EINTR) continue;
            throw_errno(errno, "write");
        }
        data += put;
        n -= static_cast<std::size_t>(put);
    }
}

// Copies remaining bytes from in (at offset) to out's current position.
void copy_with_buffer(const input_file& in, std::uint64_t offset, std::uint64_t remaining, int out)
{
    std::string buffer(static_cast<std::size_t>(std::min<std::uint64_t>(remaining, k_copy_chunk)), '\0');
    while (remaining > 0) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffer.size()));
        const std::size_t got = in.read_at(offset, buffer.data(), want);
        if (got == 0) throw_errno(EIO, "body file shorter than the part");
        write_all(out, buffer.data(), got);
        offset += got;
        remaining -= got;
    }
}

// Copies in the kernel where the filesystem allows it, otherwise through a buffer.
void copy_range(const input_file& in, std::uint64_t offset, std::uint64_t length, int out)
{
    auto off_in = static_cast<off_t>(offset);
    std::uint64_t remaining = length;
    while (remaining > 0) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, k_max_kernel_copy));
        const ssize_t copied = ::copy_file_range(in.fd(), &off_in, out, nullptr, want, 0);
        if (copied > 0) {
            remaining -= static_cast<std::uint64_t>(copied);
            continue;
        }
        if (copied == 0) throw_errno(EIO, "body file shorter than the part");
        if (errno == EINTR) continue;
        if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP || errno == EBADF) {
            copy_with_buffer(in, static_cast<std::uint64_t>(off_in), remaining, out);
            return;
        }
        throw_errno(errno, "copy_file_range");
    }
}

}  // namespace

std::string read_part_text(const std::string& body_path, const multipart_part& part, std::size_t max_bytes)
{
    const input_file in(body_path);
    return in.read_string(part.offset, static_cast<std::size_t>(std::min<std::uint64_t>(part.length, max_bytes)));
}

void copy_part(const std::string& body_path, const multipart_part& part, const std::string& dest_path)
{
    const input_file in(body_path);
    if (part.offset > in.size() || part.length > in.size() - part.offset)
        throw_errno(EINVAL, "part lies outside the body file");
    const int out = ::open(dest_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (out < 0) throw_errno(errno, "open destination");
    try {
        copy_range(in, part.offset, part.length, out);
        if (::fsync(out) != 0) throw_errno(errno, "fsync");
    } catch (...) {
        ::close(out);
        ::unlink(dest_path.c_str());
        throw;
    }
    if (::close(out) != 0) {
        const int code = errno;
        ::unlink(dest_path.c_str());
        throw_errno(code, "close");
    }
}

}  // namespace spotik::media
