// One HTTP/1.1 connection: a C++20 coroutine on its own strand (with one io thread, on the
// io_context itself: net/http_server.hpp) that reads requests with
// header, body and idle deadlines and size limits, runs them through the router, and writes
// replies (in-memory or streamed from a file) with keep-alive.
#pragma once
#include "net/server_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace spotik::net {

boost::asio::awaitable<void> run_http_session(server_context& ctx, boost::asio::ip::tcp::socket socket);

}  // namespace spotik::net
