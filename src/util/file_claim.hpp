// A file that a running Spotik process is still working on: an upload's body in TEMP_STORAGE_PATH,
// an audio file or cover being staged, or a stored track file whose row is not committed yet.
// The claim is an exclusive flock(2) on the file, held for the claim's life. The kernel drops it
// when the process dies, SIGKILL included, so the start-up sweep (service/storage_sweep) of any
// replica sharing the storage volume can tell a file that is in use from one a killed process
// left behind: it only removes files it can claim itself.
// Every failure throws std::system_error with the errno.
#pragma once
#include <filesystem>
#include <optional>

namespace spotik::util {

class file_claim {
public:
    // Creates `path`, which must not exist (EEXIST otherwise), empty and claimed. The claim
    // removes it when it ends unless keep() was called.
    static file_claim create(const std::filesystem::path& path);
    // Claims an existing regular file if nobody else holds it; nullopt when it is in use, gone,
    // replaced meanwhile or not a regular file. The claim keeps the file unless remove() is called.
    static std::optional<file_claim> try_existing(const std::filesystem::path& path);

    file_claim(file_claim&& other) noexcept;
    file_claim& operator=(file_claim&& other) noexcept;
    file_claim(const file_claim&) = delete;
    file_claim& operator=(const file_claim&) = delete;
    // Removes the file unless kept (errors ignored), then drops the lock.
    ~file_claim();

    const std::filesystem::path& path() const { return path_; }
    // The open descriptor (read-write for a created file, read-only for an existing one).
    int descriptor() const { return fd_; }
    // Writes the file's data to the disk (fsync).
    void sync() const;
    // Renames the file (same filesystem) and fsyncs the target's directory, so the new name
    // survives a crash before anything refers to it. The claim follows the file.
    void rename_to(const std::filesystem::path& target);
    // The file stays when the claim ends.
    void keep() { keep_ = true; }
    // Removes the file now; the lock is held until the claim ends.
    void remove();

private:
    file_claim(int fd, std::filesystem::path path, bool keep) : fd_(fd), path_(std::move(path)), keep_(keep) {}
    void release() noexcept;

    int fd_ = -1;
    std::filesystem::path path_;
    bool keep_ = false;
};

// fsyncs a directory, making the names created, renamed or removed in it durable.
void sync_directory(const std::filesystem::path& dir);

}  // namespace spotik::util
