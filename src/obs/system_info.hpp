// Facts about the running process and its host for the health and monitoring endpoints:
// resident memory, disk space of a directory, load average, uptime formatting.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace spotik::obs {

double resident_memory_mb();
double peak_memory_mb();
// Bytes the allocator has handed out and not had back: the live heap, free of the pages
// the allocator keeps for reuse (AddressSanitizer's own count in sanitized builds).
std::int64_t heap_in_use_bytes();
// Bytes the allocator holds free for reuse (fragmentation shows here; 0 in sanitized builds).
std::int64_t heap_free_bytes();
// Hands the allocator's whole free pages back to the system (glibc malloc_trim); returns the
// bytes of resident memory this gave back. A no-op in sanitized builds.
std::int64_t release_free_memory();
struct disk_space {
    std::uint64_t total = 0;
    std::uint64_t free = 0;
};
std::optional<disk_space> disk_space_of(const std::string& dir);
// "1d 2h 3m 4s" (leading zero units left out).
std::string format_uptime(std::int64_t seconds);

}  // namespace spotik::obs
