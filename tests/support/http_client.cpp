// The test HTTP client over Boost.Beast: each request runs its asynchronous steps on the
// client's own io_context under one deadline, so a silent server fails the test instead of
// hanging it. Throws std::runtime_error on connect failure, timeout or a malformed response.
#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <stdexcept>

namespace spotik::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

using request_t = http::request<http::string_body>;
using parser_t = http::response_parser<http::string_body>;

request_t build_request(const std::string& method, const std::string& target, std::string body,
                        const header_list& headers, const std::string& host_field) {
    request_t req;
    const http::verb verb = http::string_to_verb(method);
    if (verb == http::verb::unknown) {
        req.method_string(method);
    } else {
        req.method(verb);
    }
    req.target(target);
    req.version(11);
    std::set<std::string> given;
    for (const auto& [name, value] : headers) {
        given.insert(lower(name));
        req.insert(name, value);
    }
    if (!given.contains("host")) req.set(http::field::host, host_field);
    if (!given.contains("user-agent")) req.set(http::field::user_agent, "spotik-test-client");
    req.body() = std::move(body);
    // Malformed-framing tests pass their own Content-Length / Transfer-Encoding: keep them.
    if (!given.contains("content-length") && !given.contains("transfer-encoding")) {
        req.prepare_payload();
    }
    return req;
}

http_response to_response(const http::response<http::string_body>& msg) {
    http_response out;
    out.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg) {
        const auto name = field.name_string();
        const auto value = field.value();
        auto [it, inserted] = out.headers.try_emplace(lower({name.data(), name.size()}),
                                                      std::string(value.data(), value.size()));
        if (!inserted) it->second += ", " + std::string(value.data(), value.size());
    }
    out.body = msg.body();
    return out;
}

// True when the kept-alive socket has been closed by the peer (or has unexpected bytes
// waiting, which also means it cannot carry a new request cleanly).
bool socket_is_stale(tcp::socket& socket) {
    pollfd pfd{};
    pfd.fd = socket.native_handle();
    pfd.events = POLLIN | POLLRDHUP;
    return ::poll(&pfd, 1, 0) != 0;
}

}  // namespace

struct http_client::impl {
    std::string host_;
    unsigned short port_ = 0;
    std::chrono::milliseconds timeout_{30000};
    asio::io_context ioc_;
    std::optional<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
    int connections_opened_ = 0;

    std::string where() const { return host_ + ":" + std::to_string(port_); }

    // Runs the io_context until the pending operation has completed.
    void run() {
        ioc_.restart();
        ioc_.run();
    }

    void close() {
        if (stream_) {
            error_code ignored;
            stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
            stream_->socket().close(ignored);
        }
        stream_.reset();
        buffer_.clear();
    }

    void connect(std::chrono::steady_clock::time_point deadline) {
        close();
        tcp::resolver resolver(ioc_);
        error_code ec;
        const auto endpoints = resolver.resolve(host_, std::to_string(port_), ec);
        if (ec) throw std::runtime_error("http_client: cannot resolve " + where() + ": " + ec.message());
        stream_.emplace(ioc_);
        stream_->expires_at(deadline);
        stream_->async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
        run();
        if (ec) {
            close();
            const bool timed_out = ec == beast::error::timeout;
            throw std::runtime_error("http_client: cannot connect to " + where() + ": " +
                                     (timed_out ? std::string("timed out") : ec.message()));
        }
        stream_->socket().set_option(tcp::no_delay(true), ec);
        ++connections_opened_;
    }

    // Writes the request and reads the final (non-1xx) response into `result`.
    error_code exchange(request_t& req, bool head, bool& got_bytes,
                        http::response<http::string_body>& result) {
        error_code ec;
        got_bytes = false;
        http::async_write(*stream_, req, [&](error_code e, std::size_t) { ec = e; });
        run();
        if (ec) return ec;
        for (;;) {
            parser_t parser;
            parser.body_limit(boost::none);
            parser.header_limit(1024 * 1024);
            if (head) parser.skip(true);
            http::async_read(*stream_, buffer_, parser, [&](error_code e, std::size_t) { ec = e; });
            run();
            got_bytes = got_bytes || parser.got_some();
            if (ec) return ec;
            const unsigned status = parser.get().result_int();
            // Interim responses (100 Continue, 102, 103) precede the real one; 101 is final.
            if (status >= 100 && status < 200 && status != 101) continue;
            result = parser.release();
            return ec;
        }
    }
};

http_client::http_client(std::string host, unsigned short port) : impl_(std::make_unique<impl>()) {
    impl_->host_ = std::move(host);
    impl_->port_ = port;
}

http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;
http_client& http_client::operator=(http_client&&) noexcept = default;

http_response http_client::request(std::string method, std::string target, std::string body,
                                   header_list headers) {
    auto& d = *impl_;
    const auto deadline = std::chrono::steady_clock::now() + d.timeout_;
    request_t req = build_request(method, target, std::move(body), headers, d.where());
    const bool head = req.method() == http::verb::head;
    const std::string what = method + " " + target;
    for (int attempt = 0;; ++attempt) {
        bool reused = d.stream_.has_value();
        if (reused && socket_is_stale(d.stream_->socket())) {
            d.close();
            reused = false;
        }
        if (!reused) d.connect(deadline);
        d.stream_->expires_at(deadline);
        http::response<http::string_body> msg;
        bool got_bytes = false;
        const error_code ec = d.exchange(req, head, got_bytes, msg);
        if (!ec) {
            if (!msg.keep_alive()) d.close();
            return to_response(msg);
        }
        d.close();
        if (ec == beast::error::timeout) {
            throw std::runtime_error("http_client: timeout after " + std::to_string(d.timeout_.count()) +
                                     " ms: " + what);
        }
        // A kept-alive connection the server closed just as we reused it: retry once, fresh.
        if (reused && !got_bytes && attempt == 0) continue;
        throw std::runtime_error("http_client: " + what + " failed: " + ec.message());
    }
}

http_response http_client::get(std::string target, header_list headers) {
    return request("GET", std::move(target), {}, std::move(headers));
}

http_response http_client::get_auth(std::string target, const std::string& token) {
    header_list headers{{"Accept", "application/json"}};
    add_bearer(headers, token);
    return request("GET", std::move(target), {}, std::move(headers));
}

namespace {
header_list json_headers(const std::string& token) {
    header_list headers{{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    add_bearer(headers, token);
    return headers;
}
}  // namespace

http_response http_client::post_json(std::string target, const boost::json::value& body,
                                     const std::string& token) {
    return request("POST", std::move(target), boost::json::serialize(body), json_headers(token));
}

http_response http_client::put_json(std::string target, const boost::json::value& body,
                                    const std::string& token) {
    return request("PUT", std::move(target), boost::json::serialize(body), json_headers(token));
}

http_response http_client::patch_json(std::string target, const boost::json::value& body,
                                      const std::string& token) {
    return request("PATCH", std::move(target), boost::json::serialize(body), json_headers(token));
}

http_response http_client::del(std::string target, const std::string& token) {
    header_list headers{{"Accept", "application/json"}};
    add_bearer(headers, token);
    return request("DELETE", std::move(target), {}, std::move(headers));
}

http_response http_client::post_body(std::string target, std::string body, std::string content_type,
                                     const std::string& token) {
    header_list headers{{"Content-Type", std::move(content_type)}, {"Accept", "application/json"}};
    add_bearer(headers, token);
    return request("POST", std::move(target), std::move(body), std::move(headers));
}

void http_client::set_timeout(std::chrono::milliseconds timeout) { impl_->timeout_ = timeout; }
void http_client::disconnect() { impl_->close(); }
int http_client::connections_opened() const { return impl_->connections_opened_; }
const std::string& http_client::host() const { return impl_->host_; }
unsigned short http_client::port() const { return impl_->port_; }

void add_bearer(header_list& headers, const std::string& token) {
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
}

boost::json::value http_response::json() const {
    error_code ec;
    auto value = boost::json::parse(body, ec);
    if (ec) {
        constexpr std::size_t max_quote = 4096;
        std::string quoted = body.size() > max_quote ? body.substr(0, max_quote) + "...(truncated)" : body;
        throw std::runtime_error("response body is not JSON (" + ec.message() + "), status " +
                                 std::to_string(status) + ", body: " + quoted);
    }
    return value;
}

std::string http_response::header(std::string_view name) const {
    const auto it = headers.find(lower(name));
    return it == headers.end() ? std::string() : it->second;
}

bool http_response::has_header(std::string_view name) const { return headers.contains(lower(name)); }

}  // namespace spotik::test
