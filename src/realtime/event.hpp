// A room event as the use cases emit it (CONTRACT §9.6): a type, a JSON payload and a
// delivery scope. The event bus stamps it with the room's sequence number and delivers it
// to the sockets that joined the room, whichever replica they are on.
#pragma once
#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace spotik::realtime {

struct room_event {
    std::string room_id;
    std::string type;
    boost::json::object data;
    // Users whose own sockets must not receive this event (the voter of a track_voted).
    std::vector<std::string> exclude_user_ids;
};

// Where use cases send events. Implementations must be thread-safe and must not block
// for long (they are called from the blocking pool after the database write succeeded).
class event_sink {
public:
    virtual ~event_sink() = default;
    virtual void publish(room_event event) = 0;
};

// Drops everything: for a server without realtime delivery and for unit tests.
class null_event_sink final : public event_sink {
public:
    void publish(room_event) override {}
};

}  // namespace spotik::realtime
