// WebSocket session: Beast performs the handshake, then the connection (net/ws_socket.hpp)
// frames its messages itself on the bare socket. Here: the handshake and the start, the
// starting of writers in chunks, and the shared ping timer.
#include "net/ws_session.hpp"

#include "net/ws_socket.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>
#include <span>

namespace spotik::net {
namespace websocket = boost::beast::websocket;
using asio::as_tuple;
using asio::use_awaitable;

std::int64_t now_us()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

void ws_socket::start(const frame& welcome, std::string_view early)
{
    beast::error_code ec;
    socket_.non_blocking(true, ec);  // reads after a readiness wait must never block
    registration_ = ctx_.sessions.add(weak_from_this(), /*pinged=*/true);
    ctx_.presence.opened(conn_.user_id.view());
    ctx_.counters.opened_total++;
    deliver(welcome);
    consume(early);  // reads on once these are handled
}

namespace {

// The handshake, by Beast; the upgrade request and Beast's stream live in this coroutine's
// frame only, which ends with the handshake.
asio::awaitable<void> handshake(ws_context& ctx, tcp::socket socket,
                                beast::http::request<beast::http::empty_body> upgrade, std::string subprotocol,
                                realtime::ws_connection conn, frame welcome, std::string early)
{
    websocket::stream<tcp::socket> ws(std::move(socket));
    ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(10), websocket::stream_base::none(), false});
    ws.set_option(websocket::stream_base::decorator([&subprotocol](websocket::response_type& res) {
        res.set(beast::http::field::server, "Spotik");
        if (!subprotocol.empty()) res.set(beast::http::field::sec_websocket_protocol, subprotocol);
    }));
    // The socket counts as open since its handshake was checked (check_ws_handshake), so a
    // client that has read the 101 always finds itself in the figures until it is gone.
    auto [ec] = co_await ws.async_accept(upgrade, as_tuple(use_awaitable));
    if (ec) {
        ctx.counters.open--;
        co_return;
    }
    std::make_shared<ws_socket>(ctx, std::move(ws.next_layer()), std::move(conn))->start(welcome, early);
}

}  // namespace

void ws_write_starts::request(std::shared_ptr<ws_writer> w)
{
    bool first;
    {
        std::lock_guard lock(mutex_);
        first = pending_.empty();
        pending_.push_back(std::move(w));
    }
    if (first) asio::post(io_, [this] { run(); });
}

void ws_write_starts::run()
{
    constexpr std::size_t chunk = 64;
    std::vector<std::shared_ptr<ws_writer>> all;
    {
        std::lock_guard lock(mutex_);
        all.swap(pending_);
    }
    auto start = [](std::span<const std::shared_ptr<ws_writer>> writers) {
        for (const auto& w : writers) w->start_writing();
    };
    // Chunks beyond the first go back to the io_context, for any io thread to take.
    for (std::size_t at = chunk; at < all.size(); at += chunk) {
        std::vector<std::shared_ptr<ws_writer>> part(all.begin() + std::ptrdiff_t(at),
                                                     all.begin() + std::ptrdiff_t(std::min(all.size(), at + chunk)));
        asio::post(io_, [part = std::move(part), start] { start(part); });
    }
    all.resize(std::min(all.size(), chunk));
    start(all);
}

void start_ws_session(ws_context& ctx, beast::tcp_stream stream, beast::http::request<beast::http::empty_body> upgrade,
                      realtime::ws_connection conn, frame welcome, std::string subprotocol, std::string early)
{
    stream.expires_never();
    auto executor = stream.get_executor();
    asio::co_spawn(executor,
                   handshake(ctx, stream.release_socket(), std::move(upgrade), std::move(subprotocol), std::move(conn),
                             std::move(welcome), std::move(early)),
                   asio::detached);
}

// The interval is cut into ticks of at least 100 ms, one per share of the registry's buckets:
// Pings for 20 000 sockets sent in one go would hold an io thread for tens of milliseconds,
// and every event queued behind them would wait as long.
asio::awaitable<void> run_ws_pinger(ws_context& ctx)
{
    using namespace std::chrono;
    using clock = steady_clock;
    constexpr std::size_t buckets = session_registry::buckets;
    const nanoseconds interval = seconds(ctx.settings.ping_interval_s);
    const std::size_t ticks = std::clamp<std::size_t>(std::size_t(interval / milliseconds(100)), 1, buckets);
    const nanoseconds tick = interval / ticks;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto deadline = clock::now();
    auto swept_at = deadline;
    std::int64_t swept_s = 0;  // the service clock's time at the round's sweep
    for (std::size_t n = 0;; n = (n + 1) % ticks) {
        deadline += tick;
        timer.expires_at(deadline);
        auto [ec] = co_await timer.async_wait(as_tuple(use_awaitable));
        if (ec) co_return;
        const std::size_t first = n * buckets / ticks, last = (n + 1) * buckets / ticks;
        if (n == 0) {
            // The revocations come from the database (any replica's logouts and refreshes), so
            // they are read on the blocking pool, once a round, and checked on every socket.
            auto sweep = co_await asio::co_spawn(
                ctx.pool, [&ctx]() -> asio::awaitable<realtime::token_sweep> { co_return ctx.service.sweep_tokens(); },
                use_awaitable);
            swept_at = clock::now();
            swept_s = sweep.now_s;
            ctx.sessions.ping_round(sweep, first, last, true);
        } else {
            // Between sweeps the sockets pinged check their token's expiry only.
            auto elapsed = duration_cast<seconds>(clock::now() - swept_at).count();
            ctx.sessions.ping_round({swept_s + elapsed, {}}, first, last, false);
        }
    }
}

}  // namespace spotik::net
