// WebSocket session: read loop, single writer, bounded queue, pings, rate limit.
#include "net/ws_session.hpp"

#include "obs/log.hpp"
#include "realtime/hub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <deque>
#include <mutex>

namespace spotik::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using asio::as_tuple;
using asio::use_awaitable;
using realtime::frame;

namespace {

std::int64_t now_us()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

class ws_session final : public realtime::hub_client, public std::enable_shared_from_this<ws_session> {
public:
    ws_session(ws_context& ctx, beast::tcp_stream stream, realtime::ws_connection conn)
        : ctx_(ctx), ws_(std::move(stream)), conn_(std::move(conn)), tokens_(ctx.settings.rate_burst),
          refilled_us_(now_us())
    {
    }

    const std::string& user_id() const override { return conn_.user.id; }

    void deliver(const frame& f) override
    {
        std::lock_guard lock(mutex_);
        if (close_ || closed_) return;
        if (queued_bytes_ + f->size() > std::size_t(ctx_.settings.max_queue_bytes)) {
            overflow_locked();
            return;
        }
        queued_bytes_ += f->size();
        queue_.push_back(f);
        start_writer_locked();
    }

    void request_close(websocket::close_code code)
    {
        std::lock_guard lock(mutex_);
        if (close_ || closed_) return;
        close_ = code;
        start_writer_locked();
    }

    asio::awaitable<void> run(beast::http::request<beast::http::empty_body> upgrade, std::string subprotocol);

private:
    void start_writer_locked()
    {
        if (writing_ || closed_) return;
        writing_ = true;
        // Posted, never dispatched: co_spawn would start the writer inline when the caller is
        // already on the strand, and the writer takes mutex_, which the caller holds.
        asio::post(ws_.get_executor(), [self = shared_from_this()] {
            asio::co_spawn(self->ws_.get_executor(), writer(self), asio::detached);
        });
    }

    // The client stopped reading: free its queue now and cut it off.
    void overflow_locked()
    {
        ctx_.counters.slow_consumer_closes++;
        queue_.clear();
        queued_bytes_ = 0;
        close_ = websocket::close_code::policy_error;
        obs::warn("websocket closed: slow consumer", {{"connection_id", conn_.connection_id}});
        // A stuck write cannot carry the close frame; give it a moment, then drop the socket.
        auto timer = std::make_shared<asio::steady_timer>(ws_.get_executor(), std::chrono::seconds(2));
        timer->async_wait([self = shared_from_this(), timer](const boost::system::error_code&) {
            beast::error_code ec;
            beast::get_lowest_layer(self->ws_).socket().close(ec);
        });
        start_writer_locked();
    }

    static asio::awaitable<void> writer(std::shared_ptr<ws_session> self);
    asio::awaitable<void> pinger(std::shared_ptr<ws_session> self);
    void finish();
    asio::awaitable<void> handle(std::string text, std::int64_t received_us);
    bool allow_message();

    ws_context& ctx_;
    websocket::stream<beast::tcp_stream> ws_;
    realtime::ws_connection conn_;
    std::mutex mutex_;  // guards the fields below
    std::deque<frame> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool ping_due_ = false;
    bool closed_ = false;
    std::optional<websocket::close_code> close_;
    // Inbound rate limit (read loop only).
    double tokens_;
    std::int64_t refilled_us_;
    int strikes_ = 0;
    std::optional<asio::steady_timer> ping_timer_;
};

// Ends the session's timers and socket so nothing keeps it alive after the read loop.
void ws_session::finish()
{
    if (ping_timer_) ping_timer_->cancel();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).socket().close(ec);
}

asio::awaitable<void> ws_session::writer(std::shared_ptr<ws_session> self)
{
    for (;;) {
        frame f;
        bool ping = false;
        std::optional<websocket::close_code> close;
        {
            std::lock_guard lock(self->mutex_);
            if (self->closed_) {
                self->writing_ = false;
                co_return;
            }
            // Frames queued before a close was asked for go out first (a rate-limited client
            // gets its error before the 1008); a slow consumer's queue was already dropped.
            if (!self->queue_.empty()) {
                f = std::move(self->queue_.front());
                self->queue_.pop_front();
                self->queued_bytes_ -= f->size();
            } else if (self->close_) {
                close = self->close_;
                self->closed_ = true;
            } else if (self->ping_due_) {
                ping = true;
                self->ping_due_ = false;
            } else {
                self->writing_ = false;
                co_return;
            }
        }
        if (close) {
            auto [ec] = co_await self->ws_.async_close(*close, as_tuple(use_awaitable));
            std::lock_guard lock(self->mutex_);
            self->writing_ = false;
            co_return;
        }
        if (ping) {
            auto [ec] = co_await self->ws_.async_ping({}, as_tuple(use_awaitable));
            if (ec) break;
            continue;
        }
        self->ws_.text(true);
        auto [ec, n] = co_await self->ws_.async_write(asio::buffer(*f), as_tuple(use_awaitable));
        if (ec) break;
        self->ctx_.counters.messages_out++;
        self->ctx_.counters.bytes_out += std::int64_t(n);
    }
    std::lock_guard lock(self->mutex_);
    self->closed_ = true;
    self->writing_ = false;
    self->queue_.clear();
    self->queued_bytes_ = 0;
}

asio::awaitable<void> ws_session::pinger(std::shared_ptr<ws_session> self)
{
    ping_timer_.emplace(ws_.get_executor());
    for (;;) {
        ping_timer_->expires_after(std::chrono::seconds(ctx_.settings.ping_interval_s));
        auto [ec] = co_await ping_timer_->async_wait(as_tuple(use_awaitable));
        std::lock_guard lock(mutex_);
        if (ec || closed_ || close_) co_return;
        ping_due_ = true;
        start_writer_locked();
    }
}

bool ws_session::allow_message()
{
    std::int64_t now = now_us();
    tokens_ = std::min<double>(ctx_.settings.rate_burst,
                               tokens_ + double(now - refilled_us_) / 1e6 * ctx_.settings.rate_per_s);
    refilled_us_ = now;
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        strikes_ = 0;
        return true;
    }
    return false;
}

asio::awaitable<void> ws_session::handle(std::string text, std::int64_t received_us)
{
    boost::system::error_code ec;
    auto parsed = boost::json::parse(text, ec);
    if (ec || !parsed.is_object() || !parsed.as_object().contains("type") || !parsed.at("type").is_string()) {
        deliver(realtime::hub::make_frame("error", {{"error_code", "invalid_message"},
                                                    {"message", "Messages are JSON objects with a string type"}}));
        co_return;
    }
    auto& msg = parsed.as_object();
    std::string type(msg.at("type").as_string());
    boost::json::object data;
    if (auto* d = msg.if_contains("data"); d && d->is_object()) data = std::move(d->as_object());
    if (type == "ping") {
        boost::json::object pong{{"client_time", data.contains("client_time") ? data.at("client_time") : nullptr},
                                 {"server_receive_ms", received_us / 1000},
                                 {"server_time_us", now_us()}};
        std::int64_t sent = now_us();
        pong["server_send_ms"] = sent / 1000;
        pong["server_time_ms"] = sent / 1000;
        deliver(realtime::hub::make_frame("pong", std::move(pong)));
        co_return;
    }
    auto self = shared_from_this();
    std::vector<frame> replies;
    try {
        replies = co_await asio::co_spawn(
            ctx_.pool,
            [&]() -> asio::awaitable<std::vector<frame>> { co_return ctx_.service.handle(conn_, type, data, self); },
            use_awaitable);
    } catch (const std::exception& e) {
        obs::error("websocket command failed", {{"type", type}, {"detail", e.what()}});
        replies = {realtime::hub::make_frame("error", {{"error_code", "internal_error"}, {"message", "Internal error"}})};
    }
    for (const auto& r : replies) deliver(r);
}

asio::awaitable<void> ws_session::run(beast::http::request<beast::http::empty_body> upgrade, std::string subprotocol)
{
    auto self = shared_from_this();
    const auto& s = ctx_.settings;
    beast::get_lowest_layer(ws_).expires_never();
    // Beast closes a socket that sends nothing (pongs included) for the activity timeout, and
    // pings it itself halfway through a silence, on top of the regular pings below.
    websocket::stream_base::timeout t{std::chrono::seconds(10), std::chrono::seconds(s.activity_timeout_s), true};
    ws_.set_option(t);
    ws_.read_message_max(std::size_t(s.max_message_bytes));
    ws_.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
        res.set(beast::http::field::server, "Spotik");
        if (!subprotocol.empty()) res.set(beast::http::field::sec_websocket_protocol, subprotocol);
    }));
    auto [aec] = co_await ws_.async_accept(upgrade, as_tuple(use_awaitable));
    if (aec) co_return;
    auto handle_ref = std::make_shared<session_handle>();
    std::weak_ptr<ws_session> weak = self;
    handle_ref->close_if_idle = [weak] {
        if (auto s2 = weak.lock()) s2->request_close(websocket::close_code::going_away);
    };
    auto reg = ctx_.sessions.add(handle_ref);
    ctx_.counters.open++;
    ctx_.counters.opened_total++;
    asio::co_spawn(ws_.get_executor(), pinger(self), asio::detached);
    deliver(ctx_.service.welcome(conn_));
    for (;;) {
        beast::flat_buffer buffer;
        auto [ec, n] = co_await ws_.async_read(buffer, as_tuple(use_awaitable));
        if (ec) break;
        ctx_.counters.messages_in++;
        if (!allow_message()) {
            ctx_.counters.rate_limited++;
            if (++strikes_ == 1)
                deliver(realtime::hub::make_frame("error", {{"error_code", "rate_limited"},
                                                            {"message", "Too many messages; slow down"}}));
            if (strikes_ > s.rate_burst) request_close(websocket::close_code::policy_error);
            continue;
        }
        if (!ws_.got_text()) {
            deliver(realtime::hub::make_frame("error", {{"error_code", "invalid_message"}, {"message", "Text frames only"}}));
            continue;
        }
        co_await handle(beast::buffers_to_string(buffer.data()), now_us());
    }
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        queue_.clear();
        queued_bytes_ = 0;
    }
    try {
        co_await asio::co_spawn(ctx_.pool, [&]() -> asio::awaitable<void> {
            ctx_.service.disconnect(conn_, this);
            co_return;
        }, use_awaitable);
    } catch (const std::exception&) {
    }
    ctx_.counters.open--;
    ctx_.sessions.remove(reg);
    finish();
}

}  // namespace

asio::awaitable<void> run_ws_session(ws_context& ctx, beast::tcp_stream stream,
                                     beast::http::request<beast::http::empty_body> upgrade,
                                     realtime::ws_connection conn, std::string subprotocol)
{
    auto session = std::make_shared<ws_session>(ctx, std::move(stream), std::move(conn));
    co_await session->run(std::move(upgrade), std::move(subprotocol));
}

}  // namespace spotik::net
