// The checks of ws_handshake.hpp.
#include "net/ws_handshake.hpp"

#include "net/admission.hpp"
#include "net/exchange.hpp"
#include "net/ws_session.hpp"
#include "util/ids.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <strings.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <optional>

namespace spotik::net {

std::string ws_token(const http::request& req, std::string& subprotocol)
{
    subprotocol.clear();
    std::string_view protocols = req.header("sec-websocket-protocol");
    while (!protocols.empty() && subprotocol.empty()) {
        auto comma = protocols.find(',');
        auto item = protocols.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.starts_with("token.")) subprotocol = std::string(item);
        protocols = comma == std::string_view::npos ? std::string_view{} : protocols.substr(comma + 1);
    }
    if (auto q = req.query_value("token"); !q.empty()) return std::string(q);
    auto auth = req.header("authorization");
    if (auth.size() > 7 && strncasecmp(auth.data(), "bearer ", 7) == 0) return std::string(auth.substr(7));
    return subprotocol.empty() ? std::string() : subprotocol.substr(6);
}

std::optional<http::reply> refuse_ws_fields(const http::request& req)
{
    if (req.header("sec-websocket-version") != "13") {
        auto rep = http::error_b(426, "Unsupported WebSocket version", "This server speaks WebSocket version 13");
        rep.set("Sec-WebSocket-Version", "13");
        return rep;
    }
    const auto fields = [&](std::string_view name) {
        return std::count_if(req.headers.begin(), req.headers.end(), [&](const auto& h) { return h.first == name; });
    };
    if (fields("content-length") + fields("transfer-encoding") > 0 && req.header("content-length") != "0")
        return http::error_b(400, "Invalid WebSocket handshake", "An upgrade request has no body");
    // 16 bytes in base64: 22 significant characters, then "==".
    std::string_view key = req.header("sec-websocket-key");
    if (fields("sec-websocket-key") != 1)
        return http::error_b(400, "Invalid WebSocket key", "Sec-WebSocket-Key must be sent once");
    auto base64 = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/'; };
    if (key.size() != 24 || !key.ends_with("==") || !std::all_of(key.begin(), key.end() - 2, base64))
        return http::error_b(400, "Invalid WebSocket key", "Sec-WebSocket-Key must be 16 bytes in base64");
    return std::nullopt;
}

boost::asio::awaitable<std::variant<http::reply, accepted_handshake>> check_ws_handshake(server_context& ctx,
                                                                                         const http::request& req)
{
    auto& ws = *ctx.ws;
    if (auto refusal = refuse_ws_fields(req)) {
        ws.counters.handshake_failures++;
        co_return std::move(*refusal);
    }
    // The socket counts as open from this check on (the count and the check are one step), so
    // handshakes racing through the token check together cannot overshoot WS_MAX_CONNECTIONS.
    // Every refusal below gives the place back; an accepted one hands it to the session.
    struct open_place {
        std::atomic<std::int64_t>* count;
        ~open_place()
        {
            if (count) --*count;
        }
    } place{&ws.counters.open};
    if (ws.counters.open++ >= ws.settings.max_connections) {
        ws.counters.handshake_failures++;
        auto rep = http::error_b(503, "Too many WebSocket connections", "The server is at its connection limit");
        rep.set("Retry-After", "5");
        co_return rep;
    }
    if (ctx.guard != nullptr && ctx.guard->enabled()) {
        auto v = co_await guarded(ctx, [&] { return ctx.guard->check_handshake(req.remote_addr); });
        if (!v.allowed) {
            ws.counters.handshake_failures++;
            co_return http::too_many_requests(v.retry_after_ms, "Too many WebSocket connections",
                                              "Too many connection attempts from this address; try again later");
        }
    }
    std::string subprotocol;
    std::string token = ws_token(req, subprotocol);
    std::optional<realtime::ws_identity> user;
    std::optional<http::reply> failed;  // the token could not be checked (database down)
    if (!token.empty()) {
        auto check = [&]() -> std::optional<realtime::ws_identity> {
            try {
                return ws.service.authenticate(token);
            } catch (const std::exception& e) {
                failed = failure_reply(e, "/ws");
                return std::nullopt;
            }
        };
        user = co_await boost::asio::co_spawn(
            ctx.pool, [&]() -> boost::asio::awaitable<std::optional<realtime::ws_identity>> { co_return check(); },
            boost::asio::use_awaitable);
    }
    if (failed) {
        ws.counters.handshake_failures++;
        co_return std::move(*failed);
    }
    if (!user) {
        ws.counters.handshake_failures++;
        co_return token.empty() ? http::error_a(401, "Token not provided", "Token absent")
                                : http::error_a(401, "Authentication failed", "Invalid or missing JWT token");
    }
    realtime::ws_connection conn{util::inline_id(util::random_hex(16)), util::inline_id(user->user.id), std::nullopt,
                                 std::move(user->token_id), user->expires_at};
    auto welcome = ws.service.welcome(conn, user->user);
    place.count = nullptr;
    co_return accepted_handshake{std::move(conn), std::move(welcome), std::move(subprotocol)};
}

}  // namespace spotik::net
