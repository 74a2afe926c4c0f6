// Raw TCP connection over Asio: each blocking call runs one asynchronous operation on the
// connection's own io_context, raced against a timer that cancels it (the socket stays open).
// Throws std::runtime_error on connect failure and send timeout; peer close is a value.
#include "support/raw_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <stdexcept>

namespace spotik::test {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using clock_type = std::chrono::steady_clock;

std::chrono::milliseconds remaining(clock_type::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    return std::max(left, std::chrono::milliseconds(0));
}

}  // namespace

struct raw_connection::impl {
    asio::io_context ioc_;
    tcp::socket socket_{ioc_};
    asio::steady_timer timer_{ioc_};
    std::string pending_;  // bytes read but not yet handed out
    bool closed_ = false;

    // Starts `op` (which takes a completion handler of (error_code, size_t)) and runs it
    // until it completes or `timeout` passes; a timeout is reported as asio::error::timed_out.
    template <class Start>
    std::pair<error_code, std::size_t> run(Start start, std::chrono::milliseconds timeout) {
        error_code ec;
        std::size_t n = 0;
        bool timed_out = false;
        timer_.expires_after(timeout);
        timer_.async_wait([&](error_code tec) {
            if (tec) return;
            timed_out = true;
            error_code ignored;
            socket_.cancel(ignored);
        });
        start([&](error_code e, std::size_t bytes) {
            ec = e;
            n = bytes;
            timer_.cancel();
        });
        ioc_.restart();
        ioc_.run();
        if (timed_out && ec == asio::error::operation_aborted) ec = asio::error::timed_out;
        return {ec, n};
    }

    // Reads once into pending_. False on timeout or when the peer has closed.
    bool read_once(std::chrono::milliseconds timeout) {
        if (closed_) return false;
        std::array<char, 65536> chunk{};
        auto [ec, n] = run([&](auto handler) { socket_.async_read_some(asio::buffer(chunk), handler); },
                           timeout);
        pending_.append(chunk.data(), n);
        if (ec == asio::error::timed_out) return n > 0;
        if (ec) closed_ = true;  // eof, reset, aborted: the peer is gone
        return !ec;
    }

    std::string take(std::size_t count) {
        std::string out = pending_.substr(0, count);
        pending_.erase(0, count);
        return out;
    }
};

raw_connection::raw_connection(std::string host, unsigned short port,
                               std::chrono::milliseconds connect_timeout)
    : impl_(std::make_unique<impl>()) {
    const std::string where = host + ":" + std::to_string(port);
    tcp::resolver resolver(impl_->ioc_);
    error_code ec;
    const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) throw std::runtime_error("raw_connection: cannot resolve " + where + ": " + ec.message());
    auto [cec, unused] = impl_->run(
        [&](auto handler) {
            asio::async_connect(impl_->socket_, endpoints,
                                [handler](error_code e, const tcp::endpoint&) { handler(e, 0); });
        },
        connect_timeout);
    if (cec) throw std::runtime_error("raw_connection: cannot connect to " + where + ": " + cec.message());
    impl_->socket_.set_option(tcp::no_delay(true), ec);
}

raw_connection::~raw_connection() = default;
raw_connection::raw_connection(raw_connection&&) noexcept = default;
raw_connection& raw_connection::operator=(raw_connection&&) noexcept = default;

bool raw_connection::send(std::string_view bytes, std::chrono::milliseconds timeout) {
    auto& d = *impl_;
    if (!d.socket_.is_open()) return false;
    auto [ec, n] = d.run([&](auto handler) { asio::async_write(d.socket_, asio::buffer(bytes), handler); },
                         timeout);
    if (ec == asio::error::timed_out) {
        throw std::runtime_error("raw_connection: send timed out after " + std::to_string(timeout.count()) +
                                 " ms with " + std::to_string(n) + " of " + std::to_string(bytes.size()) +
                                 " bytes written");
    }
    if (ec) d.closed_ = true;
    return !ec;
}

std::string raw_connection::read_some(std::chrono::milliseconds timeout) {
    auto& d = *impl_;
    if (d.pending_.empty()) d.read_once(timeout);
    return d.take(d.pending_.size());
}

std::string raw_connection::read_until(std::string_view marker, std::chrono::milliseconds timeout) {
    auto& d = *impl_;
    const auto deadline = clock_type::now() + timeout;
    for (;;) {
        const auto pos = d.pending_.find(marker);
        if (pos != std::string::npos) return d.take(pos + marker.size());
        if (d.closed_ || clock_type::now() >= deadline) return d.take(d.pending_.size());
        d.read_once(remaining(deadline));
    }
}

std::string raw_connection::read_all(std::chrono::milliseconds timeout) {
    auto& d = *impl_;
    const auto deadline = clock_type::now() + timeout;
    while (!d.closed_ && clock_type::now() < deadline) d.read_once(remaining(deadline));
    return d.take(d.pending_.size());
}

bool raw_connection::closed_by_peer(std::chrono::milliseconds timeout) {
    auto& d = *impl_;
    const auto deadline = clock_type::now() + timeout;
    while (!d.closed_ && clock_type::now() < deadline) d.read_once(remaining(deadline));
    return d.closed_;
}

bool raw_connection::peer_closed() const { return impl_->closed_; }

void raw_connection::shutdown_send() {
    error_code ignored;
    impl_->socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

void raw_connection::close() {
    error_code ignored;
    impl_->socket_.close(ignored);
}

std::string raw_exchange(std::string host, unsigned short port, std::string bytes,
                         std::chrono::milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    raw_connection conn(std::move(host), port, timeout);
    try {
        conn.send(bytes, remaining(deadline));
    } catch (const std::runtime_error&) {
        // The server stopped reading (e.g. it rejected the request early): collect its answer.
    }
    return conn.read_all(remaining(deadline));
}

}  // namespace spotik::test
