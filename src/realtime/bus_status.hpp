// What /health and /api/websocket/status report about the event bus: in-process, or Redis
// with its connection state and counters. Implementations must be cheap and thread-safe.
#pragma once
#include <cstdint>
#include <string>

namespace spotik::realtime {

struct bus_status {
    std::string mode = "in-process";  // in-process | redis
    bool connected = true;
    std::string state = "connected";  // connected | connecting | disconnected
    std::string last_error;           // never holds a password
    std::int64_t state_since_ms = 0;
    std::uint64_t published = 0;      // events numbered by Redis
    std::uint64_t received = 0;       // events received from the channel
    std::uint64_t local_only = 0;     // events delivered locally while Redis was down
    std::uint64_t outbox = 0;         // of those, waiting to be forwarded
    std::uint64_t outbox_dropped = 0;
    std::uint64_t reconnects = 0;
};

class bus_monitor {
public:
    virtual ~bus_monitor() = default;
    virtual bus_status status() const = 0;
};

}  // namespace spotik::realtime
