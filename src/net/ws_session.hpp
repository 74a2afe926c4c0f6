// A native WebSocket connection (CONTRACT §9) after an authenticated upgrade: one read loop,
// one writer at a time over a bounded outgoing queue (a client that falls behind by more than
// WS_MAX_QUEUE_BYTES is cut off, never allowed to grow memory), protocol pings, an inbound
// rate limit, and close 1001 on shutdown.
#pragma once
#include "config/config.hpp"
#include "net/server_context.hpp"
#include "obs/metrics.hpp"
#include "realtime/ws_service.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

namespace spotik::net {

struct ws_context {
    const config::websocket_settings& settings;
    realtime::ws_service& service;
    boost::asio::thread_pool& pool;
    obs::ws_counters& counters;
    session_registry& sessions;
};

// Runs the socket until it closes. `subprotocol` is echoed in the handshake when non-empty.
boost::asio::awaitable<void> run_ws_session(ws_context& ctx, boost::beast::tcp_stream stream,
                                            boost::beast::http::request<boost::beast::http::empty_body> upgrade,
                                            realtime::ws_connection conn, std::string subprotocol);

}  // namespace spotik::net
