// Shared pieces of the soak driver (bench/soak/soak.cpp): the tallies every load thread adds to,
// the board of rooms the WebSocket clients pick from, and the two kinds of load threads.
#pragma once
#include "support/http_client.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace soak {

using clock = std::chrono::steady_clock;

// Everything counted during the run, by name. One lock: the rates are a few hundred per second.
class tally {
public:
    void served(const std::string& kind) { add(served_, kind); }
    // A refusal the load expects now and then (a playback precondition lost to auto-advance, a
    // room its owner deleted meanwhile): counted, not an error.
    void refused(const std::string& what) { add(refused_, what); }
    void error(const std::string& what, const std::string& detail = {});
    void ws_event(const std::string& type) { add(ws_events_, type); }
    void ws(const std::string& what) { add(ws_, what); }

    struct snapshot {
        std::map<std::string, std::uint64_t> served, refused, errors, ws_events, ws;
        std::vector<std::string> samples;  // the first error details, for the report
    };
    snapshot take() const;

private:
    void add(std::map<std::string, std::uint64_t>& m, const std::string& key);
    mutable std::mutex mutex_;
    std::map<std::string, std::uint64_t> served_, refused_, errors_, ws_events_, ws_;
    std::vector<std::string> samples_;
};

// The rooms that exist right now (created by the HTTP workers, removed before they delete them).
class room_board {
public:
    void add(const std::string& id);
    void remove(const std::string& id);
    std::optional<std::string> pick(std::mt19937_64& rng) const;

private:
    mutable std::mutex mutex_;
    std::vector<std::string> rooms_;
};

struct fixture {
    std::string name, content_type, bytes;
};

struct settings {
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    int http_workers = 4;
    int ws_clients = 8;
    int think_ms = 10;            // pause after each HTTP action of a worker
    int room_lifetime_s = 120;    // a worker deletes its rooms (tracks, files) after this
    int max_tracks_per_room = 6;  // the oldest track is deleted before another upload
    std::vector<fixture> fixtures;
};

struct shared {
    const settings& cfg;
    tally& counts;
    room_board& board;
    std::atomic<bool>& stop;
    clock::time_point end;
};

// Sends one request, counts it under `kind` when its status is in `ok`, as a refusal when it is
// in `tolerated`, otherwise (or on a transport failure) as an error. nullopt unless in `ok`.
std::optional<spotik::test::http_response> call(tally& counts, const std::string& kind,
                                                const std::function<spotik::test::http_response()>& send,
                                                std::initializer_list<int> ok,
                                                std::initializer_list<int> tolerated = {});

void run_http_worker(shared& ctx, int index);
void run_ws_client(shared& ctx, int index);

// Sleeps up to `ms`, in short steps, returning early once the run is over.
void nap(const shared& ctx, int ms);
inline bool running(const shared& ctx)
{
    return !ctx.stop.load() && clock::now() < ctx.end;
}

}  // namespace soak
