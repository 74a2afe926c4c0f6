// A native WebSocket connection (CONTRACT §9) after an authenticated upgrade: Beast answers the
// handshake, then the session frames messages itself on the bare socket (net/ws_frame.hpp): one
// reader that keeps no buffer while the socket idles, one writer that sends every queued frame
// in one gathered write over a bounded queue (a client that falls behind by more than
// WS_MAX_QUEUE_BYTES is cut off, never allowed to grow memory), protocol pings and the activity
// timeout from one shared timer, an inbound rate limit, and close 1001 on shutdown.
#pragma once
#include "config/config.hpp"
#include "net/server_context.hpp"
#include "obs/metrics.hpp"
#include "realtime/presence.hpp"
#include "realtime/ws_service.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

#include <memory>
#include <mutex>
#include <vector>

namespace spotik::net {

// A socket whose writer has frames to send.
class ws_writer {
public:
    virtual ~ws_writer() = default;
    virtual void start_writing() = 0;  // runs the writer on the socket's strand
};

// Writers to start, gathered from every thread that queues frames (a room event reaches
// thousands of sockets from one thread). One handler on the io_context starts them, each on
// its own strand (inline when the strand is free), in chunks that other io threads can take:
// a fan-out costs a handful of posted handlers, not one per socket.
class ws_write_starts {
public:
    explicit ws_write_starts(boost::asio::io_context::executor_type io) : io_(io) {}
    void request(std::shared_ptr<ws_writer> w);

private:
    void run();
    boost::asio::io_context::executor_type io_;
    std::mutex mutex_;
    std::vector<std::shared_ptr<ws_writer>> pending_;
};

struct ws_context {
    const config::websocket_settings& settings;
    realtime::ws_service& service;
    boost::asio::thread_pool& pool;
    obs::ws_counters& counters;
    session_registry& sessions;
    ws_write_starts& write_starts;
    realtime::presence& presence;
};

// Starts the session on the stream's executor and returns at once: the socket lives on by
// itself, so nothing of the HTTP connection that carried the upgrade stays in memory.
// `subprotocol` is echoed in the handshake when non-empty. `early` holds the bytes that came
// behind the upgrade request (frames a client sent without waiting for the 101): they are read
// as the socket's first frames.
void start_ws_session(ws_context& ctx, boost::beast::tcp_stream stream,
                      boost::beast::http::request<boost::beast::http::empty_body> upgrade, realtime::ws_connection conn,
                      realtime::frame welcome, std::string subprotocol, std::string early);

// Sends a protocol Ping to every open socket every WS_PING_INTERVAL seconds, until the
// io_context stops: one timer for all sockets rather than one per socket, each tick pinging
// one share of them. Once a round, every socket's token is checked against the revocations.

boost::asio::awaitable<void> run_ws_pinger(ws_context& ctx);

}  // namespace spotik::net
