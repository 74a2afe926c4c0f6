// The WebSocket test client over Boost.Beast. Every blocking call runs the client's own
// io_context until its condition holds or its deadline passes; a single async_read stays
// outstanding across calls (it is never cancelled, which would fail a Beast stream), and
// completed messages are queued. Throws std::runtime_error as described in ws_client.hpp.
#include "support/ws_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>

namespace spotik::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using clock_type = std::chrono::steady_clock;

std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}

std::string joined(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return "[" + out + "]";
}

}  // namespace

boost::json::value ws_handshake_result::json() const
{
    error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec)
        throw std::runtime_error("ws handshake answer is not JSON (status " + std::to_string(status) + "): " + body);
    return v;
}

std::string ws_handshake_result::header(const std::string& lower_name) const
{
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
}

struct ws_client::impl {
    asio::io_context ioc_;
    websocket::stream<beast::tcp_stream> ws_{ioc_};
    beast::flat_buffer buffer_;
    std::deque<std::string> inbox_;
    bool connected_ = false;
    bool reading_ = false;
    bool ended_ = false;
    std::string end_reason_;
    std::string write_error_;  // the first failed write, for end_reason()
    std::optional<int> close_code_;
    std::string subprotocol_;

    // Runs handlers until done() holds or the deadline passes; false on timeout or when no
    // operation is left that could make done() true.
    bool run_until(const std::function<bool()>& done, clock_type::time_point deadline)
    {
        while (!done()) {
            if (clock_type::now() >= deadline) return false;
            if (ioc_.stopped()) ioc_.restart();
            if (ioc_.run_one_until(deadline) == 0 && ioc_.stopped()) return done();  // no work left
        }
        return true;
    }

    void end(const error_code& ec, std::string why)
    {
        if (ended_) return;
        ended_ = true;
        // A Close frame may have been read even when the read reports another error (e.g. when a
        // concurrent write failed first): Beast keeps its reason either way.
        const auto& reason = ws_.reason();
        if (ec == websocket::error::closed || reason.code != websocket::close_code::none) {
            close_code_ = int(reason.code);
            end_reason_ = "close frame " + std::to_string(*close_code_) + " \"" +
                          std::string(reason.reason.data(), reason.reason.size()) + "\"";
            if (ec != websocket::error::closed) end_reason_ += " (then " + why + ": " + ec.message() + ")";
        } else {
            end_reason_ = why + ": " + ec.message();
        }
        if (!write_error_.empty()) end_reason_ += "; earlier write error: " + write_error_;
    }

    void arm_read()
    {
        if (reading_ || ended_ || !connected_) return;
        reading_ = true;
        ws_.async_read(buffer_, [this](error_code ec, std::size_t) {
            reading_ = false;
            if (ec) {
                end(ec, "read failed");
                return;
            }
            inbox_.push_back(beast::buffers_to_string(buffer_.data()));
            buffer_.consume(buffer_.size());
            arm_read();
        });
    }

    // Drops the socket and lets every pending operation finish (with an error).
    void abort()
    {
        error_code ignored;
        beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(ws_).socket().close(ignored);
        if (!ended_) {
            ended_ = true;
            if (end_reason_.empty()) end_reason_ = "closed by the client";
        }
        ioc_.restart();
        ioc_.run_for(std::chrono::seconds(2));
        connected_ = false;
    }

    bool send(std::string_view bytes, bool text)
    {
        if (!connected_ || ended_) return false;
        arm_read();
        bool done = false;
        error_code wec;
        ws_.text(text);
        ws_.async_write(asio::buffer(bytes.data(), bytes.size()), [&](error_code ec, std::size_t) {
            done = true;
            wec = ec;
        });
        if (!run_until([&] { return done; }, clock_type::now() + std::chrono::seconds(20))) {
            abort();
            throw std::runtime_error("ws_client: a " + std::to_string(bytes.size()) +
                                     "-byte write did not complete within 20 s");
        }
        if (wec) {
            if (write_error_.empty()) write_error_ = wec.message();
            return false;
        }
        return true;
    }

    ws_handshake_result connect(const std::string& host, unsigned short port, const std::string& target,
                                const ws_connect_options& options)
    {
        const auto deadline = clock_type::now() + options.timeout;
        const std::string where = host + ":" + std::to_string(port);
        error_code ec;
        tcp::endpoint endpoint;
        auto address = asio::ip::make_address(host, ec);
        if (!ec) {
            endpoint = tcp::endpoint(address, port);
        } else {
            tcp::resolver resolver(ioc_);
            auto results = resolver.resolve(host, std::to_string(port), ec);
            if (ec || results.empty()) throw std::runtime_error("ws_client: cannot resolve " + where);
            endpoint = *results.begin();
        }
        auto& lowest = beast::get_lowest_layer(ws_);
        if (options.receive_buffer_bytes > 0) {
            lowest.socket().open(endpoint.protocol());
            lowest.socket().set_option(asio::socket_base::receive_buffer_size(options.receive_buffer_bytes));
        }
        lowest.expires_at(deadline);
        bool done = false;
        lowest.async_connect(endpoint, [&](error_code e) {
            ec = e;
            done = true;
        });
        run_until([&] { return done; }, deadline + std::chrono::seconds(5));
        if (ec) throw std::runtime_error("ws_client: cannot connect to " + where + ": " + ec.message());
        lowest.socket().set_option(tcp::no_delay(true), ec);

        ws_.set_option(websocket::stream_base::decorator(
            [headers = options.headers, subprotocol = options.subprotocol](websocket::request_type& req) {
                req.set(beast::http::field::user_agent, "spotik-ws-test-client");
                for (const auto& [name, value] : headers) req.set(name, value);
                if (!subprotocol.empty()) req.set(beast::http::field::sec_websocket_protocol, subprotocol);
            }));
        websocket::response_type res;
        done = false;
        ws_.async_handshake(res, where, target, [&](error_code e) {
            ec = e;
            done = true;
        });
        run_until([&] { return done; }, deadline + std::chrono::seconds(5));
        lowest.expires_never();

        ws_handshake_result out;
        out.status = int(res.result_int());
        for (const auto& field : res) {
            auto [it, inserted] = out.headers.try_emplace(lower(field.name_string()), std::string(field.value()));
            if (!inserted) it->second += ", " + std::string(field.value());
        }
        out.body = res.body();
        if (ec) {
            if (out.status == 0)
                throw std::runtime_error("ws_client: upgrade to " + where + target.substr(0, target.find('?')) +
                                         " failed: " + ec.message());
            abort();
            return out;
        }
        out.upgraded = true;
        subprotocol_ = out.header("sec-websocket-protocol");
        connected_ = true;
        return out;
    }

    void close(std::chrono::milliseconds timeout)
    {
        if (!connected_) return;
        if (!ended_) {
            // Shared: the handler may run later, inside abort().
            auto done = std::make_shared<bool>(false);
            ws_.async_close(websocket::close_code::normal, [done](error_code) { *done = true; });
            run_until([&] { return *done && !reading_; }, clock_type::now() + timeout);
        }
        abort();
    }
};

ws_client::ws_client(std::string host, unsigned short port, std::string target, header_list extra_headers,
                     std::string subprotocol)
    : ws_client(std::move(host), port, std::move(target),
                ws_connect_options{.headers = std::move(extra_headers), .subprotocol = std::move(subprotocol)})
{
}

ws_client::ws_client(std::string host, unsigned short port, std::string target, ws_connect_options options)
    : impl_(std::make_unique<impl>())
{
    auto result = impl_->connect(host, port, target, options);
    if (!result.upgraded)
        throw std::runtime_error("ws_client: upgrade refused with status " + std::to_string(result.status) + ": " +
                                 result.body);
    impl_->arm_read();
}

ws_client::~ws_client()
{
    if (!impl_) return;
    try {
        impl_->close(std::chrono::seconds(1));
    } catch (...) {
    }
}

ws_client::ws_client(ws_client&&) noexcept = default;
ws_client& ws_client::operator=(ws_client&&) noexcept = default;

ws_handshake_result ws_client::try_connect(std::string host, unsigned short port, std::string target,
                                           header_list extra_headers, std::string subprotocol,
                                           std::chrono::milliseconds timeout)
{
    impl d;
    auto result =
        d.connect(host, port, target,
                  ws_connect_options{
                      .headers = std::move(extra_headers), .subprotocol = std::move(subprotocol), .timeout = timeout});
    if (result.upgraded) d.close(std::chrono::seconds(2));
    return result;
}

std::string ws_client::target_for(const std::string& token)
{
    return "/ws?token=" + token;
}

bool ws_client::send_json(const boost::json::value& message)
{
    return impl_->send(boost::json::serialize(message), true);
}
bool ws_client::send_text(std::string text)
{
    return impl_->send(text, true);
}
bool ws_client::send_binary(std::string bytes)
{
    return impl_->send(bytes, false);
}

std::optional<boost::json::object> ws_client::next(std::chrono::milliseconds timeout)
{
    auto& d = *impl_;
    if (d.inbox_.empty()) {
        d.arm_read();
        d.run_until([&] { return !d.inbox_.empty() || d.ended_; }, clock_type::now() + timeout);
    }
    if (d.inbox_.empty()) return std::nullopt;
    std::string text = std::move(d.inbox_.front());
    d.inbox_.pop_front();
    error_code ec;
    auto parsed = boost::json::parse(text, ec);
    if (ec || !parsed.is_object())
        throw std::runtime_error("ws_client: the server sent a message that is not a JSON object: " + text);
    return std::move(parsed.as_object());
}

boost::json::object ws_client::expect(const std::string& type, std::chrono::milliseconds timeout)
{
    const auto deadline = clock_type::now() + timeout;
    std::vector<std::string> skipped;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
        auto msg = next(std::max(left, std::chrono::milliseconds(0)));
        if (!msg) {
            throw std::runtime_error("ws_client: no \"" + type + "\" message within " +
                                     std::to_string(timeout.count()) + " ms" +
                                     (impl_->ended_ ? " (connection ended: " + impl_->end_reason_ + ")" : "") +
                                     "; skipped " + joined(skipped));
        }
        if (type_of(*msg) == type) return std::move(*msg);
        std::string shown = boost::json::serialize(*msg);
        skipped.push_back(shown.size() > 300 ? shown.substr(0, 300) + "..." : shown);
    }
}

std::vector<boost::json::object> ws_client::drain(std::chrono::milliseconds quiet)
{
    std::vector<boost::json::object> out;
    while (auto msg = next(quiet)) out.push_back(std::move(*msg));
    return out;
}

bool ws_client::closed(std::chrono::milliseconds timeout)
{
    auto& d = *impl_;
    if (!d.ended_) {
        d.arm_read();
        d.run_until([&] { return d.ended_; }, clock_type::now() + timeout);
    }
    return d.ended_;
}

bool ws_client::is_open() const
{
    return impl_ && impl_->connected_ && !impl_->ended_;
}
std::optional<int> ws_client::close_code() const
{
    return impl_->close_code_;
}
std::string ws_client::end_reason() const
{
    return impl_->end_reason_;
}
const std::string& ws_client::subprotocol() const
{
    return impl_->subprotocol_;
}

void ws_client::set_receive_buffer(int bytes)
{
    beast::get_lowest_layer(impl_->ws_).socket().set_option(asio::socket_base::receive_buffer_size(bytes));
}

void ws_client::close(std::chrono::milliseconds timeout)
{
    impl_->close(timeout);
}

std::string type_of(const boost::json::object& message)
{
    const auto* t = message.if_contains("type");
    return t && t->is_string() ? std::string(t->as_string()) : std::string();
}

std::vector<std::string> types_of(const std::vector<boost::json::object>& messages)
{
    std::vector<std::string> out;
    out.reserve(messages.size());
    for (const auto& m : messages) out.push_back(type_of(m));
    return out;
}

}  // namespace spotik::test
