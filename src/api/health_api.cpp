// Probes at the root (CONTRACT §10.2, §13 F3): /health (200 healthy or degraded, 503
// unhealthy), /health/basic, /health/database, /health/configuration, /health/storage,
// /ready and /live. No secret and no filesystem path appears in any of them.
#include "api/routes.hpp"
#include "config/load.hpp"
#include "obs/system_info.hpp"
#include "util/time_format.hpp"

#include <charconv>
#include <chrono>
#include <cmath>

namespace spotik::api {
namespace {

using boost::json::object;

object uptime_json(context& ctx)
{
    std::int64_t s = (ctx.clock.now_ms() - ctx.started_at_ms) / 1000;
    return {{"seconds", s}, {"formatted", obs::format_uptime(s)}};
}

object pool_stats(const storage::store_status& s)
{
    return {{"size", s.size}, {"max_size", s.max_size}, {"allocated", s.in_use}, {"available", s.idle}};
}

object database_check(context& ctx)
{
    auto t0 = std::chrono::steady_clock::now();
    object out;
    try {
        ctx.store.ping();
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        out = {{"status", "healthy"}, {"database", "connected"}, {"driver", ctx.store.driver()},
               {"response_time_ms", std::round(ms * 100) / 100}};
    } catch (const std::exception&) {
        out = {{"status", "unhealthy"}, {"database", "disconnected"}, {"driver", ctx.store.driver()},
               {"error", "Database did not answer"}};
    }
    if (const auto s = ctx.store.status(); s.max_size > 0) out["pool_stats"] = pool_stats(s);
    out["timestamp"] = util::iso8601_ms(ctx.clock.now_ms());
    return out;
}

// Where the data lives and how the pool is sized; never a password or a file path.
object database_configuration(context& ctx)
{
    const auto& db = ctx.cfg.database;
    object out{{"driver", db.driver}, {"pool_max", db.pool_max}};
    if (db.driver != "postgres") return out;
    // target is "host:port/name" once a connection was made (the URL may override DB_*).
    const std::string target = ctx.store.status().target;
    const auto slash = target.rfind('/');
    const auto colon = target.rfind(':', slash);
    if (slash != std::string::npos && colon != std::string::npos) {
        out["host"] = target.substr(0, colon);
        const std::string port = target.substr(colon + 1, slash - colon - 1);
        std::int64_t number = 0;
        if (std::from_chars(port.data(), port.data() + port.size(), number).ec == std::errc{}) out["port"] = number;
        out["name"] = target.substr(slash + 1);
    }
    out["pool_min"] = db.pool_min;
    out["pool_timeout"] = db.pool_timeout_s;
    return out;
}

object storage_check(context& ctx)
{
    const auto& s = ctx.cfg.storage;
    object paths;
    int ok = 0;
    for (const auto& [name, dir] : {std::pair{"audio", s.audio_path}, {"public", s.public_path}, {"temp", s.temp_path}}) {
        auto problem = config::check_writable_dir(dir);
        auto space = obs::disk_space_of(dir);
        object entry{{"status", problem ? "unhealthy" : "healthy"}, {"exists", !problem}, {"writable", !problem}};
        if (space) entry["free_space_mb"] = std::int64_t(space->free / (1024 * 1024));
        paths[name] = std::move(entry);
        ok += problem ? 0 : 1;
    }
    return {{"status", ok == 3 ? "healthy" : "unhealthy"}, {"accessible_paths", ok}, {"total_paths", 3},
            {"storage_paths", std::move(paths)}};
}

object configuration_check(context& ctx)
{
    std::vector<std::string> warnings;
    auto errors = config::validate(ctx.cfg, warnings);
    boost::json::array e(errors.begin(), errors.end()), w(warnings.begin(), warnings.end());
    const char* status = !errors.empty() ? "unhealthy" : !warnings.empty() ? "degraded" : "healthy";
    return {{"status", status}, {"validation_errors", std::move(e)}, {"validation_warnings", std::move(w)}};
}

// The event bus: always healthy in-process; with Redis, degraded (not unhealthy) while it is
// unreachable, because local delivery goes on.
object redis_check(context& ctx)
{
    if (!ctx.bus) return {{"status", "healthy"}, {"mode", "in-process"}, {"connection", "not configured"}};
    auto s = ctx.bus->status();
    object o{{"status", s.connected ? "healthy" : "degraded"},
             {"mode", "redis"},
             {"connection", s.connected ? "active" : "failed"},
             {"state", s.state},
             {"state_since", util::iso8601_ms(s.state_since_ms)},
             {"events_published", s.published},
             {"events_received", s.received},
             {"events_delivered_locally_only", s.local_only},
             {"outbox", s.outbox},
             {"outbox_dropped", s.outbox_dropped},
             {"reconnects", s.reconnects}};
    if (!s.connected && !s.last_error.empty()) o["error"] = s.last_error;
    return o;
}

std::string overall(std::initializer_list<const object*> parts)
{
    std::string status = "healthy";
    for (const auto* p : parts) {
        auto s = p->at("status").as_string();
        if (s == "unhealthy") return "unhealthy";
        if (s == "degraded") status = "degraded";
    }
    return status;
}

http::reply health(context& ctx)
{
    auto db = database_check(ctx);
    auto storage = storage_check(ctx);
    auto conf = configuration_check(ctx);
    auto redis = redis_check(ctx);
    std::string status = overall({&db, &storage, &conf, &redis});
    object body{{"status", status},
                {"timestamp", util::iso8601_ms(ctx.clock.now_ms())},
                {"version", ctx.cfg.app.version},
                {"environment", ctx.cfg.app.env},
                {"uptime", uptime_json(ctx)},
                {"configuration", std::move(conf)},
                {"database", std::move(db)},
                {"storage", std::move(storage)},
                {"redis", std::move(redis)},
                {"performance", {{"status", "healthy"}, {"memory_usage_mb", obs::resident_memory_mb()},
                                 {"total_requests", ctx.metrics.total_requests()},
                                 {"open_connections", ctx.metrics.open_connections()}}}};
    return http::json(status == "unhealthy" ? 503 : 200, body);
}

http::reply health_database(context& ctx)
{
    auto db = database_check(ctx);
    std::string status(db.at("status").as_string());
    object body{{"timestamp", util::iso8601_ms(ctx.clock.now_ms())}, {"status", status}};
    if (const auto* stats = db.if_contains("pool_stats")) body["pool_stats"] = *stats;
    body["database"] = std::move(db);
    body["configuration"] = database_configuration(ctx);
    return http::json(status == "healthy" ? 200 : 503, body);
}

http::reply health_redis(context& ctx)
{
    auto redis = redis_check(ctx);
    std::string status(redis.at("status").as_string());
    return http::json(status == "healthy" ? 200 : 503,
                      {{"timestamp", util::iso8601_ms(ctx.clock.now_ms())}, {"status", status}, {"redis", std::move(redis)}});
}

http::reply health_configuration(context& ctx)
{
    auto conf = configuration_check(ctx);
    boost::json::array vars;
    for (const auto& [k, v] : config::describe(ctx.cfg)) vars.push_back({{"key", k}, {"value", v}});
    conf["environment_variables"] = std::move(vars);
    std::string status(conf.at("status").as_string());
    return http::json(status == "unhealthy" ? 503 : 200, {{"timestamp", util::iso8601_ms(ctx.clock.now_ms())},
                                                         {"status", status},
                                                         {"configuration", std::move(conf)}});
}

http::reply health_storage(context& ctx)
{
    auto storage = storage_check(ctx);
    std::string status(storage.at("status").as_string());
    return http::json(status == "healthy" ? 200 : 503,
                      {{"status", status},
                       {"timestamp", util::iso8601_ms(ctx.clock.now_ms())},
                       {"storage_paths", storage.at("storage_paths")},
                       {"configuration", {{"max_file_size_mb", ctx.cfg.storage.max_file_size_mb},
                                          {"allowed_formats", {"mp3", "wav", "m4a"}}}}});
}

http::reply ready(context& ctx)
{
    auto db = database_check(ctx);
    auto storage = storage_check(ctx);
    bool db_ok = db.at("status") == "healthy";
    bool storage_ok = storage.at("status") == "healthy";
    bool ok = db_ok && storage_ok;
    // Redis is reported but does not gate readiness: without it a replica still serves its sockets.
    bool redis_ok = !ctx.bus || ctx.bus->status().connected;
    return http::json(ok ? 200 : 503, {{"ready", ok},
                                       {"timestamp", util::iso8601_ms(ctx.clock.now_ms())},
                                       {"checks", {{"configuration", true}, {"database", db_ok}, {"storage", storage_ok},
                                                   {"redis", redis_ok}}}});
}

}  // namespace

void add_health_routes(http::router& r, context& ctx)
{
    using http::auth_mode;
    http::route_options pool{.auth = auth_mode::none, .rate_limited = false, .tag = "health"};
    auto with = [](http::route_options o, const char* summary) {
        o.summary = summary;
        return o;
    };
    r.add("GET", "/health", [&ctx](http::request&) { return health(ctx); }, with(pool, "Overall health with components"));
    r.add("GET", "/health/basic",
          [&ctx](http::request&) {
              return http::json(200, {{"status", "healthy"},
                                      {"timestamp", util::iso8601_ms(ctx.clock.now_ms())},
                                      {"version", ctx.cfg.app.version},
                                      {"environment", ctx.cfg.app.env},
                                      {"uptime", uptime_json(ctx)},
                                      {"server", {{"port", ctx.cfg.server.port}, {"threads", ctx.cfg.server.threads}}}});
          },
          with({.auth = auth_mode::none, .where = http::run_on::io, .rate_limited = false, .tag = "health"}, "Process is up"));
    r.add("GET", "/health/database", [&ctx](http::request&) { return health_database(ctx); }, with(pool, "Database round trip"));
    r.add("GET", "/health/redis", [&ctx](http::request&) { return health_redis(ctx); },
          with(pool, "Event bus: Redis connection (200 also when not configured)"));
    r.add("GET", "/health/configuration", [&ctx](http::request&) { return health_configuration(ctx); },
          with(pool, "Configuration validation (no secret values)"));
    r.add("GET", "/health/storage", [&ctx](http::request&) { return health_storage(ctx); },
          with(pool, "Storage write test"));
    r.add("GET", "/ready", [&ctx](http::request&) { return ready(ctx); }, with(pool, "Readiness: database and storage"));
    r.add("GET", "/live",
          [&ctx](http::request&) {
              return http::json(200, {{"alive", true},
                                      {"timestamp", util::iso8601_ms(ctx.clock.now_ms())},
                                      {"uptime", uptime_json(ctx)},
                                      {"memory_usage_mb", std::round(obs::resident_memory_mb() * 100) / 100}});
          },
          with({.auth = auth_mode::none, .where = http::run_on::io, .rate_limited = false, .tag = "health"}, "Liveness"));
}

}  // namespace spotik::api
