// One request/response exchange, independent of the socket: turns a parsed Beast request
// into an http::request, runs the matched route (on the io thread or the blocking pool),
// maps exceptions to 500/503, and applies the cross-cutting headers and the access log.
#pragma once
#include "http/reply.hpp"
#include "http/request.hpp"
#include "net/server_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>

#include <optional>

namespace spotik::net {

// Fills method, target, path, query and headers; nullopt when the target does not parse. The
// target may be a path ("/api/rooms?x=1") or an absolute http(s) URL, whose path and query
// are used.
std::optional<http::request> to_request(const boost::beast::http::request_header<>& header);

// The reply for a failure: 503 with Retry-After when the database is unavailable, else 500
// (logged with `where`, the route).
http::reply failure_reply(const std::exception& e, std::string_view where);

// Runs a matched route with every failure mapped to a reply.
boost::asio::awaitable<http::reply> run_route(server_context& ctx, const http::route& r, http::request& req);

// Runs the route's before_body check, if it has one, the same way (always on the pool).
// A reply is a refusal, to send without reading the body.
boost::asio::awaitable<std::optional<http::reply>> run_before_body(server_context& ctx, const http::route& r,
                                                                   http::request& req);

// The reply for a request that matched no route (404, 405 or an OPTIONS preflight).
http::reply unrouted_reply(server_context& ctx, const http::request& req, const http::match_result& m);

// Adds request id, CORS, security and timing headers; logs the access line; records metrics.
void finish_reply(server_context& ctx, const http::request& req, const http::route* r, http::reply& rep,
                  std::int64_t started_us);

std::int64_t monotonic_us();

}  // namespace spotik::net
