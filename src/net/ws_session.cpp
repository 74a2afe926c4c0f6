// WebSocket session: a reader and a single writer driven by completion handlers on the
// connection's strand (no coroutine frame per socket while it idles), a bounded queue, pings
// from the shared timer, and an inbound rate limit. Commands run on the blocking pool.
#include "net/ws_session.hpp"

#include "obs/log.hpp"
#include "realtime/client_message.hpp"
#include "realtime/hub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

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

frame error_frame(std::string_view code, std::string_view message)
{
    return realtime::hub::make_frame("error", {{"error_code", code}, {"message", message}});
}

// CONTRACT §9.1's refusal, sent before a close with 1008 when the socket's token was revoked
// (logout, refresh) or expired while it was open.
frame token_ended_frame()
{
    return realtime::hub::make_frame("authentication_error",
                                     {{"error", "Authentication failed"}, {"message", "Token expired or revoked"}});
}

class ws_session final : public realtime::hub_client, public std::enable_shared_from_this<ws_session> {
public:
    ws_session(ws_context& ctx, beast::tcp_stream stream, realtime::ws_connection conn)
        : ctx_(ctx),
          ws_(std::move(stream)),
          conn_(std::move(conn)),
          tokens_(ctx.settings.rate_burst),
          refilled_us_(now_us())
    {
    }

    ~ws_session() override { ctx_.counters.queued_bytes -= std::int64_t(queued_bytes_); }

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
        ctx_.counters.queued_bytes += std::int64_t(f->size());
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

    // The token that opened the socket is no longer good: say so, then close with 1008.
    void end_for_token()
    {
        deliver(token_ended_frame());
        request_close(websocket::close_code::policy_error);
    }

    void request_ping()
    {
        std::lock_guard lock(mutex_);
        if (close_ || closed_) return;
        ping_due_ = true;
        start_writer_locked();
    }

    // The handshake; on success the session registers itself and starts reading. The upgrade
    // request lives in this coroutine's frame only, which ends with the handshake.
    asio::awaitable<void> handshake(beast::http::request<beast::http::empty_body> upgrade, std::string subprotocol);

private:
    void start_writer_locked()
    {
        if (writing_ || closed_) return;
        writing_ = true;
        // Posted, never run inline: the caller holds mutex_, which write_next() takes.
        asio::post(ws_.get_executor(), [self = shared_from_this()] { self->write_next(); });
    }

    void drop_queue_locked()
    {
        ctx_.counters.queued_bytes -= std::int64_t(queued_bytes_);
        queue_.clear();
        queued_bytes_ = 0;
    }
    void overflow_locked();
    void write_next();
    void write_failed();
    void read_next();
    void on_read(beast::error_code ec);
    void handle(const std::string& text, std::int64_t received_us);
    void run_command(std::string type, boost::json::object data);
    void on_closed();
    void finish();
    bool allow_message();

    ws_context& ctx_;
    websocket::stream<beast::tcp_stream> ws_;
    realtime::ws_connection conn_;
    beast::flat_buffer read_buf_;
    frame in_flight_;  // the frame being written, kept alive until its write completes
    std::uint64_t registration_ = 0;
    std::mutex mutex_;  // guards the fields below
    std::deque<frame> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool ping_due_ = false;
    bool closed_ = false;
    std::optional<websocket::close_code> close_;
    // Inbound rate limit (reader only).
    double tokens_;
    std::int64_t refilled_us_;
    int strikes_ = 0;
    bool oversize_ = false;  // the current message passed WS_MAX_MESSAGE_BYTES (reader only)
};

// The client stopped reading: free its queue now and cut it off.
void ws_session::overflow_locked()
{
    ctx_.counters.slow_consumer_closes++;
    drop_queue_locked();
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

void ws_session::write_next()
{
    bool ping = false;
    std::optional<websocket::close_code> close;
    {
        std::lock_guard lock(mutex_);
        if (closed_) {
            writing_ = false;
            return;
        }
        // What was queued before a close goes out first (a slow consumer's queue is already
        // gone); nothing is queued after it.
        if (!queue_.empty()) {
            in_flight_ = std::move(queue_.front());
            queue_.pop_front();
            queued_bytes_ -= in_flight_->size();
            ctx_.counters.queued_bytes -= std::int64_t(in_flight_->size());
        } else if (close_) {
            close = close_;
            closed_ = true;
        } else if (ping_due_) {
            ping = true;
            ping_due_ = false;
        } else {
            writing_ = false;
            return;
        }
    }
    auto self = shared_from_this();
    if (close) {
        ws_.async_close(*close, [self](beast::error_code) {
            std::lock_guard lock(self->mutex_);
            self->writing_ = false;
        });
    } else if (ping) {
        ws_.async_ping({}, [self](beast::error_code ec) { ec ? self->write_failed() : self->write_next(); });
    } else {
        ws_.text(true);
        ws_.async_write(asio::buffer(*in_flight_), [self](beast::error_code ec, std::size_t n) {
            self->in_flight_.reset();
            if (ec) return self->write_failed();
            self->ctx_.counters.messages_out++;
            self->ctx_.counters.bytes_out += std::int64_t(n);
            self->write_next();
        });
    }
}

void ws_session::write_failed()
{
    std::lock_guard lock(mutex_);
    closed_ = true;
    writing_ = false;
    drop_queue_locked();
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

// Messages arrive in chunks so that the size limit is ours to enforce: Beast's own limit tears
// the connection down at once, and a client still sending the rest of an oversize message then
// gets a reset instead of the 1009 close frame.
void ws_session::read_next()
{
    constexpr std::size_t chunk = 16 * 1024;
    ws_.async_read_some(read_buf_, chunk,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void ws_session::on_read(beast::error_code ec)
{
    if (ec) return on_closed();
    if (oversize_ || read_buf_.size() > std::size_t(ctx_.settings.max_message_bytes)) {
        // Too big: send 1009 and discard whatever still comes until the client's close frame.
        read_buf_.consume(read_buf_.size());
        read_buf_.shrink_to_fit();
        if (!oversize_) {
            oversize_ = true;
            ctx_.counters.oversize_closes++;
            request_close(websocket::close_code::too_big);
        }
        return read_next();
    }
    if (!ws_.is_message_done()) return read_next();
    ctx_.counters.messages_in++;
    std::string text = beast::buffers_to_string(read_buf_.data());
    // Idle sockets keep no message buffer.
    read_buf_.consume(read_buf_.size());
    read_buf_.shrink_to_fit();
    if (!allow_message()) {
        ctx_.counters.rate_limited++;
        if (++strikes_ == 1) deliver(error_frame("rate_limited", "Too many messages; slow down"));
        if (strikes_ > ctx_.settings.rate_burst) request_close(websocket::close_code::policy_error);
        return read_next();
    }
    if (!ws_.got_text()) {
        deliver(error_frame("invalid_message", "Text frames only"));
        return read_next();
    }
    handle(text, now_us());
}

// Answers a message; the next read starts once its replies are queued, so one socket's
// commands run one at a time and in order.
void ws_session::handle(const std::string& text, std::int64_t received_us)
{
    auto msg = realtime::decode_client_message(text);
    if (!msg) {
        deliver(error_frame("invalid_message", "Messages are JSON objects with a string type"));
        return read_next();
    }
    auto& [type, data] = *msg;
    if (type != "ping") return run_command(std::move(type), std::move(data));
    boost::json::object pong{{"client_time", data.contains("client_time") ? data.at("client_time") : nullptr},
                             {"server_receive_ms", received_us / 1000},
                             {"server_time_us", now_us()}};
    std::int64_t sent = now_us();
    pong["server_send_ms"] = sent / 1000;
    pong["server_time_ms"] = sent / 1000;
    deliver(realtime::hub::make_frame("pong", std::move(pong)));
    read_next();
}

// Commands reach the database, so they run on the blocking pool, never on an io thread. Like
// an HTTP request, each one first checks that the socket's token is still good.
void ws_session::run_command(std::string type, boost::json::object data)
{
    asio::post(ctx_.pool, [self = shared_from_this(), type = std::move(type), data = std::move(data)] {
        std::vector<frame> replies;
        try {
            if (!self->ctx_.service.token_valid(self->conn_)) {
                // Reading goes on so that the client's close frame (or its silence) ends the
                // session the usual way, through on_closed.
                asio::post(self->ws_.get_executor(), [self] {
                    self->end_for_token();
                    self->read_next();
                });
                return;
            }
            replies = self->ctx_.service.handle(self->conn_, type, data, self);
        } catch (const std::exception& e) {
            obs::error("websocket command failed", {{"type", type}, {"detail", e.what()}});
            replies = {error_frame("internal_error", "Internal error")};
        }
        asio::post(self->ws_.get_executor(), [self, replies = std::move(replies)] {
            for (const auto& r : replies) self->deliver(r);
            self->read_next();
        });
    });
}

// The reader ended (close, error or timeout): leave the room on the pool, then release the
// socket and the registration.
void ws_session::on_closed()
{
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        drop_queue_locked();
    }
    asio::post(ctx_.pool, [self = shared_from_this()] {
        try {
            self->ctx_.service.disconnect(self->conn_, self.get());
        } catch (const std::exception& e) {
            obs::warn("websocket disconnect failed", {{"detail", e.what()}});
        }
        asio::post(self->ws_.get_executor(), [self] {
            self->ctx_.counters.open--;
            self->ctx_.sessions.remove(self->registration_);
            self->finish();
        });
    });
}

void ws_session::finish()
{
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).socket().close(ec);
}

asio::awaitable<void> ws_session::handshake(beast::http::request<beast::http::empty_body> upgrade,
                                            std::string subprotocol)
{
    const auto& s = ctx_.settings;
    beast::get_lowest_layer(ws_).expires_never();
    // Beast closes a socket that sends nothing (pongs included) for the activity timeout, and
    // pings it itself halfway through a silence, on top of the regular pings of run_ws_pinger.
    ws_.set_option(
        websocket::stream_base::timeout{std::chrono::seconds(10), std::chrono::seconds(s.activity_timeout_s), true});
    ws_.read_message_max(0);  // enforced by on_read, which closes with 1009 itself
    ws_.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
        res.set(beast::http::field::server, "Spotik");
        if (!subprotocol.empty()) res.set(beast::http::field::sec_websocket_protocol, subprotocol);
    }));
    // The socket counts as open from before the 101 goes out, so a client that has read the 101
    // always finds itself in the figures (and in the WS_MAX_CONNECTIONS check) until it is gone.
    ctx_.counters.open++;
    auto [ec] = co_await ws_.async_accept(upgrade, as_tuple(use_awaitable));
    if (ec) {
        ctx_.counters.open--;
        co_return;
    }
    auto handle = std::make_shared<session_handle>();
    std::weak_ptr<ws_session> weak = shared_from_this();
    handle->close_if_idle = [weak] {
        if (auto s2 = weak.lock()) s2->request_close(websocket::close_code::going_away);
    };
    handle->ping_round = [weak](const realtime::token_sweep& sweep) {
        auto s2 = weak.lock();
        if (!s2) return;
        if (sweep.ends(s2->conn_))
            s2->end_for_token();
        else
            s2->request_ping();
    };
    registration_ = ctx_.sessions.add(std::move(handle));
    ctx_.counters.opened_total++;
    deliver(ctx_.service.welcome(conn_));
    read_next();
}

}  // namespace

void start_ws_session(ws_context& ctx, beast::tcp_stream stream, beast::http::request<beast::http::empty_body> upgrade,
                      realtime::ws_connection conn, std::string subprotocol)
{
    auto executor = stream.get_executor();
    auto session = std::make_shared<ws_session>(ctx, std::move(stream), std::move(conn));
    // The lambda's captures live in the spawned coroutine's frame until the handshake ends.
    asio::co_spawn(
        executor,
        [session, upgrade = std::move(upgrade), subprotocol = std::move(subprotocol)]() mutable
        -> asio::awaitable<void> { co_await session->handshake(std::move(upgrade), std::move(subprotocol)); },
        asio::detached);
}

asio::awaitable<void> run_ws_pinger(ws_context& ctx)
{
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(std::chrono::seconds(ctx.settings.ping_interval_s));
        auto [ec] = co_await timer.async_wait(as_tuple(use_awaitable));
        if (ec) co_return;
        // The revocations come from the database (any replica's logouts and refreshes), so
        // they are read on the blocking pool.
        realtime::token_sweep sweep = co_await asio::co_spawn(
            ctx.pool, [&ctx]() -> asio::awaitable<realtime::token_sweep> { co_return ctx.service.sweep_tokens(); },
            use_awaitable);
        ctx.sessions.ping_round_all(sweep);
    }
}

}  // namespace spotik::net
