// HTTP side of the real-time channel: GET /ws without an upgrade (CONTRACT §9.1) and
// GET /api/websocket/status (§10.7), which never lists user ids to anonymous callers.
#include "api/common.hpp"
#include "api/routes.hpp"
#include "util/time_format.hpp"

namespace spotik::api {

void add_realtime_routes(http::router& r, context& ctx)
{
    r.add("GET", "/ws", [](http::request&) { return http::error_b(400, "WebSocket upgrade required"); },
          {.auth = http::auth_mode::required,
           .where = http::run_on::io,
           .rate_limited = false,
           .summary = "Native WebSocket (upgrade with ?token=, Authorization or a token.<jwt> subprotocol)",
           .tag = "realtime"});
    r.add("GET", "/api/websocket/status",
          with_optional_user(ctx.auth,
                             [&ctx](http::request&, const service::authenticated* who) {
                                 auto stats = ctx.hub.stats();
                                 boost::json::object rooms;
                                 for (const auto& [id, n] : stats.sockets_per_room) rooms[id] = n;
                                 boost::json::object conn{{"total_connections", ctx.metrics.websocket.open.load()},
                                                          {"room_connections", std::move(rooms)},
                                                          {"events_published", stats.events_published},
                                                          {"frames_delivered", stats.frames_delivered},
                                                          {"history_bytes", stats.history_bytes}};
                                 boost::json::object body{{"websocket_enabled", true},
                                                          {"connection_stats", std::move(conn)},
                                                          {"counters", ctx.metrics.websocket.json()},
                                                          {"server_time", util::iso8601_ms(ctx.clock.now_ms())}};
                                 if (who) body["authenticated"] = true;
                                 return http::json(200, body);
                             }),
          {.auth = http::auth_mode::optional, .summary = "WebSocket figures", .tag = "realtime"});
}

}  // namespace spotik::api
