// Request conversion, route execution and reply decoration.
#include "net/exchange.hpp"

#include "obs/log.hpp"
#include "storage/store.hpp"
#include "util/clock.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace spotik::net {
namespace beast_http = boost::beast::http;

std::int64_t monotonic_us()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

namespace {

// The target as a URL: origin-form ("/path?query"), or absolute-form
// ("http://host/path?query"), which RFC 9112 §3.2.2 has servers accept as well.
std::optional<boost::urls::url_view> parse_target(std::string_view target)
{
    if (target.starts_with('/')) {
        auto origin = boost::urls::parse_origin_form(target);
        if (origin) return *origin;
        return std::nullopt;
    }
    auto absolute = boost::urls::parse_absolute_uri(target);
    if (!absolute || !absolute->has_authority()) return std::nullopt;
    const auto scheme = absolute->scheme_id();
    if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) return std::nullopt;
    return *absolute;
}

}  // namespace

std::optional<http::request> to_request(const beast_http::request_header<>& header)
{
    http::request req;
    req.method = std::string(header.method_string());
    req.target = std::string(header.target());
    auto parsed = parse_target(req.target);
    if (!parsed) return std::nullopt;
    req.path = std::string(parsed->path());
    if (req.path.empty()) req.path = "/";
    for (auto p : parsed->params()) {
        if (!req.query.contains(p.key)) req.query.emplace(std::string(p.key), std::string(p.value));
    }
    for (const auto& field : header) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    req.received_at_ms = util::system_clock{}.now_ms();
    return req;
}

http::reply failure_reply(const std::exception& e, std::string_view where)
{
    if (dynamic_cast<const storage::store_unavailable*>(&e) != nullptr) {
        obs::warn("database unavailable", {{"detail", e.what()}});
        auto rep = http::error_a(503, "Service temporarily unavailable", "Database unavailable");
        rep.set("Retry-After", "5");
        return rep;
    }
    obs::error("unhandled error", {{"detail", e.what()}, {"route", where}});
    return http::error_a(500, "Internal server error", "Internal server error");
}

namespace {

// Runs the route's handler or its precheck (Result: the reply, or an optional one).
template <typename Result, typename Fn>
Result invoke(const http::route& r, http::request& req, const Fn& fn)
{
    obs::request_scope scope(req.request_id);
    try {
        return fn(req);
    } catch (const std::exception& e) {
        return failure_reply(e, r.pattern);
    }
}

}  // namespace

boost::asio::awaitable<http::reply> run_route(server_context& ctx, const http::route& r, http::request& req)
{
    if (r.options.where == http::run_on::io) co_return invoke<http::reply>(r, req, r.fn);
    co_return co_await boost::asio::co_spawn(
        ctx.pool, [&]() -> boost::asio::awaitable<http::reply> { co_return invoke<http::reply>(r, req, r.fn); },
        boost::asio::use_awaitable);
}

boost::asio::awaitable<std::optional<http::reply>> run_before_body(server_context& ctx, const http::route& r,
                                                                   http::request& req)
{
    using result = std::optional<http::reply>;
    if (!r.options.before_body) co_return std::nullopt;
    co_return co_await boost::asio::co_spawn(
        ctx.pool, [&]() -> boost::asio::awaitable<result> { co_return invoke<result>(r, req, r.options.before_body); },
        boost::asio::use_awaitable);
}

http::reply unrouted_reply(server_context& ctx, const http::request& req, const http::match_result& m)
{
    if (req.method == "OPTIONS") return ctx.cors.preflight(req, m.allowed);
    return http::unrouted(req, m);
}

void finish_reply(server_context& ctx, const http::request& req, const http::route* r, http::reply& rep,
                  std::int64_t started_us)
{
    double ms = double(monotonic_us() - started_us) / 1000.0;
    rep.set("X-Request-ID", req.request_id);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fms", ms);
    rep.set("X-Response-Time", buf);
    http::add_security_headers(rep);
    ctx.cors.decorate(req, rep);
    std::string key = r ? r->method + " " + r->pattern : std::string("unmatched");
    ctx.metrics.record_request(key, rep.status, ms);
    if (obs::enabled(obs::level::info)) {
        obs::request_scope scope(req.request_id);
        std::uint64_t bytes = rep.file ? rep.file->length : rep.body.size();
        obs::info("request", {{"method", req.method},
                              {"path", req.path},  // the query is left out: it may carry a token
                              {"route", r ? r->pattern : ""},
                              {"status", rep.status},
                              {"duration_ms", std::round(ms * 1000.0) / 1000.0},
                              {"bytes", bytes},
                              {"remote", req.remote_addr}});
    }
}

}  // namespace spotik::net
