// Reply serialization with Beast.
#include "net/reply_writer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
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

boost::asio::awaitable<bool> write_file(boost::beast::tcp_stream& stream, const http::reply& rep,
                                        unsigned version, bool keep_alive, bool head,
                                        std::chrono::seconds timeout)
{
    const auto& range = *rep.file;
    fd_guard file{::open(range.path.c_str(), O_RDONLY | O_CLOEXEC)};
    bhttp::response<bhttp::buffer_body> res{static_cast<bhttp::status>(rep.status), version};
    copy_headers(res, rep, keep_alive);
    res.content_length(range.length);
    res.body().data = nullptr;
    res.body().more = !head && range.length > 0;
    bhttp::response_serializer<bhttp::buffer_body> sr{res};
    stream.expires_after(timeout);
    auto [ec, n] = co_await bhttp::async_write_header(stream, sr, as_tuple(use_awaitable));
    if (ec) co_return false;
    if (head || range.length == 0) co_return true;
    if (file.fd < 0) co_return false;  // the file vanished after the headers were chosen
    auto buf = std::make_unique<std::array<char, 65536>>();
    std::uint64_t offset = range.offset;
    std::uint64_t left = range.length;
    while (left > 0) {
        auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf->size()));
        ssize_t got = ::pread(file.fd, buf->data(), want, static_cast<off_t>(offset));
        if (got <= 0) co_return false;
        offset += std::uint64_t(got);
        left -= std::uint64_t(got);
        res.body().data = buf->data();
        res.body().size = std::size_t(got);
        res.body().more = left > 0;
        stream.expires_after(timeout);
        auto [wec, wn] = co_await bhttp::async_write(stream, sr, as_tuple(use_awaitable));
        if (wec == bhttp::error::need_buffer) continue;
        if (wec) co_return false;
    }
    co_return true;
}

}  // namespace

boost::asio::awaitable<bool> write_reply(boost::beast::tcp_stream& stream, const http::reply& rep,
                                         unsigned version, bool keep_alive, bool head,
                                         std::chrono::seconds timeout)
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
