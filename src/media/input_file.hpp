// A read-only file opened once and read at explicit offsets (pread), so parsers of untrusted
// uploads never need to hold a whole file in memory. Opening and reading throw
// std::system_error on real I/O failures; reading past the end is not an error (short read).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace spotik::media {

class input_file {
public:
    // Opens path read-only (O_CLOEXEC) and records its size. Throws std::system_error.
    explicit input_file(const std::string& path);
    ~input_file();
    input_file(input_file&& other) noexcept;
    input_file& operator=(input_file&& other) noexcept;
    input_file(const input_file&) = delete;
    input_file& operator=(const input_file&) = delete;

    // Size in bytes at the time the file was opened.
    std::uint64_t size() const noexcept { return size_; }
    int fd() const noexcept { return fd_; }

    // Reads up to n bytes at offset into dst, retrying short reads and EINTR; returns the number
    // of bytes read, fewer than n only at end of file. Throws std::system_error on failure.
    std::size_t read_at(std::uint64_t offset, void* dst, std::size_t n) const;

    // As read_at, into a string of at most n bytes.
    std::string read_string(std::uint64_t offset, std::size_t n) const;

private:
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

}  // namespace spotik::media
