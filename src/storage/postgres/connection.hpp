// One libpq connection in non-blocking mode: opened with a deadline, statements prepared on
// first use and cached by SQL text, every wait bounded by a poll() deadline, so no call can
// hang. Used by one thread at a time (see connection_pool). Opening and a lost connection
// throw store_unavailable; failing statements throw what error.hpp describes.
#pragma once
#include "storage/postgres/result.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

struct pg_conn;  // libpq's PGconn

namespace spotik::storage::pg {

using steady = std::chrono::steady_clock;

struct connect_settings {
    // libpq keyword/value pairs in order; a "dbname" holding a URL is expanded, and the
    // pairs after it override what the URL says.
    std::vector<std::pair<std::string, std::string>> keywords;
    // Texts never shown in error messages, longest first: DATABASE_URL, passwords, a unix
    // socket directory (a server path).
    std::vector<std::string> hidden;
    std::chrono::milliseconds read_timeout{30'000};
};

class connection {
public:
    connection(const connect_settings& settings, steady::time_point deadline);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    // Runs one parameterized statement, prepared on this connection the first time its text
    // is seen. Waits at most the read timeout.
    result query(std::string_view sql, const params& args = params{});
    // Runs a script of one or more statements with no parameters (simple protocol);
    // `timeout` zero means no client-side limit. `context` names it in errors.
    void run_script(const char* sql, std::string_view context, std::chrono::milliseconds timeout);

    // "host:port/dbname" of this connection, with a socket directory shown as "(unix socket)".
    std::string target() const;
    // False when the connection is known dead or the server has sent something unasked
    // (a server shutting down says goodbye); checked without blocking before reuse.
    bool looks_alive() const;
    // Idle and outside any transaction: fit to go back to the pool.
    bool reusable() const;
    void mark_broken() noexcept { broken_ = true; }

private:
    void send_prepare(const std::string& name, std::string_view sql, int n_params, steady::time_point deadline);
    void flush(steady::time_point deadline, std::string_view context);
    // Reads every result of the request in flight; throws on the first error result.
    result collect(steady::time_point deadline, std::string_view context);
    void wait_socket(short events, steady::time_point deadline, std::string_view context);
    [[noreturn]] void fail(std::string_view what, std::string_view context);
    std::string scrubbed(std::string text) const;

    pg_conn* conn_ = nullptr;
    std::vector<std::string> hidden_;
    std::chrono::milliseconds read_timeout_;
    struct text_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
    };
    std::unordered_map<std::string, std::string, text_hash, std::equal_to<>> prepared_;  // SQL -> name
    bool broken_ = false;
};

}  // namespace spotik::storage::pg
