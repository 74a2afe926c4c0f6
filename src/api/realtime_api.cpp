// HTTP side of the real-time channel: GET /ws without an upgrade (CONTRACT §9.1) and
// GET /api/websocket/status (§10.7), which never lists user ids to anonymous callers.
#include "api/common.hpp"
#include "api/routes.hpp"
#include "util/time_format.hpp"

namespace spotik::api {
namespace {

// CONTRACT §10.7: what every caller sees, plus, for a signed-in caller, the number of users
// connected and the caller's own sockets and rooms (never anyone else's). Figures are this
// process's: behind nginx each replica answers for its own sockets.
http::reply websocket_status(context& ctx, const service::authenticated* who)
{
    auto stats = ctx.hub.stats();
    boost::json::object rooms;
    for (const auto& [id, n] : stats.sockets_per_room) rooms[id] = n;
    boost::json::object conn{{"total_connections", ctx.metrics.websocket.open.load()},
                             {"room_connections", std::move(rooms)},
                             {"events_published", stats.events_published},
                             {"frames_delivered", stats.frames_delivered},
                             {"history_bytes", stats.history_bytes}};
    boost::json::object body{{"websocket_enabled", true}};
    if (who) {
        const auto& user_id = who->user.id;
        auto sockets = ctx.presence ? ctx.presence->sockets_of(user_id) : 0;
        auto joined = ctx.hub.rooms_of(user_id);
        conn["authenticated_users"] = ctx.presence ? ctx.presence->users() : 0;
        body["authenticated"] = true;
        body["user_connected"] = sockets > 0;
        body["user_connections"] = sockets;
        // One room in the usual case (the Vue client opens one socket); the first in id order
        // when the user's sockets sit in several, all of them listed in user_rooms.
        body["user_room"] = joined.empty() ? boost::json::value(nullptr) : boost::json::value(joined.front());
        boost::json::array all;
        for (auto& id : joined) all.emplace_back(std::move(id));
        body["user_rooms"] = std::move(all);
    }
    body["connection_stats"] = std::move(conn);
    body["counters"] = ctx.metrics.websocket.json();
    body["server_time"] = util::iso8601_ms(ctx.clock.now_ms());
    return http::json(200, body);
}

}  // namespace

void add_realtime_routes(http::router& r, context& ctx)
{
    r.add("GET", "/ws", [](http::request&) { return http::error_b(400, "WebSocket upgrade required"); },
          {.auth = http::auth_mode::required,
           .where = http::run_on::io,
           .rate_limited = false,
           .summary = "Native WebSocket (upgrade with ?token=, Authorization or a token.<jwt> subprotocol)",
           .tag = "realtime"});
    r.add(
        "GET", "/api/websocket/status",
        with_optional_user(
            ctx.auth, [&ctx](http::request&, const service::authenticated* who) { return websocket_status(ctx, who); }),
        {.auth = http::auth_mode::optional, .summary = "WebSocket figures", .tag = "realtime"});
}

}  // namespace spotik::api
