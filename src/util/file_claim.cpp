// file_claim: flock(2) held on an open descriptor of the file. flock locks belong to the open
// file description, so two claims on one file conflict even inside one process, and a rename
// keeps the lock (it stays on the inode). Both ways of claiming re-check, once locked, that the
// path still names the locked inode: a sweep may have removed or replaced the file between the
// open and the lock.
#include "util/file_claim.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace spotik::util {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_errno(int code, const char* what)
{
    throw std::system_error(code, std::generic_category(), what);
}

// True when `path` currently names the file open on fd.
bool still_named(int fd, const fs::path& path)
{
    struct stat held {
    }, named{};
    if (::fstat(fd, &held) != 0 || held.st_nlink == 0) return false;
    if (::lstat(path.c_str(), &named) != 0) return false;
    return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

}  // namespace

file_claim file_claim::create(const fs::path& path)
{
    // A sweep elsewhere can open the new file before it is locked here, claim it and remove it.
    // The lock is then waited for (a sweep holds a file it removes for a moment only), and once
    // the name is free again a second attempt creates it anew.
    for (int attempt = 0;; ++attempt) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) throw_errno(errno, "create file");
        int rc = 0;
        while ((rc = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
        }
        const int code = rc != 0 ? errno : EBUSY;
        if (rc == 0 && still_named(fd, path)) return file_claim{fd, path, false};
        ::close(fd);
        if (attempt == 2) throw_errno(code, "claim new file");
    }
}

std::optional<file_claim> file_claim::try_existing(const fs::path& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || ::flock(fd, LOCK_EX | LOCK_NB) != 0 ||
        !still_named(fd, path)) {
        ::close(fd);
        return std::nullopt;
    }
    return file_claim{fd, path, true};
}

file_claim::file_claim(file_claim&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), keep_(other.keep_)
{
}

file_claim& file_claim::operator=(file_claim&& other) noexcept
{
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
        keep_ = other.keep_;
    }
    return *this;
}

file_claim::~file_claim()
{
    release();
}

void file_claim::release() noexcept
{
    if (fd_ < 0) return;
    if (!keep_) ::unlink(path_.c_str());
    ::close(fd_);  // drops the lock
    fd_ = -1;
}

void file_claim::sync() const
{
    if (::fsync(fd_) != 0) throw_errno(errno, "fsync");
}

void file_claim::rename_to(const fs::path& target)
{
    if (::rename(path_.c_str(), target.c_str()) != 0) throw_errno(errno, "rename");
    path_ = target;
    sync_directory(target.parent_path());
}

void file_claim::remove()
{
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) throw_errno(errno, "remove");
    keep_ = true;  // nothing left to remove at the end
}

void sync_directory(const fs::path& dir)
{
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno(errno, "open directory");
    const int rc = ::fsync(fd);
    const int code = errno;
    ::close(fd);
    if (rc != 0) throw_errno(code, "fsync directory");
}

}  // namespace spotik::util
