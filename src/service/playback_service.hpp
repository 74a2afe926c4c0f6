// Playback use cases (CONTRACT §7): start, pause, resume, skip, stop, seek and status for
// the room administrator; auto-start on upload; auto-advance when a track ends, driven by a
// track_end_scheduler. Every change is a compare-and-set on the room's playback columns, so
// concurrent commands, timers and replicas never overwrite each other. Blocking: call on
// the blocking pool. Storage failures propagate as exceptions.
#pragma once
#include "domain/failure.hpp"
#include "domain/playback.hpp"
#include "service/advance_lease.hpp"
#include "service/room_events.hpp"

#include <functional>
#include <optional>

namespace spotik::service {

// Wakes the service when a room's current track should have ended.
class track_end_scheduler {
public:
    virtual ~track_end_scheduler() = default;
    virtual void schedule(const std::string& room_id, std::int64_t at_ms) = 0;
    virtual void cancel(const std::string& room_id) = 0;
};

class null_track_end_scheduler final : public track_end_scheduler {
public:
    void schedule(const std::string&, std::int64_t) override {}
    void cancel(const std::string&) override {}
};

struct playback_change {
    storage::room_record room;                      // the room after the change
    std::optional<storage::track_record> track;     // the current track after the change
    std::optional<storage::track_record> previous;  // the current track before the change
    std::int64_t at_ms = 0;                         // the instant of the change
    double position_s = 0;                          // pause/resume: P - S
};

class playback_service {
public:
    playback_service(storage::store& store, room_events& events, track_end_scheduler& scheduler,
                     const config::config& cfg, const util::clock& clock);

    domain::result<playback_change> start(std::string_view room_id, std::string_view track_id,
                                          const storage::user_record& caller);
    domain::result<playback_change> pause(std::string_view room_id, const storage::user_record& caller);
    domain::result<playback_change> resume(std::string_view room_id, const storage::user_record& caller);
    domain::result<playback_change> skip(std::string_view room_id, const storage::user_record& caller);
    domain::result<playback_change> stop(std::string_view room_id, const storage::user_record& caller);
    // invalid_input: position beyond the track's duration (negative is rejected by the caller).
    domain::result<playback_change> seek(std::string_view room_id, const storage::user_record& caller,
                                         double position_s);

    // Starts `track` if the room is idle (no current track, not playing). True if it did.
    bool auto_start(const storage::track_record& track);
    // The current track was deleted (its row is gone and the room already reset to idle).
    void on_current_track_deleted(const std::string& room_id, const storage::track_record& track);
    // Timer callback: advances the room if its current track has ended.
    void advance_if_ended(const std::string& room_id);
    // At start-up: advance rooms whose track ended while the server was down, schedule the rest.
    // With several replicas, also periodically and after the bus reconnects: every replica
    // keeps a timer for every playing room, so a replica that dies leaves no room stuck.
    void restore_timers();
    // Another replica changed the room's playback: re-arm (or cancel) this replica's timer.
    void refresh_timer(const std::string& room_id);
    // Several replicas: only the lease holder advances a given track end (set before serving).
    void set_lease(advance_lease* lease) { lease_ = lease; }
    void forget_room(const std::string& room_id) { scheduler_.cancel(room_id); }

private:
    // Given the room, its current track (as read for this attempt; none when idle or deleted)
    // and `now`, the single instant of the change: stored in the columns and reported in events.
    using transition = std::function<std::optional<storage::playback_columns>(
        const storage::room_record&, const std::optional<storage::track_record>& current, std::int64_t now)>;
    // Reads the room, checks the administrator, applies `next` with compare-and-set (retrying
    // on a concurrent change). invalid_state when `next` refuses.
    domain::result<playback_change> change(std::string_view room_id, const storage::user_record* caller,
                                           const transition& next);
    void reschedule(const storage::room_record& room, const std::optional<storage::track_record>& track);
    std::optional<storage::track_record> next_track(const storage::room_record& room);

    storage::store& store_;
    room_events& events_;
    track_end_scheduler& scheduler_;
    advance_lease* lease_ = nullptr;
    const config::config& cfg_;
    const util::clock& clock_;
};

}  // namespace spotik::service
