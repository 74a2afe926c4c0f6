// One upgraded WebSocket connection after Beast's handshake, shared by the files that make it
// up: ws_socket_read.cpp (frames in, commands, the end of the session), ws_socket_write.cpp
// (the bounded queue, gathered writes, pings and closing) and ws_session.cpp (the handshake and
// the start). net/ws_session.hpp is the interface the rest of the server uses. Internal to net/.
// "Strand" below means the connection's executor: a strand, or with a single io thread the
// io_context itself, which runs one handler at a time just the same.
#pragma once
#include "net/ws_frame.hpp"
#include "net/ws_session.hpp"
#include "realtime/hub.hpp"
#include "util/clock.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace spotik::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using realtime::frame;

using util::steady_ms;  // for the activity timeout
std::int64_t now_us();  // wall clock, for pong and the rate limit

struct outgoing {
    frame data;
    ws::opcode op = ws::opcode::text;
    // What the frame holds while it waits, counted against WS_MAX_QUEUE_BYTES: its payload and
    // a fixed share for its header, its queue entry and its buffer's own block, so that a
    // flood of empty frames (Pongs to empty Pings) cannot grow a queue that counts nothing.
    std::size_t cost() const { return data->size() + 64; }
};

class ws_socket final : public realtime::hub_client,
                        public ws_writer,
                        public registered_session,
                        public std::enable_shared_from_this<ws_socket> {
public:
    ws_socket(ws_context& ctx, tcp::socket socket, realtime::ws_connection conn)
        : ctx_(ctx),
          socket_(std::move(socket)),
          conn_(std::move(conn)),
          reader_(std::size_t(ctx.settings.max_message_bytes)),
          tokens_(ctx.settings.rate_burst),
          refilled_us_(now_us())
    {
    }

    ~ws_socket() override { ctx_.counters.queued_bytes -= std::int64_t(queued_bytes_); }

    std::string_view user_id() const override { return conn_.user_id.view(); }

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

    void close_if_idle() override { request_close(ws::close_code::going_away); }

    // The token that opened the socket is no longer good: say so, then close with 1008.
    void end_for_token();
    // The shared timer's visit: the end of a socket whose token ended and, when `due`, a Ping,
    // or the end of a socket that has sent nothing (not even a Pong) for WS_ACTIVITY_TIMEOUT.
    void ping_round(const realtime::token_sweep& sweep, bool due) override;

    // Takes over the socket after Beast's handshake: registers the session, sends the welcome,
    // handles the bytes that came with the handshake and starts reading.
    void start(const frame& welcome, std::string_view early);

private:
    // A close frame is queued or sent, or the socket is gone.
    bool closing()
    {
        std::lock_guard lock(mutex_);
        return close_ || closed_;
    }
    void enqueue(outgoing o);
    // The Pong to a Ping: it replaces a Pong still waiting at the end of the queue (RFC 6455
    // §5.5.3 lets an endpoint answer only the latest of several Pings).
    void answer_ping(std::string payload);
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
    void keep_only_pongs_locked();
    void overflow_locked();
    void write_next();
    // Moves queued frames (or the close frame) into `out`, as many as fit; 0 when the
    // writer has nothing left and stops.
    std::size_t take_frames(std::span<outgoing> out);
    // One non-blocking gathered write of the frames' wire form, less its first `sent` bytes,
    // which it advances by what the kernel took.
    enum class send_result { complete, partial, failed };
    send_result send_frames(std::span<const outgoing> frames, std::size_t& sent);
    // Counts frames that are fully sent; false when one was the close frame (the writer ends).
    bool frames_sent(std::span<const outgoing> frames);
    void wait_writable();
    void write_failed();
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

    // Writer: frames a full socket buffer left half sent, and how much of them went (strand
    // only); the rest is guarded by mutex_.
    std::vector<outgoing> unsent_;
    std::size_t unsent_sent_ = 0;
    std::unique_ptr<asio::steady_timer> timer_;  // drops a socket that does not close in time
    std::mutex mutex_;
    std::vector<outgoing> queue_;
    std::size_t head_ = 0;  // queue_[head_..] wait to be sent
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool closed_ = false;                 // the close frame is out, or the socket is gone
    std::optional<std::uint16_t> close_;  // a close frame with this code follows the queue
};

}  // namespace spotik::net
