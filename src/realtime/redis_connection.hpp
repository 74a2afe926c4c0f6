// One synchronous connection to Redis (hiredis), with connect and command timeouts, AUTH and
// SELECT. Used only on the bus's own thread or under a mutex; never on an io thread. Every
// I/O failure throws redis_error (the connection is then unusable and must be replaced);
// Redis error replies are values (reply::is_error). The password never appears in a message.
#pragma once
#include "config/redis_endpoint.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;
struct redisReply;

namespace spotik::realtime {

class redis_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class redis_reply {
public:
    explicit redis_reply(redisReply* r = nullptr);
    bool is_error() const;
    bool is_nil() const;
    bool is_integer() const;
    bool is_array() const;
    long long integer() const;
    std::string_view text() const;  // string, status and error replies
    std::size_t size() const;       // array length
    const redisReply* element(std::size_t i) const;
    static std::string_view text_of(const redisReply* r);
    const redisReply* raw() const { return reply_.get(); }

private:
    struct free_reply {
        void operator()(redisReply* r) const;
    };
    std::unique_ptr<redisReply, free_reply> reply_;
};

class redis_connection {
public:
    redis_connection(const config::redis_endpoint& endpoint, int timeout_ms);
    ~redis_connection();
    redis_connection(const redis_connection&) = delete;
    redis_connection& operator=(const redis_connection&) = delete;

    redis_reply command(const std::vector<std::string_view>& args);
    // Pipelining: append commands, then read their replies in order.
    void append(const std::vector<std::string_view>& args);
    redis_reply read_reply();
    // Pub/sub reading: writes what was appended, reads what the socket has (call when poll()
    // says fd() is readable; throws on end of stream), and hands out complete replies.
    void flush();
    void read_input();
    bool next_buffered(redis_reply& out);
    int fd() const;

private:
    [[noreturn]] void fail(const char* what) const;
    redisContext* ctx_ = nullptr;
};

}  // namespace spotik::realtime
