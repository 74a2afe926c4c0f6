// Cross-cutting request/response behaviour applied to every exchange by the session:
// request ids (CONTRACT §0.8), CORS and preflight (§0.7) and the security headers (§0.8).
#pragma once
#include "http/reply.hpp"
#include "http/request.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace spotik::http {

// Keeps a client's X-Request-ID when it is 1-128 characters of [A-Za-z0-9._:-], else makes
// "req_<unix seconds>_<16 hex>".
std::string choose_request_id(std::string_view client_value, std::int64_t now_s);

class cors_policy {
public:
    explicit cors_policy(std::vector<std::string> origins);  // "*" allows any origin
    // The value for Access-Control-Allow-Origin, or "" when the origin is not allowed.
    std::string allow_origin(std::string_view origin) const;
    // Answers an OPTIONS preflight.
    reply preflight(const request& req, const std::vector<std::string>& allowed_methods) const;
    // Adds the CORS response headers to an ordinary reply.
    void decorate(const request& req, reply& r) const;

private:
    bool any_ = false;
    std::vector<std::string> origins_;
};

// X-Frame-Options, X-Content-Type-Options, X-XSS-Protection, Referrer-Policy, CSP.
void add_security_headers(reply& r);

}  // namespace spotik::http
