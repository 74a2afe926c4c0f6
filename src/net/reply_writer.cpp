// Reply serialization with Beast.
#include "net/reply_writer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace spotik::net {
namespace bhttp = boost::beast::http;
using boost::asio::as_tuple;
using boost::asio::use_awaitable;

namespace {

template <class Body>
void copy_headers(bhttp::response<Body>& res, const http::reply& rep, bool keep_alive)
{
    res.set(bhttp::field::server, "Spotik");
    for (const auto& [name, value] : rep.headers) res.set(name, value);
    res.keep_alive(keep_alive);
}

struct fd_guard {
    int fd = -1;
    ~fd_guard()
    {
        if (fd >= 0) ::close(fd);
    }
};

// Waits until the socket is writable, for at most `timeout`.
boost::asio::awaitable<bool> wait_writable(boost::beast::tcp_stream& stream, std::chrono::seconds timeout)
{
    auto& socket = stream.socket();
    boost::asio::steady_timer deadline{socket.get_executor(), timeout};
    deadline.async_wait([&socket](const boost::system::error_code& ec) {
        if (!ec) socket.cancel();
    });
    auto [ec] = co_await socket.async_wait(boost::asio::socket_base::wait_write, as_tuple(use_awaitable));
    deadline.cancel();
    co_return !ec;
}

// The headers go through Beast; the body goes from the page cache to the socket with
// sendfile(2), so no byte of the file is copied through user space.
boost::asio::awaitable<bool> write_file(boost::beast::tcp_stream& stream, const http::reply& rep, unsigned version,
                                        bool keep_alive, bool head, std::chrono::seconds timeout)
{
    const auto& range = *rep.file;
    fd_guard file{::open(range.path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) {
        // The file went away (or became unreadable) after the handler chose it; nothing has been
        // sent yet, so the client gets a plain 404 instead of a cut connection.
        co_return co_await write_reply(stream, http::error_b(404, "File not found"), version, keep_alive, head,
                                       timeout);
    }
    bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(rep.status), version};
    copy_headers(res, rep, keep_alive);
    res.content_length(range.length);
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    stream.expires_after(timeout);
    auto [ec, n] = co_await bhttp::async_write_header(stream, sr, as_tuple(use_awaitable));
    if (ec) co_return false;
    if (head || range.length == 0) co_return true;
    auto& socket = stream.socket();
    socket.non_blocking(true, ec);
    if (ec) co_return false;
    off_t offset = static_cast<off_t>(range.offset);
    std::uint64_t left = range.length;
    while (left > 0) {
        auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(left, 1 << 20));
        ssize_t sent = ::sendfile(socket.native_handle(), file.fd, &offset, chunk);
        if (sent > 0) {
            left -= std::uint64_t(sent);
            continue;
        }
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (!co_await wait_writable(stream, timeout)) co_return false;
            continue;
        }
        co_return false;  // the peer went away, or the file shrank under us
    }
    co_return true;
}

}  // namespace

boost::asio::awaitable<bool> write_reply(boost::beast::tcp_stream& stream, const http::reply& rep, unsigned version,
                                         bool keep_alive, bool head, std::chrono::seconds timeout)
{
    if (rep.file) co_return co_await write_file(stream, rep, version, keep_alive, head, timeout);
    stream.expires_after(timeout);
    if (head || rep.status == 204 || rep.status == 304) {
        bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(rep.status), version};
        copy_headers(res, rep, keep_alive);
        if (rep.status != 204 && rep.status != 304) res.content_length(rep.body.size());
        auto [ec, n] = co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
        co_return !ec;
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(rep.status), version};
    copy_headers(res, rep, keep_alive);
    res.body() = rep.body;
    res.prepare_payload();
    auto [ec, n] = co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
    co_return !ec;
}

}  // namespace spotik::net
