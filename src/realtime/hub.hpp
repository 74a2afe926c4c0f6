// The room hub: which WebSocket clients joined which room, per-room sequence numbers, and a
// bounded per-room history for replay after a reconnect. publish() serializes an event once
// and shares the buffer with every recipient; delivery happens under the room's lock so
// every client sees a room's events in sequence order. Thread-safe.
#pragma once
#include "realtime/event.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace spotik::realtime {

using frame = std::shared_ptr<const std::string>;

// A connected socket as the hub sees it. deliver() must be cheap and thread-safe.
class hub_client {
public:
    virtual ~hub_client() = default;
    virtual void deliver(const frame& f) = 0;
    virtual std::string_view user_id() const = 0;
};

// An event numbered elsewhere (the Redis bus gives every room event the same seq on every
// replica); `f` is the whole envelope, seq included.
struct sequenced_event {
    std::string room_id;
    std::uint64_t seq = 0;
    std::string type;
    frame f;
    std::vector<std::string> exclude_user_ids;
};

class hub;

// Where the hub finds events it does not have (the Redis bus's shared per-room history): a
// catch-up hands them to hub::deliver in seq order. Called on the blocking pool.
class history_source {
public:
    virtual ~history_source() = default;
    virtual void catch_up(const std::string& room_id) = 0;
};

struct join_result {
    std::uint64_t current_seq = 0;
    bool recovered = true;  // false: last_seq is older than the history keeps, or in the future
    std::size_t replayed = 0;
};

struct hub_stats {
    std::size_t rooms = 0;
    std::size_t sockets_in_rooms = 0;
    std::map<std::string, std::size_t> sockets_per_room;
    std::uint64_t events_published = 0;
    std::uint64_t frames_delivered = 0;
    std::size_t history_bytes = 0;  // kept for replay, all rooms
};

class hub final : public event_sink {
public:
    // Each room keeps its last `history_size` events, and no more than `history_max_bytes` of
    // them (the newest is always kept): a room_state_updated carries the whole room, so a count
    // alone would let busy rooms hold megabytes each.
    explicit hub(std::size_t history_size = 256, std::size_t history_max_bytes = 1 << 20);

    // Assigns the room's next seq, serializes {"type","data","timestamp","seq"} once, keeps it
    // in the history and delivers it to every joined client not excluded. After a user_left
    // (here or in deliver), the leaving user's clients are dropped from the room.
    void publish(room_event event) override;

    // Already-sequenced delivery (the Redis bus). An event newer than any the room has seen is
    // kept in the history and, if to_clients, delivered like publish() does; an older one only
    // fills a hole in the history. Callers deliver a room's events in seq order (several
    // callers may overlap: each seq reaches a client once). Returns true if it was new.
    bool deliver(const sequenced_event& e, bool to_clients = true);
    // Before join(): lets the history source catch up when the room is unknown here or when
    // last_seq is older than the local history or newer than the room's seq here.
    void prepare_join(const std::string& room_id, std::optional<std::uint64_t> last_seq);
    void set_history_source(history_source* source) { source_ = source; }
    // Where a room's numbering starts when the hub first meets the room (0 unless set). Without
    // a shared bus the numbering starts over with the server: starting it at 1000 times the
    // clock's milliseconds puts a new run's seqs above any the previous run handed out (short
    // of a room's events outpacing 1000 a millisecond), so a last_seq from before a restart is
    // never mistaken for one of the new run's (and seqs stay below 2^53, exact in JavaScript,
    // until the year 2255). Set before the hub is used.
    void set_first_seq(std::function<std::uint64_t()> first_seq) { first_seq_ = std::move(first_seq); }
    std::vector<std::string> room_ids() const;

    // Adds the client to the room. `first` frames (the join reply) are delivered before any
    // replayed or later event; with last_seq, the events after it are replayed in order (a
    // last_seq older than the history or newer than the room's seq is not recovered).
    join_result join(const std::string& room_id, const std::shared_ptr<hub_client>& client,
                     const std::vector<frame>& first, std::optional<std::uint64_t> last_seq);
    void leave(const std::string& room_id, const hub_client* client);
    // Drops every client of a room (publish and deliver do it after a room_deleted event).
    void close_room(const std::string& room_id);

    std::uint64_t current_seq(const std::string& room_id);
    hub_stats stats() const;
    // The rooms where the user has a socket joined, sorted (a scan of every room: for status
    // pages, not for hot paths).
    std::vector<std::string> rooms_of(std::string_view user_id) const;

    // A whole envelope for a direct message (no seq): {"type","data","timestamp"}.
    static frame make_frame(std::string_view type, boost::json::object data);

private:
    struct past_event {
        std::uint64_t seq;
        frame f;
        std::vector<std::string> excluded;  // users whose sockets do not get it (a voter's own)
    };
    struct room {
        std::mutex mutex;
        std::uint64_t seq = 0;
        std::deque<past_event> history;
        std::size_t history_bytes = 0;  // of the frames in history
        std::vector<std::weak_ptr<hub_client>> clients;
        std::vector<hub_client*> raw;  // same order as clients, for removal by address
    };
    std::shared_ptr<room> find_or_create(const std::string& room_id);
    // Delivers f to every client of r not excluded; r's mutex is held.
    std::size_t fan_out(room& r, const frame& f, const std::vector<std::string>& exclude_user_ids);
    // Drops the user's clients from r (after user_left: leaving over HTTP ends the sockets'
    // share of the room's events too); r's mutex is held.
    static void detach_user(room& r, const std::string& user_id);
    // r's mutex is held.
    static bool replayable(const room& r, std::uint64_t last_seq);
    std::shared_ptr<room> find(const std::string& room_id) const;
    // A copy of the room map, so that rooms are locked one at a time with the map's lock free.
    std::vector<std::pair<std::string, std::shared_ptr<room>>> all_rooms() const;
    // Keeps r's history within both bounds, dropping the oldest events; r's mutex is held.
    void trim_history(room& r) const;

    std::size_t history_size_;
    std::size_t history_max_bytes_;
    history_source* source_ = nullptr;
    std::function<std::uint64_t()> first_seq_;
    mutable std::mutex rooms_mutex_;
    std::unordered_map<std::string, std::shared_ptr<room>> rooms_;
    std::atomic<std::uint64_t> published_{0};
    std::atomic<std::uint64_t> delivered_{0};
};

}  // namespace spotik::realtime
