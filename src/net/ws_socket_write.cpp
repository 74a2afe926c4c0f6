// The writing half of a WebSocket connection: a bounded queue of shared frames, sent up to
// frames_per_write at a time in one gathered write with headers framed here; pings; the close
// handshake; and the cut-off of a client that stops reading.
#include "net/ws_socket.hpp"

#include "obs/log.hpp"

#include <boost/asio/post.hpp>

#include <array>
#include <iterator>
#include <span>

namespace spotik::net {
namespace {

// Frames sent in one gathered write (two buffers each: header and payload).
constexpr std::size_t frames_per_write = 32;
// Gathered writes one writer run makes before it lets other work on the thread go first.
constexpr int writes_per_run = 8;

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

}  // namespace

void ws_socket::end_for_token()
{
    deliver(token_ended_frame());
    request_close(ws::close_code::policy_error);
}

// The token's id and expiry never change after the handshake, so any thread may read them.
void ws_socket::ping_round(const realtime::token_sweep& sweep, bool due)
{
    if (due && steady_ms() - last_heard_ms_.load() > std::int64_t(ctx_.settings.activity_timeout_s) * 1000) {
        asio::post(socket_.get_executor(), [self = shared_from_this()] { self->drop_socket(); });
    } else if (sweep.ends(conn_)) {
        end_for_token();
    } else if (due) {
        enqueue({no_payload(), ws::opcode::ping});
    }
}

void ws_socket::enqueue(outgoing o)
{
    std::lock_guard lock(mutex_);
    if (close_ || closed_) return;
    std::size_t size = o.cost();
    if (queued_bytes_ + size > std::size_t(ctx_.settings.max_queue_bytes)) return overflow_locked();
    queued_bytes_ += size;
    ctx_.counters.queued_bytes += std::int64_t(size);
    queue_.push_back(std::move(o));
    start_writer_locked();
}

void ws_socket::answer_ping(std::string payload)
{
    outgoing pong{std::make_shared<const std::string>(std::move(payload)), ws::opcode::pong};
    {
        std::lock_guard lock(mutex_);
        if (head_ < queue_.size() && queue_.back().op == ws::opcode::pong) {
            auto& waiting = queue_.back();
            queued_bytes_ -= waiting.cost();
            ctx_.counters.queued_bytes -= std::int64_t(waiting.cost());
            queued_bytes_ += pong.cost();
            ctx_.counters.queued_bytes += std::int64_t(pong.cost());
            waiting = std::move(pong);
            return;
        }
    }
    enqueue(std::move(pong));
}

void ws_socket::keep_only_pongs_locked()
{
    std::vector<outgoing> pongs;
    for (std::size_t i = head_; i < queue_.size(); ++i)
        if (queue_[i].op == ws::opcode::pong) pongs.push_back(std::move(queue_[i]));
    drop_queue_locked();
    for (auto& o : pongs) {
        queued_bytes_ += o.cost();
        ctx_.counters.queued_bytes += std::int64_t(o.cost());
        queue_.push_back(std::move(o));
    }
}

// The client stopped reading: free its queue now and cut it off.
void ws_socket::overflow_locked()
{
    ctx_.counters.slow_consumer_closes++;
    drop_queue_locked();
    close_ = ws::close_code::policy_error;
    obs::warn("websocket closed: slow consumer", {{"connection_id", conn_.connection_id.str()}});
    // A stuck write cannot carry the close frame; give it a moment, then drop the socket.
    asio::post(socket_.get_executor(),
               [self = shared_from_this()] { self->drop_socket_after(std::chrono::seconds(2)); });
    start_writer_locked();
}

// The writer sends on the spot: a gathered write to a socket whose buffer has room completes
// at once, so nothing stays allocated between writes; only when the kernel's buffer is full
// do the frames it left half sent wait, with their count of bytes already out, for the
// socket to become writable.
void ws_socket::write_next()
{
    if (!unsent_.empty()) return;  // a wait for writability is pending; it carries on
    std::array<outgoing, frames_per_write> frames;
    for (int round = 0; round < writes_per_run; ++round) {
        const std::size_t count = take_frames(frames);
        if (count == 0) return;
        const std::span<const outgoing> taken(frames.data(), count);
        std::size_t sent = 0;
        const auto result = send_frames(taken, sent);
        if (result == send_result::failed) return write_failed();
        if (result == send_result::partial) {
            unsent_.assign(std::make_move_iterator(frames.begin()),
                           std::make_move_iterator(frames.begin() + std::ptrdiff_t(count)));
            unsent_sent_ = sent;
            return wait_writable();
        }
        if (!frames_sent(taken)) return;
    }
    // Still more queued: the rest of this thread's work goes first.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->write_next(); });
}

std::size_t ws_socket::take_frames(std::span<outgoing> out)
{
    std::lock_guard lock(mutex_);
    if (closed_ || (head_ == queue_.size() && !close_)) {
        writing_ = false;
        return 0;
    }
    std::size_t count = 0;
    // What was queued before a close goes out first (a slow consumer's queue is already gone);
    // nothing is queued after it.
    while (head_ < queue_.size() && count < out.size()) {
        auto& o = queue_[head_++];
        queued_bytes_ -= o.cost();
        ctx_.counters.queued_bytes -= std::int64_t(o.cost());
        out[count++] = std::move(o);
    }
    if (head_ == queue_.size()) {
        queue_.clear();
        head_ = 0;
        if (queue_.capacity() > frames_per_write) queue_.shrink_to_fit();
    }
    if (count == 0) {
        closed_ = true;
        out[count++] = {std::make_shared<const std::string>(ws::close_payload(*close_)), ws::opcode::close};
    }
    return count;
}

ws_socket::send_result ws_socket::send_frames(std::span<const outgoing> frames, std::size_t& sent)
{
    std::array<std::array<unsigned char, ws::max_header_bytes>, frames_per_write> headers;
    std::array<asio::const_buffer, 2 * frames_per_write> buffers;
    std::size_t n = 0;
    std::size_t skip = sent;
    std::size_t left = 0;
    auto add = [&](asio::const_buffer b) {
        if (skip >= b.size()) {
            skip -= b.size();
            return;
        }
        buffers[n++] = b + skip;
        left += b.size() - skip;
        skip = 0;
    };
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto& o = frames[i];
        add(asio::buffer(headers[i].data(), ws::write_header(headers[i].data(), o.op, o.data->size())));
        add(asio::buffer(*o.data));
    }
    beast::error_code ec;
    const std::size_t wrote = socket_.write_some(std::span<const asio::const_buffer>(buffers.data(), n), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return send_result::failed;
    sent += wrote;
    return wrote == left ? send_result::complete : send_result::partial;
}

bool ws_socket::frames_sent(std::span<const outgoing> frames)
{
    bool close_sent = false;
    for (const auto& o : frames) {
        if (o.op == ws::opcode::close) close_sent = true;
        if (o.op != ws::opcode::text) continue;
        ctx_.counters.messages_out++;
        ctx_.counters.bytes_out += std::int64_t(o.data->size());
    }
    if (close_sent) after_close_sent();
    return !close_sent;
}

void ws_socket::wait_writable()
{
    socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->write_failed();
        const auto result = self->send_frames(self->unsent_, self->unsent_sent_);
        if (result == send_result::failed) return self->write_failed();
        if (result == send_result::partial) return self->wait_writable();
        auto done = std::move(self->unsent_);
        self->unsent_ = {};
        if (self->frames_sent(done)) self->write_next();
    });
}

// The socket failed or was closed under the writer: nothing more goes out.
void ws_socket::write_failed()
{
    unsent_ = {};
    std::lock_guard lock(mutex_);
    closed_ = true;
    writing_ = false;
    drop_queue_locked();
}

// Our close frame is out. The client answers with its own (then the reader drops the socket),
// or the socket is dropped after close_wait; the client's close may also have come first.
void ws_socket::after_close_sent()
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

}  // namespace spotik::net
