// The HTTP connection loop. Deadlines: the first byte of a request must come within the
// idle timeout (header timeout for a new connection), the whole header within the header
// timeout, the whole body within the body timeout; writes time out too, so neither a slow
// sender nor a slow reader can hold a connection forever.
#include "net/http_session.hpp"

#include "http/client_address.hpp"
#include "http/middleware.hpp"
#include "net/exchange.hpp"
#include "net/reply_writer.hpp"
#include "net/ws_session.hpp"
#include "util/file_claim.hpp"
#include "util/ids.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <strings.h>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <type_traits>

namespace spotik::net {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::asio::as_tuple;
using boost::asio::use_awaitable;
using std::chrono::seconds;

namespace {

constexpr std::size_t k_max_target = 8192;
// More header fields than any client sends; within HTTP_MAX_HEADER_BYTES, thousands of tiny
// fields would still cost a map entry each.
constexpr std::size_t k_max_header_fields = 100;

struct session_state final : registered_session, std::enable_shared_from_this<session_state> {
    // Kept apart from the stream, which an upgrade moves away while the registry may still
    // reach this session from another thread.
    boost::asio::any_io_executor executor;
    beast::tcp_stream stream;
    bool busy = false;
    bool upgraded = false;  // the stream now belongs to a WebSocket session
    explicit session_state(boost::asio::ip::tcp::socket s) : executor(s.get_executor()), stream(std::move(s)) {}
    void close_if_idle() override
    {
        boost::asio::post(executor, [weak = weak_from_this()] {
            if (auto s = weak.lock(); s && !s->busy) s->stream.socket().close();
        });
    }
};

http::reply limit_reply(int status, std::string message)
{
    auto rep = http::error_a(status, message, message);
    rep.close = true;
    return rep;
}

std::string temp_body_path(const server_context& ctx)
{
    return ctx.cfg.storage.temp_path + "/body-" + util::random_hex(12) + ".part";
}

struct body_outcome {
    std::optional<http::reply> failure;  // set when the body could not be received
};

// Reads the body of `hp` into req (memory or temporary file) under the route's limits. A body
// file is claimed (util/file_claim) while the request lives: the claim removes it afterwards,
// and a start-up sweep elsewhere leaves it alone meanwhile.
boost::asio::awaitable<body_outcome> read_body(server_context& ctx, session_state& st, beast::flat_buffer& buffer,
                                               bhttp::request_parser<bhttp::empty_body>& hp, const http::route& r,
                                               http::request& req, std::optional<util::file_claim>& body_claim)
{
    const auto& s = ctx.cfg.server;
    std::uint64_t limit = r.options.max_body ? r.options.max_body : std::uint64_t(s.max_body_bytes);
    auto declared = hp.content_length();
    if (declared && *declared > limit) co_return body_outcome{limit_reply(413, "Request body too large")};
    st.stream.expires_after(seconds(s.body_timeout_s));
    beast::error_code ec;
    if (r.options.body == http::body_mode::file) {
        bhttp::request_parser<bhttp::file_body> fp{std::move(hp)};
        fp.body_limit(limit);
        bool opened = false;
        try {
            body_claim = util::file_claim::create(temp_body_path(ctx));
            fp.get().body().open(body_claim->path().c_str(), beast::file_mode::write, ec);
            opened = !ec;
        } catch (const std::system_error&) {
        }
        if (!opened) {
            body_claim.reset();
            co_return body_outcome{limit_reply(500, "Could not store the request body")};
        }
        req.body_file = body_claim->path().string();
        std::tie(ec, std::ignore) = co_await bhttp::async_read(st.stream, buffer, fp, as_tuple(use_awaitable));
        fp.get().body().close();
        if (!ec) req.body_size = fp.content_length().value_or(std::filesystem::file_size(req.body_file));
    } else {
        bhttp::request_parser<bhttp::string_body> sp{std::move(hp)};
        sp.body_limit(limit);
        std::tie(ec, std::ignore) = co_await bhttp::async_read(st.stream, buffer, sp, as_tuple(use_awaitable));
        if (!ec) {
            req.body = std::move(sp.get().body());
            req.body_size = req.body.size();
        }
    }
    if (!ec) co_return body_outcome{};
    if (ec == bhttp::error::body_limit) co_return body_outcome{limit_reply(413, "Request body too large")};
    if (ec == beast::error::timeout) co_return body_outcome{limit_reply(408, "Request body timed out")};
    if (ec == boost::system::errc::no_space_on_device || ec == std::errc::no_space_on_device ||
        (ec.category() == boost::system::system_category() && ec.value() == EDQUOT)) {
        // The storage volume is full: the partial body file is removed by the caller.
        auto rep = http::error_b(507, "Insufficient storage", "The server has no space left to store this file");
        rep.close = true;
        co_return body_outcome{std::move(rep)};
    }
    co_return body_outcome{limit_reply(400, "Malformed request body")};
}

// Runs a guard check where it may block: inline when the counters are in this process, on the
// blocking pool when they are in Redis.
template <typename Check>
boost::asio::awaitable<std::invoke_result_t<Check>> guarded(server_context& ctx, Check check)
{
    using result = std::invoke_result_t<Check>;
    if (!ctx.guard->remote()) co_return check();
    co_return co_await boost::asio::co_spawn(
        ctx.pool, [&]() -> boost::asio::awaitable<result> { co_return check(); }, use_awaitable);
}

// The request rate and, for uploads, the user's uploads in progress, checked before the body
// is read. A refusal is the reply to send; an admitted upload holds `slot` until it is done.
boost::asio::awaitable<std::optional<http::reply>> admit(server_context& ctx, const http::route& r,
                                                         const http::request& req,
                                                         std::unique_ptr<limits::guard::upload_slot>& slot)
{
    const bool counted = r.options.rate_limited, upload = r.options.body == http::body_mode::file;
    if (ctx.guard == nullptr || !ctx.guard->enabled() || (!counted && !upload)) co_return std::nullopt;
    const std::int64_t slot_ttl_ms = (std::int64_t(ctx.cfg.server.body_timeout_s) + 300) * 1000;
    co_return co_await guarded(ctx, [&]() -> std::optional<http::reply> {
        auto& g = *ctx.guard;
        const std::string token = http::bearer_token(req);
        if (counted) {
            auto v = g.check_request(g.client_of(token, req.remote_addr));
            if (!v.allowed)
                return http::too_many_requests(v.retry_after_ms, "Rate limit exceeded",
                                               "Too many requests; try again later");
        }
        if (upload && !g.try_upload(g.user_of(token), slot_ttl_ms, slot))
            return http::too_many_requests(5000, "Too many uploads in progress",
                                           "Wait for one of your uploads to finish before starting another");
        return std::nullopt;
    });
}

// Gives an upload slot back (a Redis call when the counters are shared).
boost::asio::awaitable<void> release(server_context& ctx, std::unique_ptr<limits::guard::upload_slot>& slot)
{
    if (!slot) co_return;
    co_await guarded(ctx, [&] {
        slot.reset();
        return true;
    });
}

void discard_body_file(http::request& req, std::optional<util::file_claim>& body_claim)
{
    body_claim.reset();  // removes the file
    req.body_file.clear();
}

// Waits for the first byte of the next request. False: close the connection.
boost::asio::awaitable<bool> await_request(server_context& ctx, session_state& st, beast::flat_buffer& buffer,
                                           bool first)
{
    if (buffer.size() > 0) co_return true;
    const auto& s = ctx.cfg.server;
    st.stream.expires_after(seconds(first ? s.header_timeout_s : s.idle_timeout_s));
    st.busy = false;
    if (ctx.stopping) co_return false;
    auto [ec, n] = co_await st.stream.async_read_some(buffer.prepare(4096), as_tuple(use_awaitable));
    st.busy = true;
    if (ec) co_return false;
    buffer.commit(n);
    co_return true;
}

// The handshake token: ?token=, then Authorization: Bearer, then a "token.<jwt>" subprotocol
// (which is then echoed back as the accepted subprotocol).
std::string ws_token(const http::request& req, std::string& subprotocol)
{
    if (auto q = req.query_value("token"); !q.empty()) return std::string(q);
    auto auth = req.header("authorization");
    if (auth.size() > 7 && strncasecmp(auth.data(), "bearer ", 7) == 0) return std::string(auth.substr(7));
    std::string_view protocols = req.header("sec-websocket-protocol");
    while (!protocols.empty()) {
        auto comma = protocols.find(',');
        auto item = protocols.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.starts_with("token.")) {
            subprotocol = std::string(item);
            return std::string(item.substr(6));
        }
        protocols = comma == std::string_view::npos ? std::string_view{} : protocols.substr(comma + 1);
    }
    return {};
}

// Authenticates an upgrade request and hands the connection to a WebSocket session. Returns
// the refusal to send when the upgrade is not accepted.
boost::asio::awaitable<std::optional<http::reply>> upgrade(server_context& ctx, session_state& st,
                                                           bhttp::request_parser<bhttp::empty_body>& hp,
                                                           http::request& req)
{
    auto& ws = *ctx.ws;
    if (ws.counters.open >= ws.settings.max_connections) {
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
    if (!token.empty()) {
        user = co_await boost::asio::co_spawn(
            ctx.pool,
            [&]() -> boost::asio::awaitable<std::optional<realtime::ws_identity>> {
                co_return ws.service.authenticate(token);
            },
            use_awaitable);
    }
    if (!user) {
        ws.counters.handshake_failures++;
        co_return token.empty() ? http::error_a(401, "Token not provided", "Token absent")
                                : http::error_a(401, "Authentication failed", "Invalid or missing JWT token");
    }
    realtime::ws_connection conn{util::inline_id(util::random_hex(16)), util::inline_id(user->user.id), std::nullopt,
                                 std::move(user->token_id), user->expires_at};
    auto welcome = ws.service.welcome(conn, user->user);
    st.upgraded = true;
    start_ws_session(ws, std::move(st.stream), hp.release(), std::move(conn), std::move(welcome),
                     std::move(subprotocol));
    co_return std::nullopt;
}

boost::asio::awaitable<void> session_loop(server_context& ctx, std::shared_ptr<session_state> st, std::string remote)
{
    const auto& s = ctx.cfg.server;
    beast::flat_buffer buffer;
    for (bool first = true;; first = false) {
        if (!co_await await_request(ctx, *st, buffer, first)) co_return;
        std::int64_t started = monotonic_us();
        bhttp::request_parser<bhttp::empty_body> hp;
        hp.header_limit(std::uint32_t(s.max_header_bytes));
        hp.body_limit(boost::none);
        st->stream.expires_after(seconds(s.header_timeout_s));
        auto [ec, n] = co_await bhttp::async_read_header(st->stream, buffer, hp, as_tuple(use_awaitable));
        std::optional<http::request> parsed;
        http::reply rep;
        const http::route* matched = nullptr;
        if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == boost::asio::error::eof)
            co_return;
        if (!ec) parsed = to_request(hp.get().base());
        http::request req = parsed ? std::move(*parsed) : http::request{};
        req.remote_addr =
            http::client_address(remote, req.header("x-forwarded-for"), req.header("x-real-ip"), ctx.trusted_proxies);
        req.request_id = http::choose_request_id(req.header("x-request-id"), req.received_at_ms / 1000);
        if (ec == bhttp::error::header_limit || (!ec && req.headers.size() > k_max_header_fields)) {
            rep = limit_reply(431, "Request header fields too large");
        } else if (ec) {
            rep = limit_reply(400, "Malformed request");
        } else if (req.target.size() > k_max_target) {
            rep = limit_reply(414, "Request URI too long");
        } else if (!parsed) {
            rep = limit_reply(400, "Malformed request target");
        } else if (http::ambiguous_body_framing(req)) {
            rep = limit_reply(400, "Malformed request");
        } else if (ctx.ws && req.path == "/ws" && boost::beast::websocket::is_upgrade(hp.get())) {
            auto refusal = co_await upgrade(ctx, *st, hp, req);
            if (!refusal) co_return;
            rep = std::move(*refusal);
            rep.close = true;
        } else {
            auto m = ctx.routes.match(req.method, req.path);
            bool has_body = hp.chunked() || hp.content_length().value_or(0) > 0;
            if (m.found == nullptr || req.method == "OPTIONS") {
                rep = unrouted_reply(ctx, req, m);
                rep.close = rep.close || has_body;
            } else {
                matched = m.found;
                req.params = std::move(m.params);
                std::unique_ptr<limits::guard::upload_slot> slot;
                if (auto refusal = co_await admit(ctx, *m.found, req, slot)) {
                    rep = std::move(*refusal);
                    rep.close = has_body;  // the body was not read
                } else {
                    std::optional<util::file_claim> body_claim;  // removes the body file on every way out
                    auto body = co_await read_body(ctx, *st, buffer, hp, *m.found, req, body_claim);
                    if (body.failure) {
                        rep = std::move(*body.failure);
                    } else {
                        rep = co_await run_route(ctx, *m.found, req);
                    }
                    discard_body_file(req, body_claim);
                    co_await release(ctx, slot);
                }
            }
        }
        finish_reply(ctx, req, matched, rep, started);
        bool keep = !ec && hp.get().keep_alive() && !rep.close && !ctx.stopping;
        bool head = req.method == "HEAD";
        unsigned version = ec ? 11 : hp.get().version();
        if (!co_await write_reply(st->stream, rep, version, keep, head, seconds(s.idle_timeout_s))) co_return;
        if (!keep) co_return;
    }
}

}  // namespace

boost::asio::awaitable<void> run_http_session(server_context& ctx, boost::asio::ip::tcp::socket socket)
{
    beast::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    std::string remote = ec ? std::string("unknown") : endpoint.address().to_string();
    auto st = std::make_shared<session_state>(std::move(socket));
    st->busy = true;
    auto id = ctx.sessions.add(st);
    ctx.metrics.connection_opened();
    try {
        co_await session_loop(ctx, st, remote);
    } catch (const std::exception&) {
        // A failed write or read ends the connection; nothing else to do.
    }
    if (!st->upgraded) {
        st->stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
        st->stream.close();
    }
    ctx.metrics.connection_closed();
    ctx.sessions.remove(id);
}

}  // namespace spotik::net
