// The abuse limits a request meets before its route runs (limits/guard): the request rate and,
// for uploads, the user's uploads in progress. The checks run inline when the counters are in
// this process, and on the blocking pool when they are shared in Redis.
#pragma once
#include "http/reply.hpp"
#include "http/request.hpp"
#include "net/server_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <type_traits>

namespace spotik::net {

// Runs a guard check where it may block: inline when the counters are in this process, on the
// blocking pool when they are in Redis.
template <typename Check>
boost::asio::awaitable<std::invoke_result_t<Check>> guarded(server_context& ctx, Check check)
{
    using result = std::invoke_result_t<Check>;
    if (!ctx.guard->remote()) co_return check();
    co_return co_await boost::asio::co_spawn(
        ctx.pool, [&]() -> boost::asio::awaitable<result> { co_return check(); }, boost::asio::use_awaitable);
}

// The request rate and, for uploads, the user's uploads in progress, checked before the body
// is read. A refusal is the reply to send; an admitted upload holds `slot` until it is done.
boost::asio::awaitable<std::optional<http::reply>> admit(server_context& ctx, const http::route& r,
                                                         const http::request& req,
                                                         std::unique_ptr<limits::guard::upload_slot>& slot);

// Gives an upload slot back (a Redis call when the counters are shared).
boost::asio::awaitable<void> release(server_context& ctx, std::unique_ptr<limits::guard::upload_slot>& slot);

}  // namespace spotik::net
