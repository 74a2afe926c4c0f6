// The kernel's floor for the mix scenario of bench/ws/ws_bench.sh: --rooms rooms of --room-size
// loopback sockets, --rate events per second per room at the load generator's schedule (each
// room's events one period apart from a random phase), and every event one send(2) of a WebSocket
// frame of --bytes payload bytes to each socket of its room. No HTTP trigger, no database, no
// reconnects, no WebSocket state: only the deliveries every server has to make.
//
// The 2 x rooms x room-size sockets do not fit one process's open-file limit, so the receiving
// ends live in a child process: the parent (pinned to --sender-cpu, the servers' CPU in the
// benchmark) sends, the child (pinned to --receiver-cpu) reads with epoll. Latency runs from an
// event's due time to each socket's read of its frame, so an event that waits for the send loop of
// an earlier one counts that wait, as an event queued inside a server would. Printed: p50, p99,
// p99.9 and max after --warmup s, and the share of its core the sending thread used.
//
// Output: plain lines, or one JSON object with --json. Exit 0 when the run completed, 1 when the
// sockets could not be set up or the receiver failed, 2 for bad arguments.
#include "floor_support.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <thread>

namespace {
using namespace floor_support;

struct options {
    int rooms = 950;
    int room_size = 20;
    int bytes = 1000;
    double rate = 2;  // events per second per room
    double duration = 20;
    double warmup = 2;
    int sender_cpu = 0;
    int receiver_cpu = 1;
    bool json = false;
};

[[noreturn]] void usage(const std::string& why)
{
    refuse(
        "ws-floor-mix [--rooms 950] [--room-size 20] [--bytes 1000] [--rate 2] [--duration 20] [--warmup 2] "
        "[--sender-cpu 0] [--receiver-cpu 1] [--json]",
        why);
}

options parse_options(int argc, char** argv)
{
    options o;
    const std::string wrong = parse_flags(argc, argv,
                                          {{"--rooms", nullptr, &o.rooms},
                                           {"--room-size", nullptr, &o.room_size},
                                           {"--bytes", nullptr, &o.bytes},
                                           {"--rate", &o.rate},
                                           {"--duration", &o.duration},
                                           {"--warmup", &o.warmup},
                                           {"--sender-cpu", nullptr, &o.sender_cpu},
                                           {"--receiver-cpu", nullptr, &o.receiver_cpu}},
                                          o.json);
    if (!wrong.empty()) usage(wrong);
    if (o.rooms < 1 || o.room_size < 1 || o.bytes < 16 || o.bytes > 65535 || o.rate <= 0 || o.duration <= 0)
        usage("values out of range");
    return o;
}

// The events of the run, as offsets from its start in ns.
struct schedule {
    std::vector<std::vector<std::int64_t>> due;     // per room, in order
    std::vector<std::pair<std::int64_t, int>> all;  // (offset, room) by offset
    std::uint64_t deliveries = 0;                   // frames the receiver should read
};

schedule make_schedule(const options& o)
{
    schedule s;
    s.due.resize(std::size_t(o.rooms));
    const auto period = std::int64_t(1e9 / o.rate), end = std::int64_t(o.duration * 1e9);
    std::mt19937_64 rng(20261129);
    std::uniform_int_distribution<std::int64_t> phase(0, period - 1);
    for (int r = 0; r < o.rooms; ++r)
        for (std::int64_t t = phase(rng); t < end; t += period) {
            s.due[std::size_t(r)].push_back(t);
            s.all.emplace_back(t, r);
        }
    std::sort(s.all.begin(), s.all.end());
    s.deliveries = std::uint64_t(s.all.size()) * std::uint64_t(o.room_size);
    return s;
}

// Shared by the sender and the receiver process (an anonymous shared mapping made before fork).
struct shared_block {
    std::atomic<std::int64_t> t0{0};        // when the schedule starts (steady clock), set by the sender
    std::atomic<std::int64_t> sent_all{0};  // when the sender's last event went out
    std::atomic<int> receiver_ready{0};     // 1: every socket is connected and watched; -1: failed
    std::uint64_t delivered = 0, measured = 0, unexpected = 0;
    double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
    std::int64_t receiver_cpu_ns = 0;
    char error[160] = {};
};

// The child: connects every socket (telling the parent its index), then reads until every frame
// arrived or 10 s after the last send.
int receive(const options& o, const schedule& s, const sockaddr_in& addr, shared_block& sh)
{
    const int n = o.rooms * o.room_size;
    std::vector<int> rx;
    int ep = -1;
    try {
        pin_to(o.receiver_cpu);
        need_open_files(n + 16);
        ep = epoll_create1(0);
        for (int i = 0; i < n; ++i) {
            int c = socket(AF_INET, SOCK_STREAM, 0);
            if (c < 0 || connect(c, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
                throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
            const std::uint32_t index = std::uint32_t(i);
            if (write(c, &index, sizeof index) != ssize_t(sizeof index)) throw std::runtime_error("index not sent");
            fcntl(c, F_SETFL, O_NONBLOCK);
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = index;
            epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
            rx.push_back(c);
        }
    } catch (const std::exception& e) {
        std::snprintf(sh.error, sizeof sh.error, "receiver: %s", e.what());
        sh.receiver_ready.store(-1);
        return 1;
    }
    sh.receiver_ready.store(1);
    const auto frame_size = std::int64_t(text_frame(o.bytes).size());
    const auto warmup_ns = std::int64_t(o.warmup * 1e9);
    std::vector<std::int64_t> got(std::size_t(n), 0), latency;
    latency.reserve(s.deliveries);
    std::vector<epoll_event> ready(1024);
    std::vector<char> buf(1 << 16);
    const std::int64_t cpu0 = thread_cpu_ns();
    for (;;) {
        const std::int64_t done = sh.sent_all.load(std::memory_order_acquire);
        if (sh.delivered >= s.deliveries || (done != 0 && now_ns() > done + 10'000'000'000)) break;
        const int k = epoll_wait(ep, ready.data(), int(ready.size()), 20);
        for (int e = 0; e < k; ++e) {
            const auto i = ready[std::size_t(e)].data.u32;
            const ssize_t len = read(rx[i], buf.data(), buf.size());
            if (len <= 0) continue;
            const std::int64_t t = now_ns(), t0 = sh.t0.load(std::memory_order_acquire), before = got[i];
            got[i] += len;
            const auto& due = s.due[i / std::uint32_t(o.room_size)];
            for (auto j = std::size_t(before / frame_size); j < std::size_t(got[i] / frame_size); ++j) {
                if (j >= due.size()) {
                    ++sh.unexpected;
                    continue;
                }
                ++sh.delivered;
                if (due[j] < warmup_ns) continue;
                latency.push_back(t - (t0 + due[j]));
            }
        }
    }
    sh.receiver_cpu_ns = thread_cpu_ns() - cpu0;
    sh.measured = latency.size();
    sh.p50_ms = quantile_ms(latency, 0.5);
    sh.p99_ms = quantile_ms(latency, 0.99);
    sh.p999_ms = quantile_ms(latency, 0.999);
    sh.max_ms = quantile_ms(latency, 1);
    return 0;
}

// The parent's half of the set-up: accepts every connection and files it under the index its
// receiver sent.
std::vector<int> accept_all(int listener, int n, const shared_block& sh)
{
    need_open_files(n + 16);
    const timeval wait{30, 0};  // a receiver that died would leave accept() waiting forever
    setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    std::vector<int> tx(std::size_t(n), -1);
    const int one = 1;
    for (int k = 0; k < n; ++k) {
        int c = accept(listener, nullptr, nullptr);
        if (c < 0) throw std::runtime_error(sh.error[0] ? sh.error : "accept: " + std::string(std::strerror(errno)));
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
        std::uint32_t index = 0;
        if (recv(c, &index, sizeof index, MSG_WAITALL) != ssize_t(sizeof index) || index >= std::uint32_t(n) ||
            tx[index] != -1)
            throw std::runtime_error("a connection did not name its socket");
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as the servers do
        tx[index] = c;
    }
    return tx;
}

struct send_result {
    std::int64_t sends = 0, errors = 0, cpu_ns = 0, span_ns = 0, max_late_ns = 0;
};

send_result send_all(const options& o, const schedule& s, const std::vector<int>& tx, shared_block& sh)
{
    const std::vector<char> frame = text_frame(o.bytes);
    send_result r;
    const std::int64_t t0 = now_ns() + 100'000'000;
    sh.t0.store(t0, std::memory_order_release);
    const std::int64_t cpu0 = thread_cpu_ns();
    for (const auto& [offset, room] : s.all) {
        const std::int64_t due = t0 + offset;
        if (now_ns() < due) {
            const timespec at{time_t(due / 1'000'000'000), long(due % 1'000'000'000)};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr);  // the steady clock's
        }
        r.max_late_ns = std::max(r.max_late_ns, now_ns() - due);
        for (int k = 0; k < o.room_size; ++k) {
            const int fd = tx[std::size_t(room * o.room_size + k)];
            if (send(fd, frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL) != ssize_t(frame.size())) ++r.errors;
            ++r.sends;
        }
    }
    r.cpu_ns = thread_cpu_ns() - cpu0;
    r.span_ns = now_ns() - t0;
    sh.sent_all.store(now_ns(), std::memory_order_release);
    return r;
}

}  // namespace

int main(int argc, char** argv)
{
    const options o = parse_options(argc, argv);
    const schedule s = make_schedule(o);
    const int n = o.rooms * o.room_size;
    void* mem = mmap(nullptr, sizeof(shared_block), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        std::perror("ws-floor-mix: mmap");
        return 1;
    }
    auto& sh = *new (mem) shared_block;
    sockaddr_in addr{};
    int listener = -1;
    try {
        listener = listen_loopback(addr);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ws-floor-mix: %s\n", e.what());
        return 1;
    }
    const pid_t child = fork();
    if (child < 0) {
        std::perror("ws-floor-mix: fork");
        return 1;
    }
    if (child == 0) {
        close(listener);
        std::_Exit(receive(o, s, addr, sh));
    }
    std::vector<int> tx;
    send_result r;
    int status = 0;
    try {
        tx = accept_all(listener, n, sh);
        close(listener);
        while (sh.receiver_ready.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (sh.receiver_ready.load() < 0) throw std::runtime_error(sh.error);
        pin_to(o.sender_cpu);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        r = send_all(o, s, tx, sh);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ws-floor-mix: %s\n", e.what());
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        return 1;
    }
    waitpid(child, &status, 0);
    for (int fd : tx) close(fd);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "ws-floor-mix: the receiver failed%s%s\n", sh.error[0] ? ": " : "", sh.error);
        return 1;
    }
    const double span_s = double(r.span_ns) / 1e9;
    const double cpu_pct = span_s > 0 ? 100.0 * double(r.cpu_ns) / double(r.span_ns) : 0;
    const double us_per_send = r.sends ? double(r.cpu_ns) / 1e3 / double(r.sends) : 0;
    const double rx_us = double(sh.receiver_cpu_ns) / 1e3 / double(std::max<std::uint64_t>(1, sh.delivered));
    const std::uint64_t lost = s.deliveries > sh.delivered ? s.deliveries - sh.delivered : 0;
    const auto frame_bytes = text_frame(o.bytes).size();
    std::printf(o.json ? "{\"rooms\":%d,\"room_size\":%d,\"frame_bytes\":%zu,\"events\":%zu,\"events_per_s\":%.1f,"
                         "\"sends\":%lld,\"send_errors\":%lld,\"delivered\":%llu,\"lost\":%llu,\"measured\":%llu,"
                         "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"p999_ms\":%.2f,\"max_ms\":%.2f,\"sender_cpu_pct\":%.1f,"
                         "\"sender_us_per_msg\":%.2f,\"max_late_ms\":%.2f,\"receiver_us_per_msg\":%.2f}\n"
                       : "mix floor: %d rooms x %d sockets, %zu-byte frames; %zu events (%.1f/s), %lld sends (%lld "
                         "failed), %llu delivered, %llu lost, %llu measured; latency ms p50 %.2f p99 %.2f p99.9 %.2f "
                         "max %.2f; sender CPU %.1f %% of its core (%.2f us per send), latest start %.2f ms after "
                         "due; receiver CPU %.2f us per message\n",
                o.rooms, o.room_size, frame_bytes, s.all.size(), double(s.all.size()) / o.duration,
                static_cast<long long>(r.sends), static_cast<long long>(r.errors),
                static_cast<unsigned long long>(sh.delivered), static_cast<unsigned long long>(lost),
                static_cast<unsigned long long>(sh.measured), sh.p50_ms, sh.p99_ms, sh.p999_ms, sh.max_ms, cpu_pct,
                us_per_send, double(r.max_late_ns) / 1e6, rx_us);
    return 0;
}
