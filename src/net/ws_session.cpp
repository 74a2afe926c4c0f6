// WebSocket session: Beast performs the handshake, then the session frames its messages itself
// on the bare socket (net/ws_frame.hpp). Everything runs from completion handlers on the
// connection's strand, so an idle socket holds no coroutine frame and no read buffer: it waits
// for readability and reads into a stack buffer. One writer sends every queued frame in one
// gathered write, a broadcast's bytes are shared by every recipient, the queue is bounded
// (a client that falls behind by more than WS_MAX_QUEUE_BYTES is cut off), pings come from one
// shared timer, and inbound messages are rate limited. Commands run on the blocking pool.
#include "net/ws_session.hpp"

#include "net/ws_frame.hpp"
#include "obs/log.hpp"
#include "realtime/client_message.hpp"
#include "realtime/hub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <span>

namespace spotik::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using asio::as_tuple;
using asio::use_awaitable;
using asio::ip::tcp;
using realtime::frame;

namespace {

std::int64_t now_us()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t steady_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
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

const frame& no_payload()
{
    static const frame empty = std::make_shared<const std::string>();
    return empty;
}

// How long a close frame waits for the client's own before the socket is dropped.
constexpr auto close_wait = std::chrono::seconds(3);
// Frames sent in one gathered write (two buffers each: header and payload).
constexpr std::size_t frames_per_write = 32;

struct outgoing {
    frame data;
    ws::opcode op = ws::opcode::text;
};

// The frames of one gathered write, alive until it completes; allocated only while writing.
struct write_batch {
    std::array<outgoing, frames_per_write> frames;
    std::array<std::array<unsigned char, ws::max_header_bytes>, frames_per_write> headers;
    std::array<asio::const_buffer, 2 * frames_per_write> buffers;
    std::size_t count = 0;
};

// Batches are reused: each io thread keeps a few spare ones rather than asking malloc for
// 2 KB at every write.
std::vector<std::unique_ptr<write_batch>>& spare_batches()
{
    thread_local std::vector<std::unique_ptr<write_batch>> spare;
    return spare;
}

std::unique_ptr<write_batch> take_batch()
{
    auto& spare = spare_batches();
    if (spare.empty()) return std::make_unique<write_batch>();
    auto b = std::move(spare.back());
    spare.pop_back();
    return b;
}

void give_back(std::unique_ptr<write_batch> b)
{
    for (std::size_t i = 0; i < b->count; ++i) b->frames[i].data.reset();
    b->count = 0;
    if (auto& spare = spare_batches(); spare.size() < 64) spare.push_back(std::move(b));
}

class ws_session final : public realtime::hub_client,
                         public ws_writer,
                         public std::enable_shared_from_this<ws_session> {
public:
    ws_session(ws_context& ctx, tcp::socket socket, realtime::ws_connection conn)
        : ctx_(ctx),
          socket_(std::move(socket)),
          conn_(std::move(conn)),
          reader_(std::size_t(ctx.settings.max_message_bytes)),
          tokens_(ctx.settings.rate_burst),
          refilled_us_(now_us())
    {
    }

    ~ws_session() override { ctx_.counters.queued_bytes -= std::int64_t(queued_bytes_); }

    const std::string& user_id() const override { return conn_.user.id; }

    // Inline when called on the io thread and the strand is free.
    void start_writing() override
    {
        asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->write_next(); });
    }

    void deliver(const frame& f) override { enqueue({f, ws::opcode::text}); }

    void request_close(std::uint16_t code)
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
        request_close(ws::close_code::policy_error);
    }

    // The shared timer's round: a Ping, or the end of a socket whose token ended or that has
    // sent nothing (not even a Pong) for WS_ACTIVITY_TIMEOUT.
    void ping_round(bool token_ended)
    {
        if (steady_ms() - last_heard_ms_.load() > std::int64_t(ctx_.settings.activity_timeout_s) * 1000) {
            asio::post(socket_.get_executor(), [self = shared_from_this()] { self->drop_socket(); });
        } else if (token_ended) {
            end_for_token();
        } else {
            enqueue({no_payload(), ws::opcode::ping});
        }
    }

    // Takes over the socket after Beast's handshake: registers the session and starts reading.
    void start();

private:
    void enqueue(outgoing o);
    void start_writer_locked()
    {
        if (writing_ || closed_) return;
        writing_ = true;
        // Never run inline: the caller holds mutex_, which write_next() takes.
        ctx_.write_starts.request(shared_from_this());
    }
    void drop_queue_locked()
    {
        ctx_.counters.queued_bytes -= std::int64_t(queued_bytes_);
        queue_ = {};
        head_ = 0;
        queued_bytes_ = 0;
    }
    void overflow_locked();
    void write_next();
    void on_written(beast::error_code ec);
    void after_close_sent();
    void drop_socket()
    {
        if (timer_) timer_->cancel();
        beast::error_code ec;
        socket_.close(ec);
    }
    // Drops the socket after `wait` unless it is gone before (strand only).
    void drop_socket_after(std::chrono::seconds wait)
    {
        if (!timer_) timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
        timer_->expires_after(wait);
        timer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec) self->drop_socket();
        });
    }

    void read_next();
    void on_readable(beast::error_code ec);
    void consume(std::string_view in);
    bool on_frame(ws::frame_event ev);
    bool on_message(std::string text, bool is_text);
    bool handle(const std::string& text, std::int64_t received_us);
    void run_command(std::string type, boost::json::object data);
    void resume();
    void on_closed();
    bool allow_message();

    ws_context& ctx_;
    tcp::socket socket_;
    realtime::ws_connection conn_;
    std::uint64_t registration_ = 0;
    std::atomic<std::int64_t> last_heard_ms_{steady_ms()};

    // Reader (strand only).
    ws::frame_reader reader_;
    std::string unread_;  // bytes received while a command ran, handled after it
    bool close_received_ = false;
    double tokens_;  // inbound rate limit
    std::int64_t refilled_us_;
    int strikes_ = 0;

    // Writer: the batch is the strand's; the rest is guarded by mutex_.
    std::unique_ptr<write_batch> batch_;
    std::unique_ptr<asio::steady_timer> timer_;  // drops a socket that does not close in time
    std::mutex mutex_;
    std::vector<outgoing> queue_;
    std::size_t head_ = 0;  // queue_[head_..] wait to be sent
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool closed_ = false;                 // the close frame is out, or the socket is gone
    std::optional<std::uint16_t> close_;  // a close frame with this code follows the queue
};

void ws_session::enqueue(outgoing o)
{
    std::lock_guard lock(mutex_);
    if (close_ || closed_) return;
    std::size_t size = o.data->size();
    if (queued_bytes_ + size > std::size_t(ctx_.settings.max_queue_bytes)) return overflow_locked();
    queued_bytes_ += size;
    ctx_.counters.queued_bytes += std::int64_t(size);
    queue_.push_back(std::move(o));
    start_writer_locked();
}

// The client stopped reading: free its queue now and cut it off.
void ws_session::overflow_locked()
{
    ctx_.counters.slow_consumer_closes++;
    drop_queue_locked();
    close_ = ws::close_code::policy_error;
    obs::warn("websocket closed: slow consumer", {{"connection_id", conn_.connection_id}});
    // A stuck write cannot carry the close frame; give it a moment, then drop the socket.
    asio::post(socket_.get_executor(),
               [self = shared_from_this()] { self->drop_socket_after(std::chrono::seconds(2)); });
    start_writer_locked();
}

void ws_session::write_next()
{
    std::unique_ptr<write_batch> batch;
    {
        std::lock_guard lock(mutex_);
        if (closed_ || (head_ == queue_.size() && !close_)) {
            writing_ = false;
            return;
        }
        batch = take_batch();
        // What was queued before a close goes out first (a slow consumer's queue is already
        // gone); nothing is queued after it.
        while (head_ < queue_.size() && batch->count < frames_per_write) {
            auto& o = queue_[head_++];
            queued_bytes_ -= o.data->size();
            ctx_.counters.queued_bytes -= std::int64_t(o.data->size());
            batch->frames[batch->count++] = std::move(o);
        }
        if (head_ == queue_.size()) {
            queue_.clear();
            head_ = 0;
            if (queue_.capacity() > frames_per_write) queue_.shrink_to_fit();
        }
        if (batch->count == 0) {
            closed_ = true;
            batch->frames[batch->count++] = {std::make_shared<const std::string>(ws::close_payload(*close_)),
                                             ws::opcode::close};
        }
    }
    for (std::size_t i = 0; i < batch->count; ++i) {
        const auto& o = batch->frames[i];
        auto& header = batch->headers[i];
        batch->buffers[2 * i] = asio::buffer(header.data(), ws::write_header(header.data(), o.op, o.data->size()));
        batch->buffers[2 * i + 1] = asio::buffer(*o.data);
    }
    batch_ = std::move(batch);
    asio::async_write(socket_, std::span<const asio::const_buffer>(batch_->buffers.data(), 2 * batch_->count),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_written(ec); });
}

void ws_session::on_written(beast::error_code ec)
{
    auto batch = std::move(batch_);
    if (ec) {
        give_back(std::move(batch));
        std::lock_guard lock(mutex_);
        closed_ = true;
        writing_ = false;
        drop_queue_locked();
        return;
    }
    bool close_sent = false;
    for (std::size_t i = 0; i < batch->count; ++i) {
        const auto& o = batch->frames[i];
        if (o.op == ws::opcode::close) close_sent = true;
        if (o.op != ws::opcode::text) continue;
        ctx_.counters.messages_out++;
        ctx_.counters.bytes_out += std::int64_t(o.data->size());
    }
    give_back(std::move(batch));
    if (close_sent) return after_close_sent();
    write_next();
}

// Our close frame is out. The client answers with its own (then the reader drops the socket),
// or the socket is dropped after close_wait; the client's close may also have come first.
void ws_session::after_close_sent()
{
    {
        std::lock_guard lock(mutex_);
        writing_ = false;
    }
    beast::error_code ec;
    if (close_received_) return drop_socket();
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    drop_socket_after(close_wait);
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

// An idle socket waits for readability only; the bytes are then read into a stack buffer, so
// no socket keeps a read buffer between messages.
void ws_session::read_next()
{
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](beast::error_code ec) { self->on_readable(ec); });
}

void ws_session::on_readable(beast::error_code ec)
{
    if (ec) return on_closed();
    std::array<char, 16 * 1024> buf;
    std::size_t n = socket_.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return read_next();
    if (ec) return on_closed();
    last_heard_ms_ = steady_ms();
    consume(std::string_view(buf.data(), n));
}

// Handles the client's frames; reading goes on once they are all handled, or, when one of
// them started a command, once the command's replies are queued (resume()).
void ws_session::consume(std::string_view in)
{
    while (auto ev = reader_.next(in)) {
        if (!on_frame(std::move(*ev))) {
            unread_.assign(in);
            return;
        }
    }
    read_next();
}

void ws_session::resume()
{
    std::string rest = std::move(unread_);
    unread_ = {};
    consume(rest);
}

// Returns false when a command now runs on the pool (it calls resume() when done).
bool ws_session::on_frame(ws::frame_event ev)
{
    using ev_kind = ws::frame_event;
    switch (ev.kind) {
        case ev_kind::text:
        case ev_kind::binary:
            return on_message(std::move(ev.payload), ev.kind == ev_kind::text);
        case ev_kind::ping:
            enqueue({std::make_shared<const std::string>(std::move(ev.payload)), ws::opcode::pong});
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
                    // Answer with the client's code (or a plain 1000), after nothing else.
                    drop_queue_locked();
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

bool ws_session::on_message(std::string text, bool is_text)
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
bool ws_session::handle(const std::string& text, std::int64_t received_us)
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
void ws_session::run_command(std::string type, boost::json::object data)
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
        asio::post(self->socket_.get_executor(), [self] {
            self->ctx_.counters.open--;
            self->ctx_.sessions.remove(self->registration_);
            beast::error_code ec;
            self->socket_.shutdown(tcp::socket::shutdown_both, ec);
            self->drop_socket();
        });
    });
}

void ws_session::start()
{
    beast::error_code ec;
    socket_.non_blocking(true, ec);  // reads after a readiness wait must never block
    auto handle = std::make_shared<session_handle>();
    std::weak_ptr<ws_session> weak = shared_from_this();
    handle->close_if_idle = [weak] {
        if (auto s = weak.lock()) s->request_close(ws::close_code::going_away);
    };
    handle->ping_round = [weak](const realtime::token_sweep& sweep) {
        if (auto s = weak.lock()) s->ping_round(sweep.ends(s->conn_));
    };
    registration_ = ctx_.sessions.add(std::move(handle));
    ctx_.counters.opened_total++;
    deliver(ctx_.service.welcome(conn_));
    read_next();
}

// The handshake, by Beast; the upgrade request and Beast's stream live in this coroutine's
// frame only, which ends with the handshake.
asio::awaitable<void> handshake(ws_context& ctx, tcp::socket socket,
                                beast::http::request<beast::http::empty_body> upgrade, std::string subprotocol,
                                realtime::ws_connection conn)
{
    websocket::stream<tcp::socket> ws(std::move(socket));
    ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(10), websocket::stream_base::none(), false});
    ws.set_option(websocket::stream_base::decorator([&subprotocol](websocket::response_type& res) {
        res.set(beast::http::field::server, "Spotik");
        if (!subprotocol.empty()) res.set(beast::http::field::sec_websocket_protocol, subprotocol);
    }));
    // The socket counts as open from before the 101 goes out, so a client that has read the 101
    // always finds itself in the figures (and in the WS_MAX_CONNECTIONS check) until it is gone.
    ctx.counters.open++;
    auto [ec] = co_await ws.async_accept(upgrade, as_tuple(use_awaitable));
    if (ec) {
        ctx.counters.open--;
        co_return;
    }
    std::make_shared<ws_session>(ctx, std::move(ws.next_layer()), std::move(conn))->start();
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
                      realtime::ws_connection conn, std::string subprotocol)
{
    stream.expires_never();
    auto executor = stream.get_executor();
    asio::co_spawn(executor,
                   handshake(ctx, stream.release_socket(), std::move(upgrade), std::move(subprotocol), std::move(conn)),
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
