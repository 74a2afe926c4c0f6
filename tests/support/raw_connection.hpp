// Raw TCP access to the server for malformed-request and slow-client tests: bytes in, bytes
// out, no HTTP parsing. Connect failures and send timeouts throw std::runtime_error; a peer that
// closes or resets the connection is reported as a value (send() false, peer_closed() true).
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace spotik::test {

// Opens a fresh connection, writes `bytes`, then reads until the server closes the connection
// or `timeout` (counted from the start) passes, and returns everything read.
std::string raw_exchange(std::string host, unsigned short port, std::string bytes,
                         std::chrono::milliseconds timeout);

class raw_connection {
public:
    raw_connection(std::string host, unsigned short port,
                   std::chrono::milliseconds connect_timeout = std::chrono::seconds(10));
    ~raw_connection();
    raw_connection(raw_connection&&) noexcept;
    raw_connection& operator=(raw_connection&&) noexcept;
    raw_connection(const raw_connection&) = delete;
    raw_connection& operator=(const raw_connection&) = delete;

    // Writes all of `bytes`. Returns false when the peer has closed or reset the connection;
    // throws std::runtime_error when the bytes cannot be written within `timeout`.
    bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Waits up to `timeout` for data and returns what arrived ("" on timeout or peer close).
    std::string read_some(std::chrono::milliseconds timeout);
    // Reads until `marker` has been seen, the peer closes, or `timeout` passes; returns all
    // bytes up to and including the marker (or all read, if it never came). Later bytes are
    // kept for the next read.
    std::string read_until(std::string_view marker, std::chrono::milliseconds timeout);
    // Reads until the peer closes or `timeout` passes and returns all bytes read.
    std::string read_all(std::chrono::milliseconds timeout);
    // Waits up to `timeout` for the peer to close or reset the connection. Data arriving
    // meanwhile is kept for the next read. True when the peer closed.
    bool closed_by_peer(std::chrono::milliseconds timeout);
    // True once a read or write has seen the peer close or reset the connection.
    bool peer_closed() const;
    // Half-closes the connection (sends FIN); reading stays possible.
    void shutdown_send();
    void close();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace spotik::test
