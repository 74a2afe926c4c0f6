// Registration of every API area on the router. Each add_*_routes lives in its own file.
#pragma once
#include "api/context.hpp"
#include "http/router.hpp"

namespace spotik::api {

void add_auth_routes(http::router& r, context& ctx);
void add_room_routes(http::router& r, context& ctx);
void add_track_routes(http::router& r, context& ctx);
void add_playback_routes(http::router& r, context& ctx);
void add_media_routes(http::router& r, context& ctx);
void add_health_routes(http::router& r, context& ctx);
// GET /ws without an upgrade (400) and GET /api/websocket/status.
void add_realtime_routes(http::router& r, context& ctx);
// /api, /api/openapi.json (generated from `r` itself), time, ping, health and metrics.
void add_meta_routes(http::router& r, context& ctx);

// All of the above. The router must outlive the server (the OpenAPI route reads it).
void build_router(http::router& r, context& ctx);

// The OpenAPI 3 document describing every route of `r`.
boost::json::object openapi_document(const http::router& r, const context& ctx);

}  // namespace spotik::api
