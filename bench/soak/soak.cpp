// Soak driver (bench/soak/soak.sh starts the server and runs this): mixed HTTP and WebSocket
// load against one running Spotik for a set time, the server's memory sampled every 10 s, and a
// report of what was served, what failed and how memory moved after the warm-up.
//   soak --port P --pid PID --seconds S --warmup W --fixtures DIR [--data-dir DIR]
//        [--http-workers N] [--ws-clients N] [--think-ms MS] [--room-lifetime S]
// Exit code: 0 when the run completed (whatever the figures), 1 when the server process
// disappeared or the arguments are wrong.
#include "soak.hpp"

#include "support/multipart.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace soak {

void tally::add(std::map<std::string, std::uint64_t>& m, const std::string& key)
{
    std::lock_guard lock(mutex_);
    ++m[key];
}

void tally::error(const std::string& what, const std::string& detail)
{
    std::lock_guard lock(mutex_);
    if (++errors_[what] <= 3 && samples_.size() < 40) samples_.push_back(what + (detail.empty() ? "" : ": " + detail));
}

tally::snapshot tally::take() const
{
    std::lock_guard lock(mutex_);
    return {served_, refused_, errors_, ws_events_, ws_, samples_};
}

void room_board::add(const std::string& id)
{
    std::lock_guard lock(mutex_);
    rooms_.push_back(id);
}

void room_board::remove(const std::string& id)
{
    std::lock_guard lock(mutex_);
    std::erase(rooms_, id);
}

std::optional<std::string> room_board::pick(std::mt19937_64& rng) const
{
    std::lock_guard lock(mutex_);
    if (rooms_.empty()) return std::nullopt;
    return rooms_[std::uniform_int_distribution<std::size_t>(0, rooms_.size() - 1)(rng)];
}

std::optional<spotik::test::http_response> call(tally& counts, const std::string& kind,
                                                const std::function<spotik::test::http_response()>& send,
                                                std::initializer_list<int> ok, std::initializer_list<int> tolerated)
{
    spotik::test::http_response r;
    try {
        r = send();
    } catch (const std::exception& e) {
        counts.error("transport error: " + kind, e.what());
        return std::nullopt;
    }
    auto in = [&](std::initializer_list<int> set) { return std::find(set.begin(), set.end(), r.status) != set.end(); };
    if (in(ok)) {
        counts.served(kind);
        return r;
    }
    auto label = kind + " " + std::to_string(r.status);
    if (in(tolerated)) {
        counts.refused(label);
    } else {
        auto cls = r.status >= 500 ? "HTTP 5xx: " : r.status >= 400 ? "HTTP 4xx: " : "HTTP other: ";
        counts.error(cls + label, r.body.substr(0, 200));
    }
    return std::nullopt;
}

void nap(const shared& ctx, int ms)
{
    auto until = clock::now() + std::chrono::milliseconds(ms);
    while (running(ctx) && clock::now() < until)
        std::this_thread::sleep_for(std::min<clock::duration>(until - clock::now(), std::chrono::milliseconds(100)));
}

}  // namespace soak

namespace {

using namespace soak;

struct sample {
    double t = 0;  // seconds since the start of the load
    long rss_kb = 0, fds = 0, threads = 0;
    std::uintmax_t data_bytes = 0;
    // From /api/monitoring/performance "memory" (-1 when it did not answer): what the RSS is made of.
    double heap_in_use_mb = -1, heap_free_mb = -1, store_mb = -1;
};

// The server's own account of its memory: the live heap, what the allocator keeps free, and
// what the store's library holds (SQLite's page caches).
void read_memory_figures(const settings& cfg, sample& s)
{
    try {
        spotik::test::http_client http(cfg.host, cfg.port);
        auto r = http.get("/api/monitoring/performance");
        if (r.status != 200) return;
        const auto body = r.json();
        const auto& m = body.at("memory").as_object();
        auto mib = [&](const char* key) { return double(m.at(key).to_number<std::int64_t>()) / 1048576.0; };
        s.heap_in_use_mb = mib("heap_in_use_bytes");
        s.heap_free_mb = mib("heap_free_bytes");
        s.store_mb = mib("store_bytes");
    } catch (const std::exception&) {
    }
}

long status_field(int pid, const std::string& name)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(name + ":")) return std::stol(line.substr(name.size() + 1));
    return -1;
}

sample take_sample(int pid, double t, const std::string& data_dir)
{
    namespace fs = std::filesystem;
    sample s{t, status_field(pid, "VmRSS"), 0, status_field(pid, "Threads"), 0};
    std::error_code ec;
    for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec))
        ++s.fds;
    if (!data_dir.empty())
        for (auto it = fs::recursive_directory_iterator(data_dir, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec))
            if (it->is_regular_file(ec)) s.data_bytes += it->file_size(ec);
    return s;
}

std::vector<fixture> load_fixtures(const std::string& dir)
{
    std::vector<fixture> out;
    const std::pair<const char*, const char*> files[] = {{"tone-3s-cbr.mp3", "audio/mpeg"},
                                                         {"tone-7s-vbr.mp3", "audio/mpeg"},
                                                         {"tone-3s-bare.mp3", "audio/mpeg"},
                                                         {"tone-5s.wav", "audio/wav"},
                                                         {"tone-4s.m4a", "audio/mp4"}};
    for (auto [name, type] : files) out.push_back({name, type, spotik::test::read_file_bytes(dir + "/" + name)});
    return out;
}

void print_map(const char* title, const std::map<std::string, std::uint64_t>& m, double seconds)
{
    std::uint64_t total = 0;
    for (auto& [k, n] : m) total += n;
    std::printf("%s: %llu in total\n", title, static_cast<unsigned long long>(total));
    for (auto& [k, n] : m)
        std::printf("  %-58s %10llu  (%.2f/s)\n", k.c_str(), static_cast<unsigned long long>(n), double(n) / seconds);
}

double mb(long kb)
{
    return double(kb) / 1024.0;
}

}  // namespace

int main(int argc, char** argv)
{
    std::signal(SIGPIPE, SIG_IGN);
    settings cfg;
    int pid = 0, seconds = 1800, warmup = 180;
    std::string fixtures_dir, data_dir;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--port")
            cfg.port = static_cast<unsigned short>(std::stoi(v));
        else if (k == "--pid")
            pid = std::stoi(v);
        else if (k == "--seconds")
            seconds = std::stoi(v);
        else if (k == "--warmup")
            warmup = std::stoi(v);
        else if (k == "--fixtures")
            fixtures_dir = v;
        else if (k == "--data-dir")
            data_dir = v;
        else if (k == "--http-workers")
            cfg.http_workers = std::stoi(v);
        else if (k == "--ws-clients")
            cfg.ws_clients = std::stoi(v);
        else if (k == "--think-ms")
            cfg.think_ms = std::stoi(v);
        else if (k == "--room-lifetime")
            cfg.room_lifetime_s = std::stoi(v);
        else {
            std::cerr << "soak: unknown argument " << k << "\n";
            return 1;
        }
    }
    if (cfg.port == 0 || pid <= 0 || fixtures_dir.empty() || seconds <= warmup) {
        std::cerr << "soak: need --port, --pid, --fixtures and --seconds > --warmup\n";
        return 1;
    }
    cfg.fixtures = load_fixtures(fixtures_dir);

    tally counts;
    room_board board;
    std::atomic<bool> stop{false};
    auto start = clock::now();
    shared ctx{cfg, counts, board, stop, start + std::chrono::seconds(seconds)};
    std::vector<std::thread> threads;
    for (int i = 0; i < cfg.http_workers; ++i) threads.emplace_back([&, i] { run_http_worker(ctx, i); });
    for (int i = 0; i < cfg.ws_clients; ++i) threads.emplace_back([&, i] { run_ws_client(ctx, i); });

    // Memory, file descriptors, threads and data folder size every 10 s; a progress line a minute.
    std::vector<sample> samples;
    bool server_gone = false;
    for (int tick = 0;; ++tick) {
        auto t = std::chrono::duration<double>(clock::now() - start).count();
        auto s = take_sample(pid, t, data_dir);
        if (s.rss_kb < 0) {
            server_gone = true;
            stop = true;
            std::cerr << "soak: the server (pid " << pid << ") is gone after " << int(t) << " s\n";
            break;
        }
        read_memory_figures(cfg, s);
        samples.push_back(s);
        if (tick % 6 == 0) {
            auto snap = counts.take();
            std::uint64_t served = 0, errors = 0;
            for (auto& [k, n] : snap.served) served += n;
            for (auto& [k, n] : snap.errors) errors += n;
            std::fprintf(stderr,
                         "soak: %5.0f s  RSS %.1f MB (heap %.1f + free %.1f, store %.1f)  fds %ld  threads %ld  "
                         "data %.1f MB  requests %llu  errors %llu\n",
                         t, mb(s.rss_kb), s.heap_in_use_mb, s.heap_free_mb, s.store_mb, s.fds, s.threads,
                         double(s.data_bytes) / 1048576.0, static_cast<unsigned long long>(served),
                         static_cast<unsigned long long>(errors));
        }
        if (t >= seconds) break;
        std::this_thread::sleep_until(start + std::chrono::seconds(10 * (tick + 1)));
    }
    stop = true;
    for (auto& th : threads) th.join();
    double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    auto after = take_sample(pid, elapsed, data_dir);

    auto snap = counts.take();
    std::printf(
        "Soak: %d s of mixed load (%d HTTP workers, %d WebSocket clients, think time 0-%d ms), "
        "warm-up %d s\n\n",
        seconds, cfg.http_workers, cfg.ws_clients, 2 * cfg.think_ms, warmup);
    print_map("HTTP requests served (expected status)", snap.served, elapsed);
    print_map("Refusals the load expects now and then (not errors)", snap.refused, elapsed);
    print_map("Errors", snap.errors, elapsed);
    for (auto& line : snap.samples) std::printf("    e.g. %s\n", line.substr(0, 300).c_str());
    print_map("WebSocket messages received (by type)", snap.ws_events, elapsed);
    print_map("WebSocket activity", snap.ws, elapsed);

    // RSS after the warm-up: the first sample at or after it, the one nearest the middle of the
    // rest, and the last one.
    std::vector<sample> warm;
    for (auto& s : samples)
        if (s.t >= warmup - 0.5) warm.push_back(s);
    if (warm.size() < 2) {
        std::printf("\nRSS: not enough samples after the warm-up\n");
        return server_gone ? 1 : 0;
    }
    const auto& first = warm.front();
    const auto& last = warm.back();
    const sample* mid = &warm.front();
    double mid_t = (first.t + last.t) / 2;
    for (auto& s : warm)
        if (std::abs(s.t - mid_t) < std::abs(mid->t - mid_t)) mid = &s;
    long lo = first.rss_kb, hi = first.rss_kb;
    std::uintmax_t data_hi = 0;
    for (auto& s : warm)
        lo = std::min(lo, s.rss_kb), hi = std::max(hi, s.rss_kb), data_hi = std::max(data_hi, s.data_bytes);
    double growth = 100.0 * double(last.rss_kb - first.rss_kb) / double(first.rss_kb);
    std::printf("\nServer RSS (VmRSS, every 10 s; MB = 2^20 bytes):\n");
    std::printf("  before the load          %8.1f MB\n", mb(samples.front().rss_kb));
    std::printf("  start (after warm-up)    %8.1f MB  at %4.0f s\n", mb(first.rss_kb), first.t);
    std::printf("  middle                   %8.1f MB  at %4.0f s\n", mb(mid->rss_kb), mid->t);
    std::printf("  end                      %8.1f MB  at %4.0f s\n", mb(last.rss_kb), last.t);
    std::printf("  min / max after warm-up  %8.1f / %.1f MB\n", mb(lo), mb(hi));
    std::printf("  end against start        %+8.1f %%  (single samples: see the cycles below)\n", growth);
    // One sample says little: the rooms are all replaced every SOAK_ROOM_LIFETIME seconds, and
    // the resident size swings with them (their event histories fill, then go). The trend is in
    // windows of whole cycles (two room lifetimes) at the start and at the end after the
    // warm-up: their means, and their highs and lows (the full rooms and the empty ones).
    const std::size_t cycle = std::size_t(std::max(1, 2 * cfg.room_lifetime_s / 10));
    const std::size_t n = std::max<std::size_t>(1, std::min(cycle, warm.size() / 2));
    struct window_figures {
        double mean = 0, low = 0, high = 0;
    };
    auto window = [&](std::size_t from) {
        window_figures w{0, double(warm[from].rss_kb), double(warm[from].rss_kb)};
        for (std::size_t i = from; i < from + n; ++i) {
            w.mean += double(warm[i].rss_kb) / double(n);
            w.low = std::min(w.low, double(warm[i].rss_kb));
            w.high = std::max(w.high, double(warm[i].rss_kb));
        }
        return w;
    };
    const auto head = window(0), tail = window(warm.size() - n);
    auto change = [](double from, double to) { return 100.0 * (to - from) / from; };
    std::printf("  first / last %zu samples after warm-up (%zu s, whole room cycles):\n", n, n * 10);
    std::printf("    mean  %.1f / %.1f MB (%+.1f %%)\n", head.mean / 1024.0, tail.mean / 1024.0,
                change(head.mean, tail.mean));
    std::printf("    high  %.1f / %.1f MB (%+.1f %%)\n", head.high / 1024.0, tail.high / 1024.0,
                change(head.high, tail.high));
    std::printf("    low   %.1f / %.1f MB (%+.1f %%)\n", head.low / 1024.0, tail.low / 1024.0,
                change(head.low, tail.low));
    const double trend = change(head.mean, tail.mean);
    std::printf("  growth after warm-up     %+8.1f %%  (whole-cycle means; target: <= 10 %%) %s\n", trend,
                trend <= 10 ? "PASS" : "FAIL");
    std::printf("Server file descriptors: %ld at the start, %ld at the end of the load, %ld after it\n", first.fds,
                last.fds, after.fds);
    std::printf("Server threads: %ld at the start, %ld at the end\n", first.threads, last.threads);
    std::printf("Data folder: %.1f MB at the start, %.1f MB at most, %.1f MB after the load\n",
                double(first.data_bytes) / 1048576.0, double(data_hi) / 1048576.0,
                double(after.data_bytes) / 1048576.0);
    std::printf("RSS series (MB, one a minute):");
    for (std::size_t i = 0; i < samples.size(); i += 6) std::printf(" %.1f", mb(samples[i].rss_kb));
    std::printf("\nLive heap series (MB, one a minute):");
    for (std::size_t i = 0; i < samples.size(); i += 6) std::printf(" %.1f", samples[i].heap_in_use_mb);
    std::printf("\nAllocator free series (MB, one a minute):");
    for (std::size_t i = 0; i < samples.size(); i += 6) std::printf(" %.1f", samples[i].heap_free_mb);
    std::printf("\nStore (SQLite) series (MB, one a minute):");
    for (std::size_t i = 0; i < samples.size(); i += 6) std::printf(" %.1f", samples[i].store_mb);
    std::printf("\n");
    return server_gone ? 1 : 0;
}
