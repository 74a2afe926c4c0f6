// Request ids, CORS and security headers.
#include "http/middleware.hpp"

#include "util/ids.hpp"

#include <algorithm>
#include <cctype>

namespace spotik::http {

std::string choose_request_id(std::string_view client_value, std::int64_t now_s)
{
    bool sane = !client_value.empty() && client_value.size() <= 128 &&
                std::all_of(client_value.begin(), client_value.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == ':';
                });
    if (sane) return std::string(client_value);
    return "req_" + std::to_string(now_s) + "_" + util::fast_hex64();
}

cors_policy::cors_policy(std::vector<std::string> origins)
{
    for (auto& o : origins) {
        if (o == "*")
            any_ = true;
        else if (!o.empty())
            origins_.push_back(std::move(o));
    }
}

std::string cors_policy::allow_origin(std::string_view origin) const
{
    if (any_) return origin.empty() ? "*" : std::string(origin);
    if (std::find(origins_.begin(), origins_.end(), origin) != origins_.end()) return std::string(origin);
    return {};
}

reply cors_policy::preflight(const request& req, const std::vector<std::string>& allowed_methods) const
{
    reply r;
    r.status = 204;
    decorate(req, r);
    r.set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    r.set("Access-Control-Allow-Headers",
          "Authorization, Content-Type, Accept, Cache-Control, X-Requested-With, Range, X-Request-ID, "
          "If-None-Match, If-Modified-Since, If-Range, If-Match, If-Unmodified-Since");
    r.set("Access-Control-Max-Age", "86400");
    std::string allow;
    for (const auto& m : allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
    if (!allow.empty()) r.set("Allow", allow + ", OPTIONS");
    return r;
}

void cors_policy::decorate(const request& req, reply& r) const
{
    std::string origin = allow_origin(req.header("origin"));
    if (origin.empty()) return;
    r.set("Access-Control-Allow-Origin", origin);
    if (origin != "*") r.set("Vary", "Origin");
    r.set("Access-Control-Expose-Headers",
          "X-Request-ID, X-Response-Time, Content-Range, Content-Length, Accept-Ranges, ETag, Retry-After");
}

void add_security_headers(reply& r)
{
    r.set("X-Frame-Options", "DENY");
    r.set("X-Content-Type-Options", "nosniff");
    r.set("X-XSS-Protection", "1; mode=block");
    r.set("Referrer-Policy", "strict-origin-when-cross-origin");
    r.set("Content-Security-Policy",
          "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'");
}

}  // namespace spotik::http
