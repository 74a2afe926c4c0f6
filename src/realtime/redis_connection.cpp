// hiredis wrapper.
#include "realtime/redis_connection.hpp"

#include <hiredis/hiredis.h>

#include <sys/time.h>

namespace spotik::realtime {

redis_reply::redis_reply(redisReply* r) : reply_(r) {}
void redis_reply::free_reply::operator()(redisReply* r) const { freeReplyObject(r); }
bool redis_reply::is_error() const { return reply_ && reply_->type == REDIS_REPLY_ERROR; }
bool redis_reply::is_nil() const { return !reply_ || reply_->type == REDIS_REPLY_NIL; }
bool redis_reply::is_integer() const { return reply_ && reply_->type == REDIS_REPLY_INTEGER; }
bool redis_reply::is_array() const { return reply_ && reply_->type == REDIS_REPLY_ARRAY; }
long long redis_reply::integer() const { return is_integer() ? reply_->integer : 0; }
std::string_view redis_reply::text() const { return text_of(reply_.get()); }
std::size_t redis_reply::size() const { return is_array() ? reply_->elements : 0; }
const redisReply* redis_reply::element(std::size_t i) const { return i < size() ? reply_->element[i] : nullptr; }

std::string_view redis_reply::text_of(const redisReply* r)
{
    if (!r) return {};
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR)
        return {r->str, r->len};
    return {};
}

redis_connection::redis_connection(const config::redis_endpoint& endpoint, int timeout_ms)
{
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ctx_ = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv);
    if (!ctx_) throw redis_error("redis: out of memory");
    // The destructor does not run when the constructor throws: free the context here.
    try {
        if (ctx_->err) fail("connect");
        redisSetTimeout(ctx_, tv);
        redisEnableKeepAlive(ctx_);
        if (!endpoint.password.empty() && command({"AUTH", endpoint.password}).is_error())
            throw redis_error("redis: authentication failed");
        if (endpoint.db != 0) {
            std::string db = std::to_string(endpoint.db);
            if (command({"SELECT", db}).is_error()) throw redis_error("redis: SELECT " + db + " failed");
        }
    } catch (...) {
        redisFree(ctx_);
        ctx_ = nullptr;
        throw;
    }
}

redis_connection::~redis_connection()
{
    if (ctx_) redisFree(ctx_);
}

void redis_connection::fail(const char* what) const
{
    throw redis_error(std::string("redis ") + what + ": " + (ctx_ && ctx_->errstr[0] ? ctx_->errstr : "failed"));
}

void redis_connection::append(const std::vector<std::string_view>& args)
{
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (auto a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, int(argv.size()), argv.data(), lens.data()) != REDIS_OK) fail("write");
}

redis_reply redis_connection::read_reply()
{
    void* r = nullptr;
    if (redisGetReply(ctx_, &r) != REDIS_OK || !r) fail("read");
    return redis_reply(static_cast<redisReply*>(r));
}

redis_reply redis_connection::command(const std::vector<std::string_view>& args)
{
    append(args);
    return read_reply();
}

void redis_connection::flush()
{
    int done = 0;
    while (!done)
        if (redisBufferWrite(ctx_, &done) != REDIS_OK) fail("write");
}

void redis_connection::read_input()
{
    if (redisBufferRead(ctx_) != REDIS_OK) fail("read");
}

bool redis_connection::next_buffered(redis_reply& out)
{
    void* r = nullptr;
    if (redisGetReplyFromReader(ctx_, &r) != REDIS_OK) fail("parse");
    if (!r) return false;
    out = redis_reply(static_cast<redisReply*>(r));
    return true;
}

int redis_connection::fd() const { return ctx_->fd; }

}  // namespace spotik::realtime
