// The kernel's floor for the fan-out scenario of bench/ws/ws_bench.sh: how fast one core can hand
// one small message to each of N loopback TCP sockets when nothing else is done, no HTTP, no JSON,
// no WebSocket state, just one send(2) per socket and event.
//
// A sender thread (pinned to --sender-cpu, the servers' CPU in the benchmark) owns the accepted
// ends of --sockets connections; a receiver thread (pinned to --receiver-cpu, the load
// generator's) owns the connecting ends and reads them with epoll. Each event is one WebSocket
// text frame of --bytes payload bytes written to every socket in turn. The figures are those of
// the fan-out scenario:
//
//   fixed       --rate events/s for --duration s; latency from the start of an event's send loop
//               to each socket's read of its frame (p50, p99, max after --warmup s).
//   saturating  --sat-duration s, the next event as soon as the one --window places back reached
//               every socket; delivered messages per second.
//
// and, for both, the sender thread's CPU time per send (utime + stime, as the benchmark counts a
// server's). Whatever a server does on top of this, a server that sends each socket its own copy
// cannot go below these figures on the same machine.
//
// Output: plain lines, or one JSON object with --json. Exit 0 when the run completed, 1 when the
// sockets could not be set up, 2 for bad arguments.
#include "floor_support.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {
using namespace floor_support;

struct options {
    int sockets = 5000;
    int bytes = 1000;  // WebSocket payload per message
    double rate = 10;
    double duration = 20;
    double sat_duration = 10;
    int window = 8;
    double warmup = 2;
    int sender_cpu = 0;
    int receiver_cpu = 1;
    bool json = false;
};

[[noreturn]] void usage(const std::string& why)
{
    refuse(
        "ws-floor [--sockets 5000] [--bytes 1000] [--rate 10] [--duration 20] [--sat-duration 10] [--window 8] "
        "[--warmup 2] [--sender-cpu 0] [--receiver-cpu 1] [--json]",
        why);
}

options parse_options(int argc, char** argv)
{
    options o;
    const std::string wrong = parse_flags(argc, argv,
                                          {{"--sockets", nullptr, &o.sockets},
                                           {"--bytes", nullptr, &o.bytes},
                                           {"--rate", &o.rate},
                                           {"--duration", &o.duration},
                                           {"--sat-duration", &o.sat_duration},
                                           {"--window", nullptr, &o.window},
                                           {"--warmup", &o.warmup},
                                           {"--sender-cpu", nullptr, &o.sender_cpu},
                                           {"--receiver-cpu", nullptr, &o.receiver_cpu}},
                                          o.json);
    if (!wrong.empty()) usage(wrong);
    if (o.sockets < 1 || o.bytes < 16 || o.bytes > 65535 || o.rate <= 0 || o.window < 1) usage("values out of range");
    return o;
}

// Both ends of n loopback connections: first the accepted (sending) ends, then the connecting ones.
void connect_pairs(int n, std::vector<int>& senders, std::vector<int>& receivers)
{
    need_open_files(2 * std::int64_t(n) + 16);
    sockaddr_in addr{};
    int listener = listen_loopback(addr);
    const int one = 1;
    for (int i = 0; i < n; ++i) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
        int s = accept(listener, nullptr, nullptr);
        if (s < 0) throw std::runtime_error(std::string("accept: ") + std::strerror(errno));
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as both servers do
        fcntl(c, F_SETFL, O_NONBLOCK);
        senders.push_back(s);
        receivers.push_back(c);
    }
    close(listener);
}

struct phase {
    const char* name;
    std::vector<std::int64_t> start_ns;  // per event: when its send loop began
    std::int64_t measure_from = 0, first_recv = 0, last_recv = 0;
    std::int64_t sender_cpu_ns = 0, sends = 0, send_errors = 0;
    std::vector<std::int64_t> latency_ns;  // measured deliveries
    std::uint64_t delivered = 0, live = 0;
};

}  // namespace

int main(int argc, char** argv)
{
    const options o = parse_options(argc, argv);
    std::vector<int> tx, rx;
    try {
        connect_pairs(o.sockets, tx, rx);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ws-floor: %s\n", e.what());
        return 1;
    }
    const std::vector<char> frame = text_frame(o.bytes);
    const auto frame_size = std::int64_t(frame.size());

    // Events are numbered across both phases; the receiver maps a socket's k-th frame to event k.
    phase phases[2] = {{"fixed", {}, 0, 0, 0, 0, 0, 0, {}, 0, 0}, {"saturating", {}, 0, 0, 0, 0, 0, 0, {}, 0, 0}};
    const std::size_t max_events = std::size_t(o.rate * o.duration * 2 + o.sat_duration * 1e6 / o.sockets + 64);
    std::vector<std::atomic<std::int64_t>> started(max_events);  // start time of event k, 0 = not yet
    std::vector<std::atomic<int>> reached(max_events);           // sockets that got event k
    std::atomic<std::size_t> first_saturating{max_events};
    std::atomic<bool> stop{false};
    std::int64_t receiver_cpu_ns = 0;

    std::thread receiver([&] {
        pin_to(o.receiver_cpu);
        int ep = epoll_create1(0);
        for (int i = 0; i < o.sockets; ++i) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = std::uint32_t(i);
            epoll_ctl(ep, EPOLL_CTL_ADD, rx[std::size_t(i)], &ev);
        }
        std::vector<std::int64_t> got(std::size_t(o.sockets), 0);  // bytes read per socket
        std::vector<epoll_event> ready(1024);
        std::vector<char> buf(1 << 16);
        const std::int64_t cpu0 = thread_cpu_ns();
        while (!stop.load(std::memory_order_relaxed)) {
            int n = epoll_wait(ep, ready.data(), int(ready.size()), 20);
            for (int r = 0; r < n; ++r) {
                auto i = ready[std::size_t(r)].data.u32;
                ssize_t len = read(rx[i], buf.data(), buf.size());
                if (len <= 0) continue;
                const std::int64_t t = now_ns(), before = got[i];
                got[i] += len;
                for (auto k = std::size_t(before / frame_size); k < std::size_t(got[i] / frame_size); ++k) {
                    reached[k].fetch_add(1, std::memory_order_release);
                    phase& p = phases[k >= first_saturating.load(std::memory_order_acquire) ? 1 : 0];
                    const std::int64_t s = started[k].load(std::memory_order_acquire);
                    ++p.delivered;
                    if (s < p.measure_from) continue;
                    p.latency_ns.push_back(t - s);
                    ++p.live;
                    if (p.first_recv == 0) p.first_recv = t;
                    p.last_recv = t;
                }
            }
        }
        receiver_cpu_ns = thread_cpu_ns() - cpu0;
        close(ep);
    });

    pin_to(o.sender_cpu);
    std::size_t next_event = 0;
    auto send_event = [&](phase& p) {
        const std::int64_t cpu0 = thread_cpu_ns();
        started[next_event].store(now_ns(), std::memory_order_release);
        for (int s : tx) {
            if (send(s, frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL) != frame_size) ++p.send_errors;
            ++p.sends;
        }
        p.sender_cpu_ns += thread_cpu_ns() - cpu0;
        ++next_event;
    };
    auto all_reached = [&](std::size_t k) { return reached[k].load(std::memory_order_acquire) >= o.sockets; };
    auto wait_all = [&](std::size_t upto, double max_s) {
        const std::int64_t deadline = now_ns() + std::int64_t(max_s * 1e9);
        for (std::size_t k = 0; k < upto; ++k)
            while (!all_reached(k) && now_ns() < deadline) std::this_thread::sleep_for(std::chrono::microseconds(200));
    };

    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the receiver is waiting
    {
        phase& p = phases[0];
        const std::int64_t t0 = now_ns(), period = std::int64_t(1e9 / o.rate);
        p.measure_from = t0 + std::int64_t(o.warmup * 1e9);
        const auto events = std::size_t(o.rate * o.duration);
        for (std::size_t e = 0; e < events; ++e) {
            const std::int64_t due = t0 + std::int64_t(e) * period;
            while (now_ns() < due) std::this_thread::sleep_for(std::chrono::microseconds(100));
            send_event(p);
        }
        wait_all(next_event, 10);
    }
    if (o.sat_duration > 0) {
        phase& p = phases[1];
        first_saturating.store(next_event, std::memory_order_release);
        const std::int64_t t0 = now_ns(), end = t0 + std::int64_t(o.sat_duration * 1e9);
        p.measure_from = t0 + std::int64_t(o.warmup * 1e9);
        while (now_ns() < end && next_event + 1 < max_events) {
            const std::size_t first = first_saturating.load();
            if (next_event >= first + std::size_t(o.window)) {
                const std::int64_t deadline = now_ns() + 2'000'000'000;
                while (!all_reached(next_event - std::size_t(o.window)) && now_ns() < deadline)
                    std::this_thread::yield();
            }
            send_event(p);
        }
        wait_all(next_event, 10);
    }
    stop.store(true);
    receiver.join();

    std::string out = o.json ? "{\"sockets\":" + std::to_string(o.sockets) +
                                   ",\"frame_bytes\":" + std::to_string(frame_size) + ",\"phases\":["
                             : "";
    for (int i = 0; i < (o.sat_duration > 0 ? 2 : 1); ++i) {
        phase& p = phases[i];
        const double span_s = double(p.last_recv - p.first_recv) / 1e9;
        const double msgs_per_s = span_s > 0 ? double(p.live) / span_s : 0;
        const double us_per_send = p.sends ? double(p.sender_cpu_ns) / 1e3 / double(p.sends) : 0;
        const double p50 = quantile_ms(p.latency_ns, 0.5), p99 = quantile_ms(p.latency_ns, 0.99),
                     max = quantile_ms(p.latency_ns, 1);
        const std::uint64_t expected = std::uint64_t(p.sends);
        char line[512];
        std::snprintf(line, sizeof line,
                      o.json ? "%s{\"name\":\"%s\",\"sends\":%lld,\"send_errors\":%lld,\"delivered\":%llu,"
                               "\"lost\":%llu,\"msgs_per_s\":%.0f,\"sender_us_per_msg\":%.2f,\"p50_ms\":%.2f,"
                               "\"p99_ms\":%.2f,\"max_ms\":%.2f}"
                             : "%sphase %s: %lld sends (%lld failed), %llu delivered, %llu lost; %.0f msgs/s; "
                               "sender CPU %.2f us per send; latency ms p50 %.2f p99 %.2f max %.2f\n",
                      o.json && i > 0 ? "," : "", p.name, static_cast<long long>(p.sends),
                      static_cast<long long>(p.send_errors), static_cast<unsigned long long>(p.delivered),
                      static_cast<unsigned long long>(expected > p.delivered ? expected - p.delivered : 0), msgs_per_s,
                      us_per_send, p50, p99, max);
        out += line;
    }
    const double rx_us =
        double(receiver_cpu_ns) / 1e3 / double(std::max<std::uint64_t>(1, phases[0].delivered + phases[1].delivered));
    char tail[128];
    std::snprintf(tail, sizeof tail,
                  o.json ? "],\"receiver_us_per_msg\":%.2f}\n" : "receiver CPU %.2f us per message\n", rx_us);
    out += tail;
    std::fputs(out.c_str(), stdout);
    for (int s : tx) close(s);
    for (int s : rx) close(s);
    return 0;
}
