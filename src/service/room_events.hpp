// Builds the room events of CONTRACT §9.6 with the exact fields the Vue client reads (ISO
// dates, full Track objects, the §7.1 playback rules) and hands them to the event sink.
// Called after the database change succeeded; storage reads here may throw.
#pragma once
#include "realtime/event.hpp"
#include "service/room_order.hpp"
#include "service/room_service.hpp"

#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace spotik::service {

// A room's turn (room_events::turn): held until unlock() or destruction. The outermost turn of
// a thread on a room also holds the room's shared turn when there is a room_order, and gives
// it back after the events told meanwhile.
class room_turn {
public:
    room_turn(std::recursive_mutex& m, room_order* order, std::string_view room_id);
    room_turn(const room_turn&) = delete;
    room_turn& operator=(const room_turn&) = delete;
    ~room_turn() { unlock(); }
    void unlock();

private:
    std::unique_lock<std::recursive_mutex> lock_;
    room_order* order_ = nullptr;
    std::string room_id_, token_;
    bool outermost_ = false;
};

class room_events {
public:
    room_events(realtime::event_sink& sink, room_service& rooms, const config::config& cfg, const util::clock& clock);

    void user_joined(const std::string& room_id, const storage::participant_record& p);
    void user_left(const std::string& room_id, const storage::user_record& user);
    void track_added(const storage::track_record& track);
    void track_removed(const std::string& room_id, const std::string& track_id);
    void track_voted(const storage::track_record& track, const storage::user_record& voter, bool added);
    void playback_started(const std::string& room_id, const storage::track_record& track, std::int64_t started_at,
                          bool auto_started);
    void playback_paused(const std::string& room_id, const storage::track_record& track,
                         const storage::playback_columns& c);
    void playback_resumed(const std::string& room_id, const storage::track_record& track, std::int64_t resumed_at,
                          const storage::playback_columns& c, double position_s);
    // next == nullopt: the stop shim of §7.6 (reason "stopped" or "no_more_tracks").
    void track_skipped(const std::string& room_id, const std::optional<storage::track_record>& skipped,
                       const std::optional<storage::track_record>& next, std::int64_t server_time,
                       const std::string& reason);
    void playback_stopped(const std::string& room_id, const std::optional<storage::track_record>& previous,
                          const std::string& reason);
    void room_state_updated(const std::string& room_id);
    void room_deleted(const std::string& room_id, const std::string& name);

    boost::json::object track(const storage::track_record& t) const;

    // The room's turn: a change committed and told while it is held reaches the sockets after
    // the changes told before it, so events leave in the order the changes were committed
    // (otherwise two votes committed one after the other can be published the other way round,
    // and a client applying them in order keeps the older score). Held from before the write
    // until its events are out; it may be taken again by the same thread. Across replicas
    // through the room_order when one is set (before any turn is taken).
    [[nodiscard]] room_turn turn(std::string_view room_id);
    void set_order(room_order* order) { order_ = order; }

private:
    void emit(const std::string& room_id, std::string type, boost::json::object data,
              std::vector<std::string> exclude = {});

    realtime::event_sink& sink_;
    room_service& rooms_;
    const config::config& cfg_;
    const util::clock& clock_;
    std::array<std::recursive_mutex, 64> turns_;  // by hash of the room id
    room_order* order_ = nullptr;
};

}  // namespace spotik::service
