// The reading half of a WebSocket connection: readiness waits with no buffer held between
// messages, the client's frames (net/ws_frame.hpp), the inbound rate limit, commands on the
// blocking pool one at a time, and the end of the session when the reader stops.
#include "net/ws_socket.hpp"

#include "obs/log.hpp"
#include "realtime/client_message.hpp"
#include "storage/store.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/post.hpp>

namespace spotik::net {
namespace {

frame error_frame(std::string_view code, std::string_view message)
{
    return realtime::hub::make_frame("error", {{"error_code", code}, {"message", message}});
}

// Plain heap memory of the exact size. Asio would otherwise recycle a block some earlier, larger
// operation of this thread freed (the handshake's write, typically), and every idle socket
// would hold one of those for as long as it waits.
template <class T>
struct exact_allocator {
    using value_type = T;
    exact_allocator() = default;
    template <class U>
    exact_allocator(const exact_allocator<U>&) noexcept
    {
    }
    T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
    template <class U>
    bool operator==(const exact_allocator<U>&) const noexcept
    {
        return true;
    }
};

}  // namespace

// A token bucket. A client that went over the rate stays marked (strikes_ counts the messages
// refused since) until it has kept under it long enough for the bucket to fill up again, so a
// flood that goes on is cut off even when some of its messages find a token.
bool ws_socket::allow_message()
{
    std::int64_t now = now_us();
    const double burst = ctx_.settings.rate_burst;
    tokens_ = std::min(burst, tokens_ + double(now - refilled_us_) / 1e6 * ctx_.settings.rate_per_s);
    refilled_us_ = now;
    if (tokens_ >= burst) strikes_ = 0;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
}

// An idle socket waits for readability only; the bytes are then read into a stack buffer, so
// no socket keeps a read buffer between messages.
void ws_socket::read_next()
{
    socket_.async_wait(tcp::socket::wait_read,
                       asio::bind_allocator(exact_allocator<void>(), [self = shared_from_this()](beast::error_code ec) {
                           self->on_readable(ec);
                       }));
}

void ws_socket::on_readable(beast::error_code ec)
{
    if (ec) return on_closed();
    std::array<char, 16 * 1024> buf;
    std::size_t n = socket_.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return read_next();
    if (ec) return on_closed();
    consume(std::string_view(buf.data(), n));
}

// Handles the client's frames; reading goes on once they are all handled, or, when one of
// them started a command, once the command's replies are queued (resume()).
void ws_socket::consume(std::string_view in)
{
    while (auto ev = reader_.next(in)) {
        if (!on_frame(std::move(*ev))) {
            unread_.assign(in);
            return;
        }
    }
    read_next();
}

void ws_socket::resume()
{
    std::string rest = std::move(unread_);
    unread_ = {};
    consume(rest);
}

// Returns false when a command now runs on the pool (it calls resume() when done).
bool ws_socket::on_frame(ws::frame_event ev)
{
    using ev_kind = ws::frame_event;
    // Only whole frames count as activity: a frame trickled in a byte at a time does not keep
    // a socket that answers no Ping alive past WS_ACTIVITY_TIMEOUT.
    last_heard_ms_ = steady_ms();
    switch (ev.kind) {
        case ev_kind::text:
        case ev_kind::binary:
            // Nothing that follows a close (the client's or the server's) is acted on.
            if (close_received_ || closing()) return true;
            return on_message(std::move(ev.payload), ev.kind == ev_kind::text);
        case ev_kind::ping:
            answer_ping(std::move(ev.payload));
            return true;
        case ev_kind::pong:
            return true;
        case ev_kind::close: {
            close_received_ = true;
            bool sent;
            {
                std::lock_guard lock(mutex_);
                sent = closed_;
                if (!sent && !close_) {
                    // Answer with the client's code (or a plain 1000), after nothing but the Pongs
                    // owed to the Pings that came before the Close (RFC 6455 §5.5.2).
                    keep_only_pongs_locked();
                    close_ = ev.code == 1005 ? ws::close_code::normal : ev.code;
                    start_writer_locked();
                }
            }
            if (sent) drop_socket();
            return true;
        }
        case ev_kind::too_big:
            ctx_.counters.oversize_closes++;
            request_close(ws::close_code::too_big);
            return true;
        case ev_kind::violation:
            request_close(ev.code);
            return true;
    }
    return true;
}

bool ws_socket::on_message(std::string text, bool is_text)
{
    ctx_.counters.messages_in++;
    if (!allow_message()) {
        ctx_.counters.rate_limited++;
        if (++strikes_ == 1) deliver(error_frame("rate_limited", "Too many messages; slow down"));
        if (strikes_ > ctx_.settings.rate_burst) request_close(ws::close_code::policy_error);
        return true;
    }
    if (!is_text) {
        deliver(error_frame("invalid_message", "Text frames only"));
        return true;
    }
    return handle(text, now_us());
}

// Answers a message. A command's replies are queued before the socket's next message is
// read, so one socket's commands run one at a time and in order.
bool ws_socket::handle(const std::string& text, std::int64_t received_us)
{
    auto msg = realtime::decode_client_message(text);
    if (!msg) {
        deliver(error_frame("invalid_message", "Messages are JSON objects with a string type"));
        return true;
    }
    auto& [type, data] = *msg;
    if (type != "ping") {
        run_command(std::move(type), std::move(data));
        return false;
    }
    boost::json::object pong{{"client_time", data.contains("client_time") ? data.at("client_time") : nullptr},
                             {"server_receive_ms", received_us / 1000},
                             {"server_time_us", now_us()}};
    std::int64_t sent = now_us();
    pong["server_send_ms"] = sent / 1000;
    pong["server_time_ms"] = sent / 1000;
    deliver(realtime::hub::make_frame("pong", std::move(pong)));
    return true;
}

// Commands reach the database, so they run on the blocking pool, never on an io thread. Like
// an HTTP request, each one first checks that the socket's token is still good.
void ws_socket::run_command(std::string type, boost::json::object data)
{
    asio::post(ctx_.pool, [self = shared_from_this(), type = std::move(type), data = std::move(data)] {
        std::vector<frame> replies;
        try {
            if (!self->ctx_.service.token_valid(self->conn_)) {
                // Reading goes on so that the client's close frame (or its silence) ends the
                // session the usual way, through on_closed.
                asio::post(self->socket_.get_executor(), [self] {
                    self->end_for_token();
                    self->resume();
                });
                return;
            }
            replies = self->ctx_.service.handle(self->conn_, type, data, self);
        } catch (const storage::store_unavailable& e) {
            // As HTTP answers 503: the client may try again shortly.
            obs::warn("database unavailable", {{"type", type}, {"detail", e.what()}});
            replies = {error_frame("service_unavailable", "Service temporarily unavailable; try again shortly")};
        } catch (const std::exception& e) {
            obs::error("websocket command failed", {{"type", type}, {"detail", e.what()}});
            replies = {error_frame("internal_error", "Internal error")};
        }
        asio::post(self->socket_.get_executor(), [self, replies = std::move(replies)] {
            for (const auto& r : replies) self->deliver(r);
            self->resume();
        });
    });
}

// The reader ended (close, error or timeout): leave the room on the pool, then release the
// socket and the registration.
void ws_socket::on_closed()
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
        asio::post(self->socket_.get_executor(), [self] {
            self->ctx_.counters.open--;
            self->ctx_.sessions.remove(self->registration_);
            self->ctx_.presence.closed(self->conn_.user_id.view());
            beast::error_code ec;
            self->socket_.shutdown(tcp::socket::shutdown_both, ec);
            self->drop_socket();
        });
    });
}

}  // namespace spotik::net
