// WebSocket load generator for Spotik and the Node.js baseline (bench/ws/ws_bench.sh).
//
// It talks to 127.0.0.1 only. Set-up goes over HTTP (register users, create rooms, upload a tiny
// WAV, join the members), then every socket opens ws://127.0.0.1:<port>/ws?token=<jwt>, sends
// join_room and waits for room_joined. Scenarios:
//
//   idle    N sockets joined to rooms of --per-room; server memory per socket from VmRSS of
//           --server-pid before the first socket and after the last room_joined.
//   fanout  one room of --members sockets; a separate user (the room's creator, who has no
//           socket) votes and unvotes a track over HTTP at --rate events/s for --duration s, then
//           as fast as the deliveries are acknowledged (--window events in flight) for
//           --sat-duration s. Each vote produces one track_voted that every member socket gets.
//   mix     --rooms rooms of --room-size sockets, --rate events/s per room, --reconnect-pct % of
//           the sockets closing and reconnecting (join_room with last_seq) every second.
//
// Latency is measured from the moment the triggering HTTP request is written to the moment a
// socket's read of the event completes, on one steady clock. An event is matched to its trigger
// by its per-room seq: triggers of a room are sent one at a time (the next after the previous
// answer), nothing else happens in the room during the run, so trigger i of a room produces
// seq = base + 1 + i, where base is the room's seq when the run starts (room_joined.last_seq).
// new_vote_score is checked against the expected 1, 0, 1, ... as a guard on that mapping.
//
// Output: plain lines, or one JSON object with --json. Exit 0 when the run completed (whatever the
// figures), 1 when the set-up failed or nothing could be measured, 2 for bad arguments.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
using namespace std::chrono_literals;

// Every connection goes here; deliberately not configurable.
const asio::ip::address_v4 k_host = asio::ip::address_v4::loopback();
constexpr const char* k_host_text = "127.0.0.1";

std::int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::chrono::steady_clock::time_point at_ns(std::int64_t ns)
{
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}

// ------------------------------------------------------------------------------------------------
// Options.

struct options {
    std::string scenario;
    std::string label = "server";
    int port = 0;
    std::vector<int> ws_ports;  // sockets spread over these (round robin); empty: --port
    int server_pid = 0;
    int sockets = 15000;  // idle
    int per_room = 50;    // idle
    int members = 5000;   // fanout
    int rooms = 1000;     // mix
    int room_size = 20;   // mix
    int sockets_per_user = 1;
    double rate = -1;            // fanout: events/s in the room; mix: events/s per room
    double duration = 20;        // fixed-rate phase (fanout, mix)
    double sat_duration = 10;    // fanout saturating phase; 0 = skip
    int window = 8;              // saturating phase: events in flight
    double warmup = 2;           // seconds at the start of each phase left out of latency/throughput
    double reconnect_pct = 1.0;  // mix: % of sockets reconnecting per second
    int threads = 1;
    int http_conns = 8;          // set-up parallelism
    int trigger_conns = 32;      // mix: HTTP connections carrying the triggers
    int connect_parallel = 200;  // WebSocket handshakes in flight (per thread)
    double settle = 3;           // idle: seconds between the last join and the RSS reading
    double join_timeout = 600;
    double drain = 10;  // max seconds to wait for the last deliveries of a phase
    bool json = false;
};

[[noreturn]] void usage(const std::string& why)
{
    std::cerr << "ws-loadgen: " << why << "\n"
              << "usage: ws-loadgen --scenario idle|fanout|mix --port N [--server-pid PID] [--label NAME]\n"
                 "  idle:   --sockets 15000 --per-room 50 --settle 3\n"
                 "  fanout: --members 5000 --rate 10 --duration 20 --sat-duration 10 --window 8\n"
                 "  mix:    --rooms 1000 --room-size 20 --rate 2 --duration 20 --reconnect-pct 1\n"
                 "  common: --sockets-per-user 1 --warmup 2 --threads 1 --http-conns 8 --trigger-conns 32\n"
                 "          --connect-parallel 200 --join-timeout 600 --drain 10 --json\n"
                 "          --ws-ports P1,P2  open the sockets round robin on these servers (replicas sharing\n"
                 "                            one database and Redis); set-up and triggers still use --port\n";
    std::exit(2);
}

options parse_options(int argc, char** argv)
{
    options o;
    auto num = [&](int& i, const std::string& name) -> double {
        if (i + 1 >= argc) usage(name + " needs a value");
        const char* s = argv[++i];
        char* end = nullptr;
        double v = std::strtod(s, &end);
        if (end == s || *end != '\0' || !std::isfinite(v) || v < 0) usage(name + ": not a non-negative number: " + s);
        return v;
    };
    auto integer = [&](int& i, const std::string& name, int min) -> int {
        double v = num(i, name);
        if (v != std::floor(v) || v < min || v > 1e7) usage(name + " must be a whole number >= " + std::to_string(min));
        return int(v);
    };
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--scenario" && i + 1 < argc)
            o.scenario = argv[++i];
        else if (a == "--label" && i + 1 < argc)
            o.label = argv[++i];
        else if (a == "--port")
            o.port = integer(i, a, 1);
        else if (a == "--ws-ports" && i + 1 < argc) {
            std::stringstream list(argv[++i]);
            for (std::string item; std::getline(list, item, ',');) o.ws_ports.push_back(std::stoi(item));
        } else if (a == "--server-pid")
            o.server_pid = integer(i, a, 0);
        else if (a == "--sockets")
            o.sockets = integer(i, a, 1);
        else if (a == "--per-room")
            o.per_room = integer(i, a, 1);
        else if (a == "--members")
            o.members = integer(i, a, 1);
        else if (a == "--rooms")
            o.rooms = integer(i, a, 1);
        else if (a == "--room-size")
            o.room_size = integer(i, a, 1);
        else if (a == "--sockets-per-user")
            o.sockets_per_user = integer(i, a, 1);
        else if (a == "--rate")
            o.rate = num(i, a);
        else if (a == "--duration")
            o.duration = num(i, a);
        else if (a == "--sat-duration")
            o.sat_duration = num(i, a);
        else if (a == "--window")
            o.window = integer(i, a, 1);
        else if (a == "--warmup")
            o.warmup = num(i, a);
        else if (a == "--reconnect-pct")
            o.reconnect_pct = num(i, a);
        else if (a == "--threads")
            o.threads = integer(i, a, 1);
        else if (a == "--http-conns")
            o.http_conns = integer(i, a, 1);
        else if (a == "--trigger-conns")
            o.trigger_conns = integer(i, a, 1);
        else if (a == "--connect-parallel")
            o.connect_parallel = integer(i, a, 1);
        else if (a == "--settle")
            o.settle = num(i, a);
        else if (a == "--join-timeout")
            o.join_timeout = num(i, a);
        else if (a == "--drain")
            o.drain = num(i, a);
        else if (a == "--json")
            o.json = true;
        else if (a == "-h" || a == "--help")
            usage("help");
        else
            usage("unknown or incomplete argument: " + a);
    }
    if (o.scenario != "idle" && o.scenario != "fanout" && o.scenario != "mix")
        usage("--scenario is idle, fanout or mix");
    if (o.port == 0) usage("--port is required");
    if (o.rate < 0) o.rate = o.scenario == "mix" ? 2 : 10;
    if (o.scenario != "idle" && o.rate <= 0) usage("--rate must be positive");
    if (o.scenario != "idle" && o.duration <= o.warmup) usage("--duration must exceed --warmup");
    if (o.sat_duration > 0 && o.sat_duration <= o.warmup) usage("--sat-duration must exceed --warmup (or be 0)");
    return o;
}

// ------------------------------------------------------------------------------------------------
// /proc readings of the server process.

long proc_rss_kib(int pid)
{
    if (pid <= 0) return -1;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

// utime + stime of all the process's threads, in seconds; -1 if unreadable.
double proc_cpu_s(int pid)
{
    if (pid <= 0) return -1;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(text.substr(close + 2));
    std::vector<std::string> f;
    std::string tok;
    while (rest >> tok) f.push_back(tok);
    if (f.size() < 13) return -1;  // f[0] is field 3 (state): utime is field 14, stime 15
    return double(std::stoll(f[11]) + std::stoll(f[12])) / double(sysconf(_SC_CLK_TCK));
}

double self_cpu_s()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// ------------------------------------------------------------------------------------------------
// Latency histogram in microseconds: exact below 128 us, then 64 sub-buckets per power of two
// (under 1.6 % relative error).

class histogram {
public:
    void add(std::int64_t us)
    {
        std::uint64_t v = us < 0 ? 0 : std::uint64_t(us);
        ++counts_[index(v)];
        ++n_;
        max_ = std::max(max_, v);
        sum_ += double(v);
    }
    void merge(const histogram& o)
    {
        for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
        n_ += o.n_;
        max_ = std::max(max_, o.max_);
        sum_ += o.sum_;
    }
    std::uint64_t count() const { return n_; }
    double max_ms() const { return double(max_) / 1000.0; }
    double mean_ms() const { return n_ ? sum_ / double(n_) / 1000.0 : 0; }
    double percentile_ms(double p) const
    {
        if (n_ == 0) return 0;
        auto rank = std::uint64_t(std::ceil(p / 100.0 * double(n_)));
        rank = std::clamp<std::uint64_t>(rank, 1, n_);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= rank) return std::min(double(value(i)), double(max_)) / 1000.0;
        }
        return max_ms();
    }

private:
    static constexpr int k_sub = 64;
    static std::size_t index(std::uint64_t v)
    {
        if (v < 2 * k_sub) return std::size_t(v);
        int msb = int(std::bit_width(v)) - 1;  // >= 7
        int shift = msb - 6;
        return std::size_t(2 * k_sub + (shift - 1) * k_sub + int((v >> shift) - k_sub));
    }
    static std::uint64_t value(std::size_t i)  // the middle of bucket i
    {
        if (i < 2 * k_sub) return i;
        std::size_t j = i - 2 * k_sub;
        int shift = int(j / k_sub) + 1;
        std::uint64_t top = j % k_sub + k_sub;
        return (top << shift) + (std::uint64_t(1) << shift) / 2;
    }
    std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(2 * k_sub + 58 * k_sub, 0);
    std::uint64_t n_ = 0;
    std::uint64_t max_ = 0;
    double sum_ = 0;
};

// ------------------------------------------------------------------------------------------------
// A keep-alive HTTP/1.1 client connection to 127.0.0.1:port.

struct http_result {
    int status = 0;
    std::string body;
    std::string error;  // transport failure
};

class http_conn {
public:
    http_conn(asio::any_io_executor ex, std::uint16_t port) : stream_(std::move(ex)), port_(port) {}

    // sent_ns, when given, receives the steady-clock time just before the request is written.
    awaitable<http_result> request(bhttp::verb verb, std::string target, std::string body = {},
                                   std::string content_type = {}, std::string token = {},
                                   std::atomic<std::int64_t>* sent_ns = nullptr)
    {
        std::string last_error;
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (!open_) {
                stream_.expires_after(10s);
                auto [ec] = co_await stream_.async_connect(tcp::endpoint(k_host, port_), tuple_awaitable);
                if (ec) co_return http_result{0, {}, "connect: " + ec.message()};
                stream_.socket().set_option(tcp::no_delay(true));
                open_ = true;
                buffer_.clear();
            }
            bhttp::request<bhttp::string_body> req{verb, target, 11};
            req.set(bhttp::field::host, std::string(k_host_text) + ":" + std::to_string(port_));
            req.keep_alive(true);
            if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
            if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
            req.body() = body;
            req.prepare_payload();
            stream_.expires_after(60s);
            if (sent_ns) sent_ns->store(now_ns(), std::memory_order_release);
            auto [wec, wn] = co_await bhttp::async_write(stream_, req, tuple_awaitable);
            if (wec) {
                reset();
                last_error = "write: " + wec.message();
                continue;  // a keep-alive connection the server had closed: reconnect once
            }
            bhttp::response_parser<bhttp::string_body> parser;
            parser.body_limit(64 * 1024 * 1024);
            auto [rec, rn] = co_await bhttp::async_read(stream_, buffer_, parser, tuple_awaitable);
            if (rec) {
                reset();
                last_error = "read: " + rec.message();
                if (rec == bhttp::error::end_of_stream || rec == asio::error::connection_reset) continue;
                co_return http_result{0, {}, last_error};
            }
            auto res = parser.release();
            if (!res.keep_alive()) reset();
            co_return http_result{int(res.result_int()), std::move(res.body()), {}};
        }
        co_return http_result{0, {}, last_error};
    }

private:
    void reset()
    {
        beast::error_code ec;
        stream_.socket().close(ec);  // the next async_connect opens a fresh socket
        open_ = false;
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::uint16_t port_;
    bool open_ = false;
};

// Runs fn(conn, i) for i in [0, n) on `conns` keep-alive connections; throws the first failure.
template <class F>
void run_parallel(std::size_t n, int conns, std::uint16_t port, F fn)
{
    asio::io_context ioc;
    std::size_t next = 0;
    std::exception_ptr failure;
    for (int c = 0; c < conns && std::size_t(c) < n; ++c) {
        asio::co_spawn(
            ioc,
            [&]() -> awaitable<void> {
                http_conn conn(co_await asio::this_coro::executor, port);
                while (!failure) {
                    std::size_t i = next++;
                    if (i >= n) break;
                    co_await fn(conn, i);
                }
            },
            [&](std::exception_ptr e) {
                if (e && !failure) failure = e;
            });
    }
    ioc.run();
    if (failure) std::rethrow_exception(failure);
}

json::value parse_json_or_null(const std::string& body)
{
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    return ec ? json::value(nullptr) : v;
}

std::string string_at(const json::value& v, std::initializer_list<const char*> path)
{
    const json::value* cur = &v;
    for (const char* key : path) {
        if (!cur->is_object()) return {};
        cur = cur->as_object().if_contains(key);
        if (!cur) return {};
    }
    return cur->is_string() ? std::string(cur->as_string()) : std::string();
}

std::string excerpt(const std::string& s)
{
    return s.size() > 300 ? s.substr(0, 300) + "..." : s;
}

// A valid 1-second WAV: 44-byte header, 8 kHz, mono, 16-bit PCM (a quiet 440 Hz tone).
std::string tiny_wav()
{
    const std::uint32_t rate = 8000, samples = rate;
    const std::uint32_t data_bytes = samples * 2;
    std::string w;
    auto u32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) w.push_back(char((v >> (8 * i)) & 0xff));
    };
    auto u16 = [&](std::uint16_t v) {
        w.push_back(char(v & 0xff));
        w.push_back(char(v >> 8));
    };
    w += "RIFF";
    u32(36 + data_bytes);
    w += "WAVEfmt ";
    u32(16);
    u16(1);  // PCM
    u16(1);  // mono
    u32(rate);
    u32(rate * 2);  // byte rate
    u16(2);         // block align
    u16(16);        // bits per sample
    w += "data";
    u32(data_bytes);
    for (std::uint32_t i = 0; i < samples; ++i)
        u16(std::uint16_t(std::int16_t(2000 * std::sin(2 * 3.14159265358979 * 440 * i / rate))));
    return w;
}

// ------------------------------------------------------------------------------------------------
// The plan: users, rooms and sockets created over HTTP before any WebSocket opens.

struct user_info {
    std::string id;
    std::string token;
};

struct room_plan {
    std::string id;
    std::string track_id;
    int creator = -1;  // index into users; votes, has no socket
    int sockets = 0;
    int first_member = 0;  // users [first_member, first_member + member_users)
    int member_users = 0;
};

struct plan {
    std::vector<user_info> users;
    std::vector<room_plan> rooms;
    double setup_s = 0;
    double register_s = 0, rooms_s = 0, upload_s = 0, join_s = 0;
};

plan build_plan(const options& o)
{
    plan p;
    int room_count = 0, per_room = 0;
    if (o.scenario == "idle") {
        room_count = (o.sockets + o.per_room - 1) / o.per_room;
        per_room = o.per_room;
    } else if (o.scenario == "fanout") {
        room_count = 1;
        per_room = o.members;
    } else {
        room_count = o.rooms;
        per_room = o.room_size;
    }
    int remaining = o.scenario == "idle" ? o.sockets : room_count * per_room;
    p.rooms.resize(std::size_t(room_count));
    int user_count = 0;
    for (auto& r : p.rooms) {
        r.sockets = std::min(per_room, remaining);
        remaining -= r.sockets;
        r.creator = user_count++;
        r.first_member = user_count;
        r.member_users = (r.sockets + o.sockets_per_user - 1) / o.sockets_per_user;
        user_count += r.member_users;
    }
    p.users.resize(std::size_t(user_count));
    const std::uint16_t port = std::uint16_t(o.port);
    const std::string tag = std::to_string(::getpid()) + "x" + std::to_string(now_ns() % 1000000);
    const auto t0 = now_ns();
    auto elapsed = [](std::int64_t since) { return double(now_ns() - since) / 1e9; };

    run_parallel(p.users.size(), o.http_conns, port, [&](http_conn& c, std::size_t i) -> awaitable<void> {
        std::string name = "b" + tag + "u" + std::to_string(i);
        json::object body{{"username", name},
                          {"email", name + "@bench.example.com"},
                          {"password", "bench-password-1"},
                          {"password_confirmation", "bench-password-1"}};
        auto r = co_await c.request(bhttp::verb::post, "/api/auth/register", json::serialize(body), "application/json");
        auto v = parse_json_or_null(r.body);
        p.users[i].token = string_at(v, {"data", "token"});
        p.users[i].id = string_at(v, {"data", "user", "id"});
        if ((r.status != 201 && r.status != 200) || p.users[i].token.empty())
            throw std::runtime_error("POST /api/auth/register answered " + std::to_string(r.status) + " " + r.error +
                                     excerpt(r.body));
    });
    p.register_s = elapsed(t0);
    auto t1 = now_ns();
    run_parallel(p.rooms.size(), o.http_conns, port, [&](http_conn& c, std::size_t i) -> awaitable<void> {
        auto& room = p.rooms[i];
        json::object body{{"name", "bench room " + std::to_string(i)}};
        auto r = co_await c.request(bhttp::verb::post, "/api/rooms", json::serialize(body), "application/json",
                                    p.users[std::size_t(room.creator)].token);
        room.id = string_at(parse_json_or_null(r.body), {"data", "id"});
        if ((r.status != 201 && r.status != 200) || room.id.empty())
            throw std::runtime_error("POST /api/rooms answered " + std::to_string(r.status) + " " + r.error +
                                     excerpt(r.body));
    });
    p.rooms_s = elapsed(t1);
    if (o.scenario != "idle") {
        auto t2 = now_ns();
        const std::string wav = tiny_wav();
        const std::string boundary = "----spotikbench7d1f0c";
        std::string form = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"audio_file\"; filename=\"bench.wav\"\r\n"
                           "Content-Type: audio/wav\r\n\r\n" +
                           wav + "\r\n--" + boundary + "--\r\n";
        run_parallel(p.rooms.size(), o.http_conns, port, [&](http_conn& c, std::size_t i) -> awaitable<void> {
            auto& room = p.rooms[i];
            auto r = co_await c.request(bhttp::verb::post, "/api/rooms/" + room.id + "/tracks", form,
                                        "multipart/form-data; boundary=" + boundary,
                                        p.users[std::size_t(room.creator)].token);
            room.track_id = string_at(parse_json_or_null(r.body), {"track", "id"});
            if ((r.status != 201 && r.status != 200) || room.track_id.empty())
                throw std::runtime_error("POST /api/rooms/{room}/tracks answered " + std::to_string(r.status) + " " +
                                         r.error + excerpt(r.body));
        });
        p.upload_s = elapsed(t2);
    }
    // Joins: every member user of every room.
    std::vector<std::pair<int, int>> joins;  // (room, user)
    for (std::size_t ri = 0; ri < p.rooms.size(); ++ri)
        for (int k = 0; k < p.rooms[ri].member_users; ++k) joins.emplace_back(int(ri), p.rooms[ri].first_member + k);
    auto t3 = now_ns();
    run_parallel(joins.size(), o.http_conns, port, [&](http_conn& c, std::size_t i) -> awaitable<void> {
        auto [ri, ui] = joins[i];
        auto r = co_await c.request(bhttp::verb::post, "/api/rooms/" + p.rooms[std::size_t(ri)].id + "/join", "", "",
                                    p.users[std::size_t(ui)].token);
        if (r.status != 200 && r.status != 201)
            throw std::runtime_error("POST /api/rooms/{room}/join answered " + std::to_string(r.status) + " " +
                                     r.error + excerpt(r.body));
    });
    p.join_s = elapsed(t3);
    p.setup_s = elapsed(t0);
    return p;
}

// ------------------------------------------------------------------------------------------------
// Run-time state.

struct event_slot {
    std::atomic<std::int64_t> sent_ns{0};
    std::atomic<std::uint32_t> received{0};
    std::atomic<bool> acked{false};
};

struct room_rt {
    const room_plan* plan = nullptr;
    std::string voter_token;
    int sockets = 0;
    std::atomic<std::int64_t> base{-1};  // the room's seq when the run starts
    std::unique_ptr<event_slot[]> events;
    std::size_t capacity = 0;
    std::atomic<std::uint32_t> sent{0};
    // Trigger side (only the thread running the triggers touches these).
    std::uint32_t acked = 0;
    std::uint32_t errors = 0;
    bool stopped = false;
    std::string first_error;
};

struct phase_info {
    std::string name;
    double rate = 0;  // 0: saturating
    double seconds = 0;
    std::atomic<std::uint32_t> first_idx{0};
    std::atomic<std::int64_t> start_ns{0};
    std::atomic<std::int64_t> measure_from_ns{0};
    std::int64_t end_ns = 0;
    std::atomic<int> triggers_running{0};
};

struct phase_stats {
    histogram latency;
    std::uint64_t live = 0;  // measured deliveries (after the warm-up)
    std::uint64_t warm = 0;
    std::int64_t first_recv = 0, last_recv = 0;
};

struct thread_stats {
    phase_stats phase[2];
    std::uint64_t received = 0, replayed = 0, duplicates = 0, gaps = 0, unmatched = 0, score_mismatch = 0;
    std::uint64_t other_events = 0, unrecovered = 0, disconnects = 0, reconnects = 0, reconnect_failures = 0;
    std::uint64_t pre_run_events = 0;
    std::uint64_t voted = 0, voted_bytes = 0;       // track_voted frames received and their payload bytes
    std::map<std::string, std::uint64_t> errors;    // error frames by error_code
    std::map<std::string, std::uint64_t> failures;  // socket failures by reason
};

struct worker;

struct sock_rt {
    room_rt* room = nullptr;
    const std::string* token = nullptr;
    worker* owner = nullptr;
    std::uint16_t port = 0;  // the server this socket connects to
    std::unique_ptr<websocket::stream<beast::tcp_stream>> ws;
    beast::flat_buffer buffer;
    std::int64_t last_seq = -1;  // highest room seq received (or the join point)
    std::int64_t join_seq = -1;  // room_joined.last_seq of the latest join
    bool joined_once = false;
    bool failed = false;
    bool open = false;
    bool want_reconnect = false;
    bool closing = false;  // an async_close is in progress
    bool done = false;     // the reader ended
};

struct shared_state {
    const options* opt = nullptr;
    std::vector<std::unique_ptr<room_rt>> rooms;
    std::deque<phase_info> phases;  // not movable (atomics): a deque keeps them in place
    std::atomic<int> current_phase{-1};
    std::atomic<bool> stopping{false};
    std::atomic<int> joined{0}, failed{0}, readers_done{0};
};

struct worker {
    asio::io_context ioc{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::vector<sock_rt*> sockets;
    thread_stats stats;
    shared_state* shared = nullptr;
    std::thread thread;
    std::size_t next_connect = 0;
    std::mt19937_64 rng{std::random_device{}()};
};

std::optional<std::int64_t> int_after(std::string_view text, std::string_view key, bool last = false)
{
    auto pos = last ? text.rfind(key) : text.find(key);
    if (pos == std::string_view::npos) return std::nullopt;
    pos += key.size();
    while (pos < text.size() && text[pos] == ' ') ++pos;
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), v);
    if (ec != std::errc()) return std::nullopt;
    return v;
}

void on_room_event(sock_rt& s, std::int64_t seq, std::optional<std::int64_t> score, std::int64_t recv_ns)
{
    auto& st = s.owner->stats;
    auto& sh = *s.owner->shared;
    room_rt& r = *s.room;
    if (seq <= s.last_seq) {
        ++st.duplicates;
        return;
    }
    const std::int64_t base = r.base.load(std::memory_order_acquire);
    if (base < 0) {  // before the run started: nothing should be published then
        ++st.pre_run_events;
        s.last_seq = seq;
        return;
    }
    if (s.last_seq >= base && seq > s.last_seq + 1) st.gaps += std::uint64_t(seq - s.last_seq - 1);
    s.last_seq = seq;
    const std::int64_t idx = seq - base - 1;
    if (idx < 0 || idx >= std::int64_t(r.sent.load(std::memory_order_acquire))) {
        ++st.unmatched;
        return;
    }
    auto& slot = r.events[std::size_t(idx)];
    const std::int64_t sent = slot.sent_ns.load(std::memory_order_acquire);
    if (sent == 0) {
        ++st.unmatched;
        return;
    }
    if (score && *score != (idx % 2 == 0 ? 1 : 0)) ++st.score_mismatch;
    ++st.received;
    slot.received.fetch_add(1, std::memory_order_relaxed);
    if (seq <= s.join_seq) {  // replayed after a reconnect: delivered, but not a live latency
        ++st.replayed;
        return;
    }
    int p = 0;
    if (sh.phases.size() > 1 && std::uint32_t(idx) >= sh.phases[1].first_idx.load(std::memory_order_acquire) &&
        sh.phases[1].start_ns.load(std::memory_order_acquire) != 0)
        p = 1;
    auto& ps = st.phase[p];
    if (sent < sh.phases[std::size_t(p)].measure_from_ns.load(std::memory_order_acquire)) {
        ++ps.warm;
        return;
    }
    ps.latency.add((recv_ns - sent) / 1000);
    ++ps.live;
    if (ps.first_recv == 0) ps.first_recv = recv_ns;
    ps.last_recv = recv_ns;
}

// Handles one text frame. Returns false when the socket should give up (join refused).
bool on_message(sock_rt& s, std::string_view text, std::int64_t recv_ns)
{
    auto& st = s.owner->stats;
    static constexpr std::string_view k_voted = R"({"type":"track_voted")";
    static constexpr std::string_view k_joined = R"({"type":"room_joined")";
    if (text.starts_with(k_voted)) {
        ++st.voted;
        st.voted_bytes += text.size();
        auto seq = int_after(text, "\"seq\":");
        if (!seq) {
            ++st.unmatched;
            return true;
        }
        on_room_event(s, *seq, int_after(text, "\"new_vote_score\":"), recv_ns);
        return true;
    }
    if (text.starts_with(k_joined)) {  // may carry thousands of participants: no full parse
        auto seq = int_after(text, "\"last_seq\":", true);
        s.join_seq = seq.value_or(0);
        if (!s.joined_once) {
            s.last_seq = s.join_seq;
            s.joined_once = true;
        }
        return true;
    }
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        ++st.errors["unparsable frame"];
        return true;
    }
    auto& o = v.as_object();
    std::string type = o.contains("type") && o.at("type").is_string() ? std::string(o.at("type").as_string()) : "";
    const json::object* data = o.contains("data") && o.at("data").is_object() ? &o.at("data").as_object() : nullptr;
    if (type == "error") {
        std::string code = data ? string_at(o.at("data"), {"error_code"}) : "";
        ++st.errors[code.empty() ? "error" : code];
        return s.joined_once;
    }
    if (type == "room_state") {
        if (data && data->contains("recovered") && data->at("recovered").is_bool() &&
            !data->at("recovered").as_bool()) {
            ++st.unrecovered;
            if (auto* ls = data->if_contains("last_seq"); ls && ls->is_int64())
                s.last_seq = s.join_seq = ls->as_int64();
        }
        return true;
    }
    if (auto* seq = o.if_contains("seq"); seq && seq->is_int64()) {  // another room event
        ++st.other_events;
        s.last_seq = std::max(s.last_seq, seq->as_int64());
    }
    return true;
}

awaitable<bool> open_socket(sock_rt& s, bool rejoin)
{
    auto& st = s.owner->stats;
    // Kept in s.ws from the start, so that stopping the run can close a socket still connecting.
    s.ws = std::make_unique<websocket::stream<beast::tcp_stream>>(s.owner->ioc);
    auto* ws = s.ws.get();
    auto& lowest = beast::get_lowest_layer(*ws);
    lowest.expires_after(30s);
    auto [cec] = co_await lowest.async_connect(tcp::endpoint(k_host, s.port), tuple_awaitable);
    if (cec) {
        ++st.failures["connect: " + cec.message()];
        co_return false;
    }
    lowest.socket().set_option(tcp::no_delay(true));
    lowest.expires_never();
    ws->set_option(websocket::stream_base::timeout{30s, websocket::stream_base::none(), false});
    websocket::response_type res;
    auto [hec] = co_await ws->async_handshake(res, std::string(k_host_text) + ":" + std::to_string(s.port),
                                              "/ws?token=" + *s.token, tuple_awaitable);
    if (hec) {
        std::string why = "handshake: " + hec.message();
        if (hec == websocket::error::upgrade_declined) why += " (HTTP " + std::to_string(res.result_int()) + ")";
        ++st.failures[why];
        co_return false;
    }
    s.open = true;
    s.buffer.clear();
    json::object data{{"room_id", s.room->plan->id}};
    if (rejoin && s.last_seq >= 0) data["last_seq"] = s.last_seq;
    std::string msg = json::serialize(json::object{{"type", "join_room"}, {"data", std::move(data)}});
    s.ws->text(true);
    auto [wec, wn] = co_await s.ws->async_write(asio::buffer(msg), tuple_awaitable);
    if (wec) {
        ++st.failures["write join_room: " + wec.message()];
        s.open = false;
        co_return false;
    }
    co_return true;
}

// Reads one frame into s.buffer and hands it to on_message. Returns the read error, if any.
awaitable<beast::error_code> read_one(sock_rt& s, bool& keep)
{
    auto [ec, n] = co_await s.ws->async_read(s.buffer, tuple_awaitable);
    if (ec) co_return ec;
    const std::int64_t t = now_ns();
    auto d = s.buffer.cdata();
    keep = on_message(s, std::string_view(static_cast<const char*>(d.data()), d.size()), t);
    s.buffer.consume(s.buffer.size());
    if (s.buffer.capacity() > 64 * 1024) s.buffer = beast::flat_buffer();  // after a big room_joined
    co_return beast::error_code{};
}

awaitable<void> close_socket(sock_rt& s);

awaitable<void> reader(sock_rt& s)
{
    auto& sh = *s.owner->shared;
    auto& st = s.owner->stats;
    for (;;) {
        bool keep = true;
        auto ec = co_await read_one(s, keep);
        if (!ec) continue;
        s.open = false;
        if (sh.stopping.load()) break;
        if (s.want_reconnect) {
            // Let our own async_close finish before the stream is replaced.
            asio::steady_timer t(s.owner->ioc);
            while (s.closing) {
                t.expires_after(1ms);
                co_await t.async_wait(tuple_awaitable);
            }
            s.want_reconnect = false;
            if (co_await open_socket(s, true)) {
                ++st.reconnects;
                if (sh.stopping.load()) co_await close_socket(s);
                continue;
            }
            ++st.reconnect_failures;
            s.failed = true;
            break;
        }
        ++st.disconnects;
        std::string why = ec.message();
        if (ec == websocket::error::closed && s.ws)
            why = "closed by the server, code " + std::to_string(int(s.ws->reason().code));
        ++st.failures["disconnected during the run: " + why];
        s.failed = true;
        break;
    }
    s.done = true;
    sh.readers_done.fetch_add(1);
}

awaitable<void> close_socket(sock_rt& s)
{
    if (!s.ws || !s.open || s.closing) co_return;
    s.closing = true;
    beast::get_lowest_layer(*s.ws).expires_after(5s);
    auto [ec] = co_await s.ws->async_close(websocket::close_code::normal, tuple_awaitable);
    (void)ec;
    s.closing = false;
}

// Opens and joins the worker's sockets, connect_parallel at a time; then each one keeps reading.
awaitable<void> connector(worker& w)
{
    auto& sh = *w.shared;
    while (w.next_connect < w.sockets.size()) {
        sock_rt& s = *w.sockets[w.next_connect++];
        bool ok = co_await open_socket(s, false);
        while (ok && !s.joined_once) {
            bool keep = true;
            auto ec = co_await read_one(s, keep);
            if (ec) {
                ++w.stats.failures["waiting for room_joined: " + ec.message()];
                ok = false;
            } else if (!keep) {
                ++w.stats.failures["join_room refused"];
                ok = false;
            }
        }
        if (!ok) {
            s.failed = true;
            s.done = true;
            if (s.ws) {
                beast::error_code ec;
                beast::get_lowest_layer(*s.ws).socket().close(ec);
            }
            s.open = false;
            sh.failed.fetch_add(1);
            sh.readers_done.fetch_add(1);
            continue;
        }
        sh.joined.fetch_add(1);
        asio::co_spawn(w.ioc, reader(s), asio::detached);
    }
}

awaitable<void> reconnect_ticker(worker& w, double pct, std::int64_t end_ns)
{
    asio::steady_timer t(w.ioc);
    double due = 0;
    std::int64_t next = now_ns();
    while (!w.shared->stopping.load() && now_ns() < end_ns) {
        next += 100'000'000;
        t.expires_at(at_ns(next));
        co_await t.async_wait(tuple_awaitable);
        due += double(w.sockets.size()) * pct / 100.0 * 0.1;
        for (int tries = 0; due >= 1 && tries < 1000; ++tries) {
            sock_rt& s = *w.sockets[std::uniform_int_distribution<std::size_t>(0, w.sockets.size() - 1)(w.rng)];
            if (!s.open || s.failed || s.want_reconnect || s.closing || s.done) continue;
            due -= 1;
            s.want_reconnect = true;
            asio::co_spawn(w.ioc, close_socket(s), asio::detached);
        }
    }
}

// One trigger: vote (even index) or unvote (odd) by the room's creator.
awaitable<void> fire(http_conn& conn, room_rt& r)
{
    const std::uint32_t i = r.sent.load(std::memory_order_relaxed);
    if (i >= r.capacity) {
        r.stopped = true;
        co_return;
    }
    auto& slot = r.events[i];
    r.sent.store(i + 1, std::memory_order_release);
    auto res = co_await conn.request(i % 2 == 0 ? bhttp::verb::post : bhttp::verb::delete_,
                                     "/api/rooms/" + r.plan->id + "/tracks/" + r.plan->track_id + "/vote", "", "",
                                     r.voter_token, &slot.sent_ns);
    if (res.status == 200) {
        slot.acked.store(true, std::memory_order_release);
        ++r.acked;
    } else {
        ++r.errors;
        if (r.first_error.empty()) r.first_error = std::to_string(res.status) + " " + res.error + excerpt(res.body);
        r.stopped = true;  // the seq mapping of this room cannot be trusted any more
    }
}

// Fixed rate: each room fires every 1/rate s (phases spread over the period), on one connection.
awaitable<void> fixed_rate_triggers(std::vector<room_rt*> rooms, double rate, std::int64_t start_ns,
                                    std::int64_t end_ns, std::uint16_t port)
{
    http_conn conn(co_await asio::this_coro::executor, port);
    const auto period = std::int64_t(1e9 / rate);
    using item = std::pair<std::int64_t, room_rt*>;
    std::priority_queue<item, std::vector<item>, std::greater<>> due;
    std::mt19937_64 rng(std::hash<std::string>{}(rooms.empty() ? "" : rooms.front()->plan->id));
    for (auto* r : rooms)
        due.emplace(start_ns + std::int64_t(std::uniform_real_distribution<double>(0, 1)(rng) * double(period)), r);
    asio::steady_timer t(co_await asio::this_coro::executor);
    // A server that cannot keep up gets the scheduled events late; past twice the phase's length
    // the rest is dropped (the report gives the events per second actually sent).
    const std::int64_t give_up_ns = end_ns + (end_ns - start_ns);
    while (!due.empty()) {
        auto [when, r] = due.top();
        due.pop();
        if (when >= end_ns || r->stopped || now_ns() >= give_up_ns) continue;
        if (when > now_ns()) {
            t.expires_at(at_ns(when));
            co_await t.async_wait(tuple_awaitable);
        }
        co_await fire(conn, *r);
        due.emplace(when + period, r);
    }
}

// Saturating: the next vote goes out once the event `window` places back reached every socket
// (or 2 s passed), and the previous vote was answered.
awaitable<void> closed_loop_triggers(room_rt& r, int window, std::int64_t end_ns, std::uint16_t port)
{
    http_conn conn(co_await asio::this_coro::executor, port);
    asio::steady_timer t(co_await asio::this_coro::executor);
    while (now_ns() < end_ns && !r.stopped) {
        const std::uint32_t i = r.sent.load();
        if (i >= std::uint32_t(window)) {
            auto& back = r.events[i - std::uint32_t(window)];
            while (back.received.load(std::memory_order_relaxed) < std::uint32_t(r.sockets) &&
                   now_ns() - back.sent_ns.load() < 2'000'000'000 && now_ns() < end_ns) {
                t.expires_after(100us);
                co_await t.async_wait(tuple_awaitable);
            }
            if (now_ns() >= end_ns) break;
        }
        co_await fire(conn, r);
    }
}

// ------------------------------------------------------------------------------------------------
// Reporting helpers.

struct phase_result {
    std::string name;
    double rate = 0, seconds = 0, warmup = 0;
    std::uint64_t sent = 0, acked = 0, trigger_errors = 0;
    std::uint64_t expected = 0, received = 0, lost = 0;
    histogram latency;
    std::uint64_t live = 0;
    double msgs_per_s = 0, events_per_s = 0;
    double server_cpu_pct = -1, self_cpu_pct = 0;
    double server_cpu_us_per_msg = -1;  // server CPU from the phase's start to the end of its drain
    std::string first_error;
};

std::string fmt(double v, int decimals = 2)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

double round_to(double v, int decimals)
{
    double m = std::pow(10.0, decimals);
    return std::round(v * m) / m;
}

// Waits (polling) until cond() is true or the deadline passes.
void wait_until(const std::function<bool()>& cond, double max_s, double poll_s = 0.05)
{
    auto deadline = now_ns() + std::int64_t(max_s * 1e9);
    while (!cond() && now_ns() < deadline) std::this_thread::sleep_for(std::chrono::duration<double>(poll_s));
}

int run(const options& o)
{
    // As many open files as the hard limit allows (each socket is one).
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
    const long total_sockets = o.scenario == "idle"     ? o.sockets
                               : o.scenario == "fanout" ? o.members
                                                        : long(o.rooms) * o.room_size;
    const long need = total_sockets + o.http_conns + o.trigger_conns + 64;
    if (rlim_t(need) > lim.rlim_cur) {
        std::cerr << "ws-loadgen: " << total_sockets << " sockets need about " << need << " open files; the limit is "
                  << lim.rlim_cur << " (ulimit -Hn)\n";
        return 2;
    }
    if (!o.json)
        std::cout << "ws-loadgen " << o.scenario << " against " << o.label << " on " << k_host_text << ":" << o.port
                  << ", " << total_sockets << " sockets\n"
                  << std::flush;

    // 1. Set-up over HTTP.
    plan p;
    try {
        p = build_plan(o);
    } catch (const std::exception& e) {
        std::cerr << "ws-loadgen: set-up failed: " << e.what() << "\n";
        return 1;
    }
    if (!o.json)
        std::cout << "set-up: " << p.users.size() << " users, " << p.rooms.size() << " rooms in " << fmt(p.setup_s, 1)
                  << " s (register " << fmt(p.register_s, 1) << " s, rooms " << fmt(p.rooms_s, 1) << " s, upload "
                  << fmt(p.upload_s, 1) << " s, join " << fmt(p.join_s, 1) << " s)\n"
                  << std::flush;

    // 2. Run-time structures.
    shared_state sh;
    sh.opt = &o;
    std::size_t capacity_per_room = 0;
    if (o.scenario == "fanout") {
        sh.phases.emplace_back();
        sh.phases.back().name = "fixed";
        sh.phases.back().rate = o.rate;
        sh.phases.back().seconds = o.duration;
        capacity_per_room = std::size_t(o.rate * (o.duration + 1)) + 16;
        if (o.sat_duration > 0) {
            sh.phases.emplace_back();
            sh.phases.back().name = "saturating";
            sh.phases.back().rate = 0;
            sh.phases.back().seconds = o.sat_duration;
            sh.phases.back().first_idx = UINT32_MAX;
            capacity_per_room += std::size_t(o.sat_duration * 20000) + 16;
        }
    } else if (o.scenario == "mix") {
        sh.phases.emplace_back();
        sh.phases.back().name = "mix";
        sh.phases.back().rate = o.rate;
        sh.phases.back().seconds = o.duration;
        capacity_per_room = std::size_t(o.rate * (o.duration + 1)) + 16;
    }
    for (const auto& rp : p.rooms) {
        auto r = std::make_unique<room_rt>();
        r->plan = &rp;
        r->voter_token = p.users[std::size_t(rp.creator)].token;
        r->sockets = rp.sockets;
        r->capacity = capacity_per_room;
        if (capacity_per_room) r->events = std::make_unique<event_slot[]>(capacity_per_room);
        sh.rooms.push_back(std::move(r));
    }
    std::vector<std::unique_ptr<worker>> workers;
    for (int t = 0; t < o.threads; ++t) {
        workers.push_back(std::make_unique<worker>());
        workers.back()->shared = &sh;
        workers.back()->guard.emplace(workers.back()->ioc.get_executor());
    }
    std::vector<sock_rt> sockets(static_cast<std::size_t>(total_sockets));
    {
        std::size_t k = 0;
        for (std::size_t ri = 0; ri < p.rooms.size(); ++ri) {
            const auto& rp = p.rooms[ri];
            for (int j = 0; j < rp.sockets; ++j, ++k) {
                auto& s = sockets[k];
                s.room = sh.rooms[ri].get();
                s.token = &p.users[std::size_t(rp.first_member + j / o.sockets_per_user)].token;
                s.owner = workers[k % workers.size()].get();
                s.port = std::uint16_t(o.ws_ports.empty() ? o.port : o.ws_ports[k % o.ws_ports.size()]);
                s.owner->sockets.push_back(&s);
            }
        }
    }

    // 3. Open and join every socket.
    const long rss_before = proc_rss_kib(o.server_pid);
    const auto join_start = now_ns();
    for (auto& w : workers) {
        for (int c = 0; c < o.connect_parallel; ++c)
            asio::co_spawn(w->ioc, connector(*w), [](std::exception_ptr e) {
                if (e) std::rethrow_exception(e);
            });
        w->thread = std::thread([&w] {
            try {
                w->ioc.run();
            } catch (const std::exception& e) {
                std::cerr << "ws-loadgen: worker failed: " << e.what() << "\n";
                std::_Exit(1);
            }
        });
    }
    {
        // Until every socket joined or failed, --join-timeout passed, or no socket joined for 30 s
        // while some are still waiting (a server that stopped answering).
        int last = -1;
        auto last_join = now_ns();
        const auto deadline = now_ns() + std::int64_t(o.join_timeout * 1e9);
        while (sh.joined.load() + sh.failed.load() < total_sockets && now_ns() < deadline) {
            const int j = sh.joined.load();
            if (j != last) {
                last = j;
                last_join = now_ns();
            } else if (now_ns() - last_join > 30'000'000'000) {
                std::cerr << "ws-loadgen: no socket joined for 30 s; " << j << " joined, " << sh.failed.load()
                          << " failed, " << total_sockets - j - sh.failed.load()
                          << " still waiting: giving up (is the server stuck?)\n";
                break;
            }
            std::this_thread::sleep_for(50ms);
        }
    }
    const double join_s = double(now_ns() - join_start) / 1e9;
    const int joined = sh.joined.load();
    const int failed_to_join = sh.failed.load();
    const int pending = int(total_sockets) - joined - failed_to_join;
    if (!o.json)
        std::cout << "sockets: " << joined << " joined, " << failed_to_join << " failed, " << pending
                  << " never answered, in " << fmt(join_s, 1) << " s\n"
                  << std::flush;

    long rss_after = -1, rss_closed = -1;
    std::vector<phase_result> results;
    double run_server_cpu = -1, run_self_cpu = 0, run_seconds = 0;

    if (o.scenario == "idle") {
        std::this_thread::sleep_for(std::chrono::duration<double>(o.settle));
        rss_after = proc_rss_kib(o.server_pid);
    } else if (joined > 0 && pending == 0) {
        // The run starts from the seq every socket of the room has seen.
        std::this_thread::sleep_for(500ms);
        std::map<room_rt*, std::int64_t> bases;
        for (auto& w : workers) {
            std::promise<void> seen;
            asio::post(w->ioc, [&] {
                for (auto* s : w->sockets)
                    if (!s->failed) bases[s->room] = std::max(bases[s->room], s->last_seq);
                seen.set_value();
            });
            seen.get_future().wait();
        }
        for (auto& r : sh.rooms) r->base.store(std::max<std::int64_t>(0, bases[r.get()]), std::memory_order_release);
        const auto port = std::uint16_t(o.port);
        const double cpu0 = proc_cpu_s(o.server_pid), self0 = self_cpu_s();
        const auto run0 = now_ns();
        for (std::size_t pi = 0; pi < sh.phases.size(); ++pi) {
            auto& ph = sh.phases[pi];
            const double pcpu0 = proc_cpu_s(o.server_pid), pself0 = self_cpu_s();
            const auto start = now_ns() + 50'000'000;
            ph.first_idx.store(sh.rooms.front()->sent.load(), std::memory_order_release);
            ph.measure_from_ns.store(start + std::int64_t(o.warmup * 1e9), std::memory_order_release);
            ph.start_ns.store(start, std::memory_order_release);
            ph.end_ns = start + std::int64_t(ph.seconds * 1e9);
            sh.current_phase = int(pi);
            auto& triggers_running = ph.triggers_running;
            auto& ioc0 = workers[0]->ioc;
            auto done = [&triggers_running](std::exception_ptr e) {
                if (e) std::rethrow_exception(e);
                triggers_running.fetch_sub(1);
            };
            if (ph.rate > 0) {
                const int conns = std::max(1, std::min<int>(o.trigger_conns, int(sh.rooms.size())));
                std::vector<std::vector<room_rt*>> split(static_cast<std::size_t>(conns));
                for (std::size_t ri = 0; ri < sh.rooms.size(); ++ri)
                    split[ri % std::size_t(conns)].push_back(sh.rooms[ri].get());
                for (auto& part : split) {
                    triggers_running.fetch_add(1);
                    asio::co_spawn(ioc0, fixed_rate_triggers(part, ph.rate, start, ph.end_ns, port), done);
                }
            } else {
                triggers_running.fetch_add(1);
                asio::co_spawn(ioc0, closed_loop_triggers(*sh.rooms.front(), o.window, ph.end_ns, port), done);
            }
            if (o.scenario == "mix" && o.reconnect_pct > 0)
                for (auto& w : workers)
                    asio::co_spawn(w->ioc, reconnect_ticker(*w, o.reconnect_pct, ph.end_ns), asio::detached);
            wait_until([&] { return triggers_running.load() == 0; }, ph.seconds + 120, 0.01);
            const double pcpu1 = proc_cpu_s(o.server_pid), pself1 = self_cpu_s();
            const double trig_s = double(now_ns() - start) / 1e9;
            // Drain: until every acknowledged event reached every socket of its room, or no
            // progress for 2 s, or --drain s.
            std::uint32_t from = ph.first_idx.load();
            auto delivered = [&] {
                std::uint64_t got = 0;
                for (auto& r : sh.rooms)
                    for (std::uint32_t i = from; i < r->sent.load(); ++i) got += r->events[i].received.load();
                return got;
            };
            auto expected = [&] {
                std::uint64_t e = 0;
                for (auto& r : sh.rooms)
                    for (std::uint32_t i = from; i < r->sent.load(); ++i)
                        if (r->events[i].acked.load()) e += std::uint64_t(r->sockets);
                return e;
            };
            const std::uint64_t exp = expected();
            const auto drain_deadline = now_ns() + std::int64_t(o.drain * 1e9);
            std::uint64_t last = delivered();
            auto last_progress = now_ns();
            while (now_ns() < drain_deadline) {
                std::uint64_t got = delivered();
                if (got >= exp) break;
                if (got != last) {
                    last = got;
                    last_progress = now_ns();
                } else if (now_ns() - last_progress > 2'000'000'000) {
                    break;
                }
                std::this_thread::sleep_for(20ms);
            }
            const double pcpu_drained = proc_cpu_s(o.server_pid);
            // Collect this phase.
            phase_result res;
            res.name = ph.name;
            res.rate = ph.rate;
            res.seconds = ph.seconds;
            res.warmup = o.warmup;
            for (auto& r : sh.rooms) {
                const std::uint32_t to = r->sent.load();
                res.sent += to - from;
                for (std::uint32_t i = from; i < to; ++i) {
                    auto got = r->events[i].received.load();
                    res.received += got;
                    if (r->events[i].acked.load()) {
                        ++res.acked;
                        res.expected += std::uint64_t(r->sockets);
                        if (got < std::uint32_t(r->sockets)) res.lost += std::uint64_t(r->sockets) - got;
                    }
                }
                res.trigger_errors += r->errors;
                if (res.first_error.empty()) res.first_error = r->first_error;
                r->errors = 0;
                r->first_error.clear();
            }
            res.events_per_s = double(res.sent) / trig_s;
            res.server_cpu_pct = pcpu0 >= 0 && pcpu1 >= 0 ? (pcpu1 - pcpu0) / trig_s * 100 : -1;
            res.self_cpu_pct = (pself1 - pself0) / trig_s * 100;
            if (pcpu0 >= 0 && pcpu_drained >= 0 && res.received > 0)
                res.server_cpu_us_per_msg = (pcpu_drained - pcpu0) * 1e6 / double(res.received);
            results.push_back(std::move(res));
            // A room stopped by a failed trigger stays stopped; the next phase needs a clean mapping.
            bool any_stopped = false;
            for (auto& r : sh.rooms) any_stopped = any_stopped || r->stopped;
            if (any_stopped) break;
        }
        run_server_cpu = proc_cpu_s(o.server_pid) - cpu0;
        run_self_cpu = self_cpu_s() - self0;
        run_seconds = double(now_ns() - run0) / 1e9;
    }

    // 4. Close everything (the readers see the close and end), gather the statistics.
    sh.stopping = true;
    for (auto& w : workers)
        asio::post(w->ioc, [&w] {
            for (auto* s : w->sockets)
                if (s->open && !s->done) asio::co_spawn(w->ioc, close_socket(*s), asio::detached);
        });
    wait_until([&] { return sh.readers_done.load() >= total_sockets - pending; }, pending ? 2 : 15, 0.02);
    for (auto& w : workers) {
        asio::post(w->ioc, [&w] {
            for (auto* s : w->sockets)
                if (s->ws) {
                    beast::error_code ec;
                    beast::get_lowest_layer(*s->ws).socket().close(ec);
                }
        });
        w->guard.reset();
    }
    // Give the cancelled operations a moment to unwind, then stop.
    std::this_thread::sleep_for(200ms);
    for (auto& w : workers) {
        w->ioc.stop();
        w->thread.join();
    }
    if (o.scenario == "idle") {
        std::this_thread::sleep_for(std::chrono::duration<double>(o.settle));
        rss_closed = proc_rss_kib(o.server_pid);
    }

    thread_stats total;
    for (auto& w : workers) {
        auto& s = w->stats;
        for (int i = 0; i < 2; ++i) {
            total.phase[i].latency.merge(s.phase[i].latency);
            total.phase[i].live += s.phase[i].live;
            total.phase[i].warm += s.phase[i].warm;
            if (s.phase[i].first_recv &&
                (!total.phase[i].first_recv || s.phase[i].first_recv < total.phase[i].first_recv))
                total.phase[i].first_recv = s.phase[i].first_recv;
            total.phase[i].last_recv = std::max(total.phase[i].last_recv, s.phase[i].last_recv);
        }
        total.received += s.received;
        total.replayed += s.replayed;
        total.duplicates += s.duplicates;
        total.gaps += s.gaps;
        total.unmatched += s.unmatched;
        total.score_mismatch += s.score_mismatch;
        total.other_events += s.other_events;
        total.unrecovered += s.unrecovered;
        total.disconnects += s.disconnects;
        total.reconnects += s.reconnects;
        total.reconnect_failures += s.reconnect_failures;
        total.pre_run_events += s.pre_run_events;
        total.voted += s.voted;
        total.voted_bytes += s.voted_bytes;
        for (auto& [k, v] : s.errors) total.errors[k] += v;
        for (auto& [k, v] : s.failures) total.failures[k] += v;
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
        auto& res = results[i];
        auto& ps = total.phase[i];
        res.latency = ps.latency;
        res.live = ps.live;
        const double window_s = double(ps.last_recv - sh.phases[i].measure_from_ns.load()) / 1e9;
        res.msgs_per_s = window_s > 0 ? double(ps.live) / window_s : 0;
    }

    // 5. Report.
    json::object out{{"scenario", o.scenario},
                     {"label", o.label},
                     {"sockets", total_sockets},
                     {"joined", joined},
                     {"failed", failed_to_join},
                     {"pending", pending},
                     {"users", p.users.size()},
                     {"rooms", p.rooms.size()},
                     {"setup_s", round_to(p.setup_s, 2)},
                     {"join_s", round_to(join_s, 2)}};
    json::object failures;
    for (auto& [k, v] : total.failures) failures[k] = v;
    json::object errors;
    for (auto& [k, v] : total.errors) errors[k] = v;
    out["failures"] = std::move(failures);
    out["error_frames"] = std::move(errors);
    if (o.scenario == "idle") {
        out["rss_before_kib"] = rss_before;
        out["rss_after_kib"] = rss_after;
        out["rss_closed_kib"] = rss_closed;
        if (rss_before >= 0 && rss_after >= 0 && joined > 0)
            out["bytes_per_socket"] = round_to(double(rss_after - rss_before) * 1024.0 / joined, 0);
    } else {
        json::array phases;
        for (auto& r : results) {
            phases.push_back(json::object{{"name", r.name},
                                          {"rate", r.rate},
                                          {"seconds", r.seconds},
                                          {"warmup", r.warmup},
                                          {"events_sent", r.sent},
                                          {"events_acked", r.acked},
                                          {"events_per_s", round_to(r.events_per_s, 1)},
                                          {"trigger_errors", r.trigger_errors},
                                          {"trigger_error", r.first_error},
                                          {"expected", r.expected},
                                          {"received", r.received},
                                          {"lost", r.lost},
                                          {"measured", r.live},
                                          {"msgs_per_s", round_to(r.msgs_per_s, 0)},
                                          {"p50_ms", round_to(r.latency.percentile_ms(50), 3)},
                                          {"p90_ms", round_to(r.latency.percentile_ms(90), 3)},
                                          {"p99_ms", round_to(r.latency.percentile_ms(99), 3)},
                                          {"p999_ms", round_to(r.latency.percentile_ms(99.9), 3)},
                                          {"max_ms", round_to(r.latency.max_ms(), 3)},
                                          {"mean_ms", round_to(r.latency.mean_ms(), 3)},
                                          {"server_cpu_pct", round_to(r.server_cpu_pct, 1)},
                                          {"server_cpu_us_per_msg", round_to(r.server_cpu_us_per_msg, 2)},
                                          {"loadgen_cpu_pct", round_to(r.self_cpu_pct, 1)}});
        }
        out["phases"] = std::move(phases);
        out["run_s"] = round_to(run_seconds, 2);
        out["server_cpu_s"] = round_to(run_server_cpu, 2);
        out["server_cpu_pct"] =
            run_seconds > 0 && run_server_cpu >= 0 ? round_to(run_server_cpu / run_seconds * 100, 1) : -1.0;
        out["loadgen_cpu_pct"] = run_seconds > 0 ? round_to(run_self_cpu / run_seconds * 100, 1) : 0.0;
        out["replayed"] = total.replayed;
        out["duplicates"] = total.duplicates;
        out["seq_gaps"] = total.gaps;
        out["unmatched"] = total.unmatched;
        out["score_mismatch"] = total.score_mismatch;
        out["other_events"] = total.other_events;
        out["pre_run_events"] = total.pre_run_events;
        out["event_bytes"] = total.voted ? round_to(double(total.voted_bytes) / double(total.voted), 0) : 0.0;
        out["unrecovered"] = total.unrecovered;
        out["disconnects"] = total.disconnects;
        out["reconnects"] = total.reconnects;
        out["reconnect_failures"] = total.reconnect_failures;
    }
    if (o.json) {
        std::cout << json::serialize(out) << "\n";
    } else {
        if (o.scenario == "idle") {
            std::cout << "server RSS: " << rss_before << " KiB before, " << rss_after << " KiB with " << joined
                      << " sockets joined, " << rss_closed << " KiB after they closed\n";
            if (out.contains("bytes_per_socket"))
                std::cout << "memory per socket: " << out["bytes_per_socket"].to_number<double>() << " bytes ("
                          << fmt(out["bytes_per_socket"].to_number<double>() / 1024, 2) << " KiB)\n";
        }
        for (auto& r : results) {
            std::cout << "phase " << r.name << ": "
                      << (r.rate > 0 ? fmt(r.rate, 1) + " events/s per room"
                                     : "saturating, window " + std::to_string(o.window))
                      << " for " << fmt(r.seconds, 0) << " s (first " << fmt(r.warmup, 0) << " s not measured)\n"
                      << "  events sent " << r.sent << " (" << fmt(r.events_per_s, 1) << "/s), acknowledged " << r.acked
                      << ", trigger errors " << r.trigger_errors
                      << (r.first_error.empty() ? "" : " (" + r.first_error + ")") << "\n"
                      << "  deliveries " << r.received << " of " << r.expected << " expected, lost " << r.lost << "\n"
                      << "  delivered msgs/s " << fmt(r.msgs_per_s, 0) << "; latency ms p50 "
                      << fmt(r.latency.percentile_ms(50), 3) << " p99 " << fmt(r.latency.percentile_ms(99), 3)
                      << " max " << fmt(r.latency.max_ms(), 3) << " (" << r.live << " measured)\n"
                      << "  server CPU " << fmt(r.server_cpu_pct, 1) << " % of one core ("
                      << fmt(r.server_cpu_us_per_msg, 1) << " us per delivered message), load generator CPU "
                      << fmt(r.self_cpu_pct, 1) << " %\n";
        }
        if (o.scenario != "idle")
            std::cout << "replayed after reconnect " << total.replayed << ", reconnects " << total.reconnects
                      << " (failed " << total.reconnect_failures << "), unrecovered " << total.unrecovered
                      << ", duplicates " << total.duplicates << ", seq gaps " << total.gaps << ", unmatched "
                      << total.unmatched << ", score mismatches " << total.score_mismatch << ", other events "
                      << total.other_events << ", disconnects " << total.disconnects << "\n";
        for (auto& [k, v] : total.failures) std::cout << "socket failure x" << v << ": " << k << "\n";
        for (auto& [k, v] : total.errors) std::cout << "error frame x" << v << ": " << k << "\n";
    }
    // The streams go before their io_contexts (Beast's websocket service lives in the context).
    for (auto& sk : sockets) sk.ws.reset();
    workers.clear();
    return joined > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv)
{
    const options o = parse_options(argc, argv);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "ws-loadgen: " << e.what() << "\n";
        return 1;
    }
}
