// Accept loop. Running out of file descriptors is logged and retried after a short pause
// instead of ending the loop, so the server recovers when descriptors are freed.
#include "net/http_server.hpp"

#include "net/http_session.hpp"
#include "obs/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace spotik::net {
namespace asio = boost::asio;
using asio::ip::tcp;

http_server::http_server(asio::io_context& ioc, int io_threads, server_context& ctx)
    : ioc_(ioc), one_thread_(io_threads == 1), ctx_(ctx), acceptor_(ioc)
{
}

unsigned short http_server::open(const std::string& host, int port)
{
    tcp::endpoint ep{asio::ip::make_address(host), static_cast<unsigned short>(port)};
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    return acceptor_.local_endpoint().port();
}

void http_server::start()
{
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
}

void http_server::stop_accepting()
{
    asio::post(acceptor_.get_executor(), [this] {
        boost::system::error_code ec;
        acceptor_.close(ec);
    });
}

asio::awaitable<void> http_server::accept_loop()
{
    std::int64_t fd_warnings = 0;
    while (acceptor_.is_open()) {
        auto executor = one_thread_ ? asio::any_io_executor(ioc_.get_executor()) : asio::make_strand(ioc_);
        auto [ec, socket] = co_await acceptor_.async_accept(executor, asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        if (ec) {
            if (fd_warnings++ % 100 == 0)
                obs::error("accept failed", {{"detail", ec.message()}, {"occurrences", fd_warnings}});
            asio::steady_timer pause{ioc_, std::chrono::milliseconds(50)};
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        asio::co_spawn(socket.get_executor(), run_http_session(ctx_, std::move(socket)), asio::detached);
    }
}

}  // namespace spotik::net
