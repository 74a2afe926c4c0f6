// The checks of admission.hpp.
#include "net/admission.hpp"

namespace spotik::net {

boost::asio::awaitable<std::optional<http::reply>> admit(server_context& ctx, const http::route& r,
                                                         const http::request& req,
                                                         std::unique_ptr<limits::guard::upload_slot>& slot)
{
    const bool counted = r.options.rate_limited, upload = r.options.body == http::body_mode::file;
    if (ctx.guard == nullptr || !ctx.guard->enabled() || (!counted && !upload)) co_return std::nullopt;
    const std::int64_t slot_ttl_ms = (std::int64_t(ctx.cfg.server.body_timeout_s) + 300) * 1000;
    co_return co_await guarded(ctx, [&]() -> std::optional<http::reply> {
        auto& g = *ctx.guard;
        const std::string token = http::bearer_token(req);
        if (counted) {
            auto v = g.check_request(g.client_of(token, req.remote_addr));
            if (!v.allowed)
                return http::too_many_requests(v.retry_after_ms, "Rate limit exceeded",
                                               "Too many requests; try again later");
        }
        if (upload && !g.try_upload(g.user_of(token), slot_ttl_ms, slot))
            return http::too_many_requests(5000, "Too many uploads in progress",
                                           "Wait for one of your uploads to finish before starting another");
        return std::nullopt;
    });
}

boost::asio::awaitable<void> release(server_context& ctx, std::unique_ptr<limits::guard::upload_slot>& slot)
{
    if (!slot) co_return;
    co_await guarded(ctx, [&] {
        slot.reset();
        return true;
    });
}

}  // namespace spotik::net
