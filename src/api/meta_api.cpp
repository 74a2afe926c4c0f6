// Service endpoints under /api: the route index (with the WebSocket message types) and the
// OpenAPI document, clock sync (/api/time, §7.9), /api/ping, /api/health (§10.1),
// /api/metrics and the public monitoring summary (§10.5).
#include "api/routes.hpp"
#include "api/ws_commands.hpp"
#include "obs/system_info.hpp"
#include "util/time_format.hpp"

#include <cmath>

namespace spotik::api {
namespace {

using boost::json::object;

const char* auth_name(http::auth_mode m)
{
    switch (m) {
        case http::auth_mode::none:
            return "none";
        case http::auth_mode::optional:
            return "optional";
        case http::auth_mode::required:
            return "jwt";
    }
    return "jwt";
}

http::reply api_index(const http::router& r, context& ctx)
{
    boost::json::array endpoints;
    for (const auto& route : r.routes())
        endpoints.push_back({{"method", route.method},
                             {"path", route.pattern},
                             {"auth", auth_name(route.options.auth)},
                             {"summary", route.options.summary}});
    boost::json::array messages;
    for (const auto& type : ws_commands::message_types()) messages.emplace_back(type);
    return http::json(200, {{"name", ctx.cfg.app.name},
                            {"version", ctx.cfg.app.version},
                            {"environment", ctx.cfg.app.env},
                            {"server", "Spotik C++ (Boost.Beast)"},
                            {"websocket_support", true},
                            {"websocket_messages", std::move(messages)},
                            {"timestamp", util::iso8601_ms(ctx.clock.now_ms())},
                            {"openapi", "/api/openapi.json"},
                            {"endpoints", std::move(endpoints)}});
}

http::reply api_time(context& ctx)
{
    std::int64_t now = ctx.clock.now_ms();
    auto rep = http::json(200, {{"timestamp", util::iso8601_ms(now)},
                                {"unix_timestamp", now / 1000},
                                {"server_time_ms", now},
                                {"timezone", "UTC"}});
    rep.set("Cache-Control", "no-store");
    return rep;
}

http::reply api_health(context& ctx)
{
    object database;
    try {
        ctx.store.ping();
        database = {{"status", "healthy"}, {"connection", "active"}, {"driver", ctx.store.driver()}};
    } catch (const std::exception&) {
        database = {{"status", "unhealthy"}, {"connection", "failed"}, {"error", "Database did not answer"}};
    }
    bool healthy = database.at("status") == "healthy";
    std::int64_t up = (ctx.clock.now_ms() - ctx.started_at_ms) / 1000;
    object system{{"memory_usage", {{"current", obs::resident_memory_mb()}, {"peak", obs::peak_memory_mb()}}},
                  {"uptime", {{"seconds", up}, {"formatted", obs::format_uptime(up)}}}};
    return http::json(healthy ? 200 : 503,
                      {{"status", healthy ? "healthy" : "unhealthy"},
                       {"timestamp", util::iso8601_ms(ctx.clock.now_ms())},
                       {"checks", {{"database", std::move(database)}, {"system", std::move(system)}}}});
}

http::reply monitoring_performance(context& ctx)
{
    double hours = double(ctx.clock.now_ms() - ctx.started_at_ms) / 3'600'000.0;
    auto total = ctx.metrics.total_requests();
    return http::json(200, {{"health_status", "healthy"},
                            {"uptime_hours", std::round(hours * 1000) / 1000},
                            {"total_operations", total},
                            {"operations_per_hour", hours > 0 ? std::round(double(total) / hours) : 0.0},
                            {"current_memory_mb", std::round(obs::resident_memory_mb() * 100) / 100},
                            {"heap_in_use_bytes", obs::heap_in_use_bytes()},
                            {"memory",
                             {{"heap_in_use_bytes", obs::heap_in_use_bytes()},
                              {"heap_free_bytes", obs::heap_free_bytes()},
                              {"store_bytes", ctx.store.status().memory_bytes}}},
                            {"current_connections", ctx.metrics.open_connections()},
                            {"requests", ctx.metrics.request_summary().at("requests")},
                            {"websocket", ctx.metrics.websocket.json()},
                            {"limits", ctx.guard ? ctx.guard->json() : boost::json::object{{"enabled", false}}}});
}

std::string openapi_path(const std::string& pattern)
{
    std::string out = pattern;
    for (auto pos = out.find("...}"); pos != std::string::npos; pos = out.find("...}")) out.erase(pos, 3);
    return out;
}

}  // namespace

object openapi_document(const http::router& r, const context& ctx)
{
    object paths;
    for (const auto& route : r.routes()) {
        object op{{"summary", route.options.summary}, {"operationId", route.method + " " + route.pattern}};
        if (!route.options.tag.empty()) op["tags"] = {route.options.tag};
        boost::json::array params;
        for (const auto& seg : route.segments)
            if (seg.size() > 2 && seg.front() == '{')
                params.push_back({{"name", openapi_path(seg).substr(1, openapi_path(seg).size() - 2)},
                                  {"in", "path"},
                                  {"required", true},
                                  {"schema", {{"type", "string"}}}});
        if (!params.empty()) op["parameters"] = std::move(params);
        if (route.options.auth == http::auth_mode::required) op["security"] = {{{"bearerAuth", boost::json::array{}}}};
        if (route.options.auth == http::auth_mode::optional)
            op["security"] = {object{}, {{"bearerAuth", boost::json::array{}}}};
        object responses{{"200", {{"description", "Success"}}}};
        if (route.options.auth == http::auth_mode::required)
            responses["401"] = {{"description", "Missing or invalid token"}};
        op["responses"] = std::move(responses);
        std::string method = route.method;
        for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto& item = paths[openapi_path(route.pattern)];
        if (!item.is_object()) item = object{};
        item.as_object()[method] = std::move(op);
    }
    return {
        {"openapi", "3.0.3"},
        {"info", {{"title", ctx.cfg.app.name + " API"}, {"version", ctx.cfg.app.version}}},
        {"paths", std::move(paths)},
        {"components",
         {{"securitySchemes", {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}}}}};
}

void add_meta_routes(http::router& r, context& ctx)
{
    using http::auth_mode;
    using http::run_on;
    r.add(
        "GET", "/api", [&r, &ctx](http::request&) { return api_index(r, ctx); },
        {.auth = auth_mode::none, .where = run_on::io, .summary = "Service information and route list", .tag = "meta"});
    r.add("GET", "/api/openapi.json", [&r, &ctx](http::request&) { return http::json(200, openapi_document(r, ctx)); },
          {.auth = auth_mode::none, .where = run_on::io, .summary = "OpenAPI 3 document", .tag = "meta"});
    r.add("GET", "/api/time", [&ctx](http::request&) { return api_time(ctx); },
          {.auth = auth_mode::none,
           .where = run_on::io,
           .rate_limited = false,
           .summary = "Server clock for sync",
           .tag = "meta"});
    r.add("GET", "/api/ping",
          [&ctx](http::request&) {
              return http::json(200, {{"status", "ok"}, {"timestamp", util::iso8601_ms(ctx.clock.now_ms())}});
          },
          {.auth = auth_mode::none, .where = run_on::io, .summary = "Liveness ping", .tag = "meta"});
    r.add("GET", "/api/health", [&ctx](http::request&) { return api_health(ctx); },
          {.auth = auth_mode::none, .summary = "Health (200 only when healthy)", .tag = "meta"});
    r.add("GET", "/api/metrics",
          [&ctx](http::request&) {
              return http::json(200, {{"timestamp", util::iso8601_ms(ctx.clock.now_ms())},
                                      {"metrics", ctx.metrics.request_summary()}});
          },
          {.auth = auth_mode::none, .where = run_on::io, .summary = "Request metrics", .tag = "meta"});
    r.add("GET", "/api/monitoring/performance", [&ctx](http::request&) { return monitoring_performance(ctx); },
          {.auth = auth_mode::none, .where = run_on::io, .summary = "Public performance summary", .tag = "meta"});
}

void build_router(http::router& r, context& ctx)
{
    add_auth_routes(r, ctx);
    add_room_routes(r, ctx);
    add_track_routes(r, ctx);
    add_playback_routes(r, ctx);
    add_media_routes(r, ctx);
    add_realtime_routes(r, ctx);
    add_health_routes(r, ctx);
    add_meta_routes(r, ctx);
}

}  // namespace spotik::api
