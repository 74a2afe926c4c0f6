// Writes an http::reply to a Beast stream: in-memory bodies in one write, file ranges with
// sendfile(2) so memory stays flat however large the file and however many listeners.
#pragma once
#include "http/reply.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>

namespace spotik::net {

// Returns false when the write failed (the connection must then be closed).
boost::asio::awaitable<bool> write_reply(boost::beast::tcp_stream& stream, const http::reply& rep,
                                         unsigned version, bool keep_alive, bool head,
                                         std::chrono::seconds write_timeout);

}  // namespace spotik::net
