// The listening socket: accepts connections and starts one HTTP session coroutine per
// connection on its own strand. With one io thread the io_context itself runs a connection's
// handlers one at a time, and a strand would only cost memory (about 110 bytes a connection,
// which an idle WebSocket keeps for its whole life). open() throws
// boost::system::system_error when the address cannot be bound.
#pragma once
#include "net/server_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace spotik::net {

class http_server {
public:
    // io_threads: how many threads run ioc.
    http_server(boost::asio::io_context& ioc, int io_threads, server_context& ctx);
    // Binds and listens; returns the bound port (useful with port 0).
    unsigned short open(const std::string& host, int port);
    void start();
    void stop_accepting();

private:
    boost::asio::awaitable<void> accept_loop();

    boost::asio::io_context& ioc_;
    bool one_thread_;
    server_context& ctx_;
    boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace spotik::net
