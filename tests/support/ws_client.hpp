// Synchronous WebSocket test client (Boost.Beast inside the .cpp): connect with a deadline,
// send text/binary frames, and read the server's JSON messages with timeouts. One read stays
// outstanding while the client is being driven, so Pings are answered (and Close frames seen)
// only while a call runs; a client nobody calls stops reading, which the slow-consumer test
// relies on. Connect/handshake failures, send timeouts and non-JSON text frames throw
// std::runtime_error; a closed connection is a value (next() nullopt, closed() true).
#pragma once
#include "support/http_client.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spotik::test {

// What the server answered to an upgrade request.
struct ws_handshake_result {
    bool upgraded = false;  // 101 Switching Protocols
    int status = 0;
    std::map<std::string, std::string> headers;  // keys lower-cased
    std::string body;
    // The body parsed as JSON; throws std::runtime_error quoting the body when it is not JSON.
    boost::json::value json() const;
    std::string header(const std::string& lower_name) const;
};

struct ws_connect_options {
    header_list headers{};         // extra handshake headers (e.g. Authorization)
    std::string subprotocol{};     // sent as Sec-WebSocket-Protocol when not empty
    int receive_buffer_bytes = 0;  // > 0: SO_RCVBUF set before connecting (slow-consumer tests)
    std::chrono::milliseconds timeout{std::chrono::seconds(20)};  // TCP connect + upgrade
};

class ws_client {
public:
    // Connects and completes the upgrade; throws std::runtime_error (with the status and body
    // of a refused upgrade) on failure. `target` is e.g. "/ws?token=...".
    ws_client(std::string host, unsigned short port, std::string target, header_list extra_headers = {},
              std::string subprotocol = {});
    ws_client(std::string host, unsigned short port, std::string target, ws_connect_options options);
    ~ws_client();  // closes politely (bounded), never throws
    ws_client(ws_client&&) noexcept;
    ws_client& operator=(ws_client&&) noexcept;
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;

    // Attempts an upgrade and reports the answer; an accepted connection is closed again.
    static ws_handshake_result try_connect(std::string host, unsigned short port, std::string target,
                                           header_list extra_headers = {}, std::string subprotocol = {},
                                           std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // "/ws?token=<token>" (JWTs need no URL encoding).
    static std::string target_for(const std::string& token);

    // Each send returns false when the connection is already closed or the write fails;
    // throws when the write cannot complete within 20 s.
    bool send_json(const boost::json::value& message);
    bool send_text(std::string text);
    bool send_binary(std::string bytes);

    // The next text message parsed as a JSON object; nullopt on timeout or once closed.
    std::optional<boost::json::object> next(std::chrono::milliseconds timeout);
    // Reads until a message of `type` arrives and returns it; throws std::runtime_error listing
    // the types skipped on the way when it does not come within `timeout` (or the socket closes).
    boost::json::object expect(const std::string& type, std::chrono::milliseconds timeout);
    // Every message until none arrives for `quiet`.
    std::vector<boost::json::object> drain(std::chrono::milliseconds quiet);

    // Keeps reading (messages stay queued for next()) until the connection ends; true when it
    // ended within `timeout`.
    bool closed(std::chrono::milliseconds timeout);
    bool is_open() const;
    // The code of the server's Close frame, once one was received (nullopt if the connection
    // dropped without one, or is still open).
    std::optional<int> close_code() const;
    // Why reading ended ("" while open), for failure messages.
    std::string end_reason() const;

    // SO_RCVBUF on the open socket (prefer ws_connect_options::receive_buffer_bytes, which is
    // applied before the TCP handshake and so also limits the advertised window).
    void set_receive_buffer(int bytes);
    // The subprotocol the server accepted ("" when none).
    const std::string& subprotocol() const;
    // Sends a Close frame (1000) and waits up to `timeout` for the server's; then drops the socket.
    void close(std::chrono::milliseconds timeout = std::chrono::seconds(5));

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// The "type" of a message ("" when absent), and the types of a list, for assertions.
std::string type_of(const boost::json::object& message);
std::vector<std::string> types_of(const std::vector<boost::json::object>& messages);

}  // namespace spotik::test
