// What the two kernel-floor programs (floor.cpp for the fan-out, floor_mix.cpp for the mix) share:
// clocks, CPU pinning, the open-file limit, a loopback listener and the frame they send.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace floor_support {

inline std::int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

inline std::int64_t thread_cpu_ns()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return std::int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

inline void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
        throw std::runtime_error("cannot pin a thread to CPU " + std::to_string(cpu));
}

// Raises the soft open-file limit to the hard one; throws when `needed` files still do not fit.
inline void need_open_files(std::int64_t needed)
{
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < rlim_t(needed))
        throw std::runtime_error(std::to_string(needed) + " open files are needed; the limit is " +
                                 std::to_string(lim.rlim_cur));
}

// A listening socket on 127.0.0.1 with a kernel-chosen port, written to addr.
inline int listen_loopback(sockaddr_in& addr)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(listener, 1024) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw std::runtime_error(std::string("cannot listen on 127.0.0.1: ") + std::strerror(errno));
    return listener;
}

// One unmasked server-to-client text frame of the given payload size (RFC 6455 §5.2).
inline std::vector<char> text_frame(int payload)
{
    const std::size_t header = payload < 126 ? 2 : 4;
    std::vector<char> f(header + std::size_t(payload), 'x');
    f[0] = char(0x81);
    if (header == 2) {
        f[1] = char(payload);
    } else {
        f[1] = char(126);
        f[2] = char(payload >> 8);
        f[3] = char(payload & 0xff);
    }
    return f;
}

// A numeric command-line option: its name and where its value goes (one of the two).
struct flag {
    const char* name;
    double* real = nullptr;
    int* whole = nullptr;
};

// Reads `--name value` pairs into flags and `--json` into json; returns what was wrong, or "".
inline std::string parse_flags(int argc, char** argv, std::initializer_list<flag> flags, bool& json)
{
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json") {
            json = true;
            continue;
        }
        const auto* f = std::find_if(flags.begin(), flags.end(), [&](const flag& x) { return a == x.name; });
        if (f == flags.end()) return "unknown option " + a;
        if (i + 1 >= argc) return a + " needs a value";
        char* end = nullptr;
        const double v = std::strtod(argv[++i], &end);
        if (*end != '\0' || v < 0) return "bad value for " + a;
        if (f->real) *f->real = v;
        if (f->whole) *f->whole = int(v);
    }
    return "";
}

// Prints why the command line was refused and the synopsis ("program [options]"), exits 2.
[[noreturn]] inline void refuse(const char* synopsis, const std::string& why)
{
    const std::string text = synopsis;
    std::fprintf(stderr, "%s: %s\nusage: %s\n", text.substr(0, text.find(' ')).c_str(), why.c_str(), synopsis);
    std::exit(2);
}

// The q-quantile of v in milliseconds (v is reordered); 0 for no values.
inline double quantile_ms(std::vector<std::int64_t>& v, double q)
{
    if (v.empty()) return 0.0;
    auto i = std::size_t(q * double(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(i), v.end());
    return double(v[i]) / 1e6;
}

}  // namespace floor_support
