// /proc and statvfs readers.
#ifdef __SANITIZE_ADDRESS__
// From the sanitizer runtime's public interface (GCC 12 does not install its header).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#else
#include <malloc.h>
#endif
#include <cstddef>
#include "obs/system_info.hpp"

#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace spotik::obs {

double resident_memory_mb()
{
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    if (!(statm >> pages >> resident)) return 0;
    return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

std::int64_t heap_in_use_bytes()
{
#ifdef __SANITIZE_ADDRESS__
    return std::int64_t(__sanitizer_get_current_allocated_bytes());
#else
    struct mallinfo2 mi = mallinfo2();
    return std::int64_t(mi.uordblks + mi.hblkhd);
#endif
}

std::int64_t heap_free_bytes()
{
#ifdef __SANITIZE_ADDRESS__
    return 0;
#else
    struct mallinfo2 mi = mallinfo2();
    return std::int64_t(mi.fordblks);
#endif
}

std::int64_t release_free_memory()
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 0;
#else
    const double before = resident_memory_mb();
    malloc_trim(0);
    return std::int64_t((before - resident_memory_mb()) * 1024 * 1024);
#endif
}

double peak_memory_mb()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_maxrss) / 1024.0;
}

std::optional<disk_space> disk_space_of(const std::string& dir)
{
    struct statvfs s {};
    if (statvfs(dir.c_str(), &s) != 0) return std::nullopt;
    return disk_space{std::uint64_t(s.f_blocks) * s.f_frsize, std::uint64_t(s.f_bavail) * s.f_frsize};
}

std::string format_uptime(std::int64_t s)
{
    std::string out;
    auto part = [&](std::int64_t v, const char* unit) {
        if (v > 0 || !out.empty()) out += (out.empty() ? "" : " ") + std::to_string(v) + unit;
    };
    part(s / 86400, "d");
    part(s / 3600 % 24, "h");
    part(s / 60 % 60, "m");
    out += (out.empty() ? "" : " ") + std::to_string(s % 60) + "s";
    return out;
}

}  // namespace spotik::obs
