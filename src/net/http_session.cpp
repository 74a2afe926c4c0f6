// The HTTP connection loop. Deadlines: the first byte of a request must come within the
// idle timeout (header timeout for a new connection), the whole header within the header
// timeout, the whole body within the body timeout; writes time out too, so neither a slow
// sender nor a slow reader can hold a connection forever.
#include "net/http_session.hpp"

#include "http/client_address.hpp"
#include "http/middleware.hpp"
#include "net/admission.hpp"
#include "net/exchange.hpp"
#include "net/reply_writer.hpp"
#include "net/ws_handshake.hpp"
#include "net/ws_session.hpp"
#include "util/clock.hpp"
#include "util/file_claim.hpp"
#include "util/ids.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <variant>

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

// A client that sent `Expect: 100-continue` waits for this interim answer before it sends the
// body (RFC 9110 §10.1.1); it is sent once the request has passed every check before the body.
// False when the connection failed.
boost::asio::awaitable<bool> send_continue_if_expected(session_state& st,
                                                       const bhttp::request_parser<bhttp::empty_body>& hp)
{
    const auto& h = hp.get();
    if (h.version() < 11 || !beast::iequals(h[bhttp::field::expect], "100-continue")) co_return true;
    static constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
    auto [ec, n] =
        co_await boost::asio::async_write(st.stream, boost::asio::buffer(k_continue), as_tuple(use_awaitable));
    co_return !ec;
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
    if (!co_await send_continue_if_expected(st, hp)) co_return body_outcome{limit_reply(400, "Malformed request body")};
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
    if (ec == beast::error::timeout) {
        // The stream closed the socket when its deadline passed: nothing can be sent. The 408
        // is for the access log and the metrics, with no body, as the bytes that went out.
        http::reply gone;
        gone.status = 408;
        gone.close = true;
        co_return body_outcome{std::move(gone)};
    }
    if (ec == boost::system::errc::no_space_on_device || ec == std::errc::no_space_on_device ||
        (ec.category() == boost::system::system_category() && ec.value() == EDQUOT)) {
        // The storage volume is full: the partial body file is removed by the caller.
        auto rep = http::error_b(507, "Insufficient storage", "The server has no space left to store this file");
        rep.close = true;
        co_return body_outcome{std::move(rep)};
    }
    co_return body_outcome{limit_reply(400, "Malformed request body")};
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
        // Read now: reading the body takes the header over from the parser.
        const bool client_keeps_alive = !ec && hp.get().keep_alive();
        const unsigned version = ec ? 11 : hp.get().version();
        if (!ec) parsed = to_request(hp.get().base());
        http::request req = parsed ? std::move(*parsed) : http::request{};
        if (!parsed) req.received_at_ms = util::system_clock{}.now_ms();  // for its request id
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
        } else if (http::ambiguous_body_framing(req) || http::bad_host_field(req, version)) {
            rep = limit_reply(400, "Malformed request");
        } else if (ctx.ws && req.path == "/ws" && boost::beast::websocket::is_upgrade(hp.get())) {
            auto outcome = co_await check_ws_handshake(ctx, req);
            if (auto* ok = std::get_if<accepted_handshake>(&outcome)) {
                st->upgraded = true;
                std::string early(static_cast<const char*>(buffer.data().data()), buffer.size());
                start_ws_session(*ctx.ws, std::move(st->stream), hp.release(), std::move(ok->conn),
                                 std::move(ok->welcome), std::move(ok->subprotocol), std::move(early));
                co_return;
            }
            rep = std::move(std::get<http::reply>(outcome));
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
                auto refusal = co_await admit(ctx, *m.found, req, slot);
                if (!refusal) refusal = co_await run_before_body(ctx, *m.found, req);
                if (refusal) {
                    rep = std::move(*refusal);
                    rep.close = has_body;  // the body was not read
                    co_await release(ctx, slot);
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
        bool keep = client_keeps_alive && !rep.close && !ctx.stopping;
        bool head = req.method == "HEAD";
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
