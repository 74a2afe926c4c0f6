// The writing half of a WebSocket connection: a bounded queue of shared frames, sent up to
// frames_per_write at a time in one gathered write with headers framed here; pings; the close
// handshake; and the cut-off of a client that stops reading.
#include "net/ws_socket.hpp"

#include "obs/log.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <span>

namespace spotik::net {
namespace {

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

}  // namespace

void ws_socket::end_for_token()
{
    deliver(token_ended_frame());
    request_close(ws::close_code::policy_error);
}

void ws_socket::ping_round(bool token_ended)
{
    if (steady_ms() - last_heard_ms_.load() > std::int64_t(ctx_.settings.activity_timeout_s) * 1000) {
        asio::post(socket_.get_executor(), [self = shared_from_this()] { self->drop_socket(); });
    } else if (token_ended) {
        end_for_token();
    } else {
        enqueue({no_payload(), ws::opcode::ping});
    }
}

void ws_socket::enqueue(outgoing o)
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
void ws_socket::overflow_locked()
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

void ws_socket::write_next()
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

void ws_socket::on_written(beast::error_code ec)
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
