// What the API handlers are given: the services, configuration, clock and metrics. Built
// once by the application and outliving the server.
#pragma once
#include "config/config.hpp"
#include "limits/guard.hpp"
#include "obs/metrics.hpp"
#include "realtime/bus_status.hpp"
#include "realtime/hub.hpp"
#include "realtime/presence.hpp"
#include "service/auth_service.hpp"
#include "service/playback_service.hpp"
#include "service/room_events.hpp"
#include "service/room_service.hpp"
#include "service/track_service.hpp"
#include "storage/store.hpp"
#include "util/clock.hpp"

namespace spotik::api {

struct context {
    const config::config& cfg;
    const util::clock& clock;
    storage::store& store;
    obs::metrics& metrics;
    service::auth_service& auth;
    service::room_service& rooms;
    service::room_events& events;
    service::track_service& tracks;
    service::playback_service& playback;
    realtime::hub& hub;
    std::int64_t started_at_ms = 0;
    const realtime::bus_monitor* bus = nullptr;    // the Redis bus; nullptr with one process
    limits::guard* guard = nullptr;                // abuse controls (login throttling here)
    const realtime::presence* presence = nullptr;  // users with sockets open here
};

}  // namespace spotik::api
