// The listening socket: accepts connections and starts one HTTP session coroutine per
// connection on its own strand. open() throws boost::system::system_error when the address
// cannot be bound.
#pragma once
#include "net/server_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace spotik::net {

class http_server {
public:
    http_server(boost::asio::io_context& ioc, server_context& ctx);
    // Binds and listens; returns the bound port (useful with port 0).
    unsigned short open(const std::string& host, int port);
    void start();
    void stop_accepting();

private:
    boost::asio::awaitable<void> accept_loop();

    boost::asio::io_context& ioc_;
    server_context& ctx_;
    boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace spotik::net
