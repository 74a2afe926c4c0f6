// Handler plumbing.
#include "api/common.hpp"

#include "util/ids.hpp"
#include "util/utf8.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/parse_query.hpp>

#include <strings.h>
#include <cctype>

namespace spotik::api {

http::reply auth_failure_reply(service::auth_failure f)
{
    using service::auth_failure;
    switch (f) {
        case auth_failure::absent:
            return http::error_a(401, "Token not provided", "Token absent");
        case auth_failure::expired:
            return http::error_a(401, "Token has expired", "Token expired");
        case auth_failure::revoked:
            return http::error_a(401, "Token has been revoked", "Token revoked");
        case auth_failure::user_missing:
            return http::error_a(404, "User not found", "User not found");
        case auth_failure::invalid:
            break;
    }
    return http::error_a(401, "Token is invalid", "Invalid token");
}

namespace {

// Who makes the request: the grant of a WebSocket command, or else the bearer token.
boost::system::result<service::authenticated, service::auth_failure> caller(service::auth_service& auth,
                                                                            const http::request& req)
{
    if (req.grant) return auth.authenticate_verified(req.grant->user_id, req.grant->token_id, req.grant->expires_at);
    return auth.authenticate(bearer_token(req));
}

}  // namespace

http::handler with_user(service::auth_service& auth, user_handler fn)
{
    return [&auth, fn = std::move(fn)](http::request& req) {
        auto who = caller(auth, req);
        if (!who) return auth_failure_reply(who.error());
        return fn(req, *who);
    };
}

http::precheck user_first(service::auth_service& auth, user_precheck fn)
{
    return [&auth, fn = std::move(fn)](http::request& req) -> std::optional<http::reply> {
        auto who = caller(auth, req);
        if (!who) return auth_failure_reply(who.error());
        return fn(req, *who);
    };
}

http::handler with_optional_user(service::auth_service& auth, optional_user_handler fn)
{
    return [&auth, fn = std::move(fn)](http::request& req) {
        if (!req.grant && bearer_token(req).empty()) return fn(req, nullptr);
        auto who = caller(auth, req);
        return fn(req, who ? &*who : nullptr);
    };
}

std::variant<boost::json::object, http::reply> parse_body(const http::request& req, bool family_a)
{
    auto fail = [&](int status, const char* message, const char* error) {
        return family_a ? http::error_a(status, message, error) : http::error_b(status, error, message);
    };
    if (trim(req.body).empty()) return boost::json::object{};
    std::string_view type = req.header("content-type");
    std::string lower(type.substr(0, type.find(';')));
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    lower = trim(lower);
    if (lower == "application/x-www-form-urlencoded") {
        auto parsed = boost::urls::parse_query(req.body);
        if (!parsed) return fail(400, "Malformed form body", "Invalid form body");
        boost::json::object out;
        boost::urls::encoding_opts plus_is_space{true};
        for (auto p : *parsed) {
            std::string key = p.key.decode(plus_is_space), value = p.value.decode(plus_is_space);
            // Percent escapes can spell any bytes; the JSON parser refuses invalid UTF-8, so do the same.
            if (!util::is_valid_utf8(key) || !util::is_valid_utf8(value))
                return fail(400, "Malformed form body", "Invalid form body");
            out[key] = std::move(value);
        }
        return out;
    }
    if (lower != "application/json" && !lower.ends_with("+json"))
        return fail(415, "Content-Type must be application/json", "Unsupported media type");
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(req.body, ec);
    if (ec) return fail(400, "Malformed JSON body", "Invalid JSON");
    if (!v.is_object()) return fail(400, "The JSON body must be an object", "Invalid JSON");
    return std::move(v.as_object());
}

void field_errors::add(const std::string& field, std::string message)
{
    auto& list = errors_[field];
    if (!list.is_array()) list = boost::json::array{};
    list.as_array().emplace_back(std::move(message));
}

std::size_t utf8_length(std::string_view s)
{
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

std::string trim(std::string_view s)
{
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return std::string(s);
}

bool has_control_chars(std::string_view s)
{
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

std::optional<std::string> read_string(const boost::json::object& body, const std::string& field,
                                       const string_rule& rule, field_errors& errors)
{
    const auto* v = body.if_contains(field);
    if (v == nullptr || v->is_null()) {
        if (rule.required) errors.add(field, "The " + field + " field is required.");
        return std::nullopt;
    }
    if (!v->is_string()) {
        errors.add(field, "The " + field + " field must be a string.");
        return std::nullopt;
    }
    std::string s = rule.trim ? trim(v->as_string()) : std::string(v->as_string());
    if (s.empty()) {
        if (rule.required) errors.add(field, "The " + field + " field is required.");
        return std::nullopt;
    }
    // No database can hold U+0000 in text (PostgreSQL refuses it, C APIs cut the value there).
    if (s.find('\0') != std::string::npos) {
        errors.add(field, "The " + field + " field must not contain null characters.");
        return std::nullopt;
    }
    std::size_t len = utf8_length(s);
    if (len > rule.max_chars) {
        errors.add(field, "The " + field + " field must not be greater than " + std::to_string(rule.max_chars) +
                              " characters.");
        return std::nullopt;
    }
    if (len < rule.min_chars) {
        errors.add(field,
                   "The " + field + " field must be at least " + std::to_string(rule.min_chars) + " characters.");
        return std::nullopt;
    }
    return s;
}

std::optional<std::string> uuid_param(const http::request& req, std::string_view name)
{
    std::string_view v = req.param(name);
    if (!util::is_uuid(v)) return std::nullopt;
    return util::normalize_uuid(v);
}

}  // namespace spotik::api
