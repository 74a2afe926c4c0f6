// The order of a room's changes across replicas. Within one process room_events::turn orders
// them; with several replicas on one Redis, a turn also takes the room's shared turn, so a
// change made on one replica is told (published) before a later change on another replica is
// made. take() blocks briefly (Redis round trips, and the wait for another replica's turn):
// call on the blocking pool.
#pragma once
#include <string>

namespace spotik::service {

class room_order {
public:
    virtual ~room_order() = default;
    // Waits until no other replica holds the room's turn and takes it. Returns a token for
    // give_back(), or "" when the shared order cannot be had (Redis unreachable, or the holder
    // kept it past the wait): the change then goes ahead in this process's order alone.
    virtual std::string take(const std::string& room_id) = 0;
    // Hands the turn back once the events published before this call are out.
    virtual void give_back(const std::string& room_id, const std::string& token) = 0;
};

}  // namespace spotik::service
