// /api/auth/*: register, login, me, refresh, logout (CONTRACT §4).
#include "api/common.hpp"
#include "api/routes.hpp"
#include "api/views.hpp"

namespace spotik::api {
namespace {

boost::json::object auth_user_json(const storage::user_record& u)
{
    auto o = user_json(u);
    o.erase("updated_at");
    return o;
}

http::reply session_reply(context& ctx, int status, const char* message, const service::issued_session& s)
{
    return http::json(status, {{"success", true},
                               {"message", message},
                               {"data",
                                {{"user", auth_user_json(s.user)},
                                 {"token", s.token},
                                 {"token_type", "bearer"},
                                 {"expires_in", ctx.auth.expires_in_s()}}}});
}

bool plausible_email(std::string_view e)
{
    auto at = e.find('@');
    if (at == std::string_view::npos || at == 0 || e.find('@', at + 1) != std::string_view::npos) return false;
    auto domain = e.substr(at + 1);
    auto dot = domain.rfind('.');
    if (domain.empty() || dot == std::string_view::npos || dot == 0 || dot + 1 == domain.size()) return false;
    for (unsigned char c : e)
        if (c <= 0x20 || c == 0x7f) return false;
    return true;
}

std::string lower(std::string s)
{
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

http::reply do_register(context& ctx, http::request& req)
{
    auto parsed = parse_body(req, true);
    if (auto* r = std::get_if<http::reply>(&parsed)) return std::move(*r);
    const auto& body = std::get<boost::json::object>(parsed);
    field_errors errors;
    auto username = read_string(body, "username", {.max_chars = 50}, errors);
    auto email = read_string(body, "email", {.max_chars = 255}, errors);
    auto password = read_string(body, "password", {.min_chars = 8, .max_chars = 1024, .trim = false}, errors);
    auto confirmation =
        read_string(body, "password_confirmation", {.required = false, .max_chars = 1024, .trim = false}, errors);
    if (username && has_control_chars(*username)) errors.add("username", "The username field format is invalid.");
    if (email) {
        *email = lower(*email);
        if (!plausible_email(*email)) errors.add("email", "The email field must be a valid email address.");
    }
    if (password && password->find('\0') != std::string::npos)
        errors.add("password", "The password field format is invalid.");
    else if (password && (!confirmation || *confirmation != *password))
        errors.add("password", "The password field confirmation does not match.");
    if (!errors.empty()) return http::validation_error(errors.json(), true);
    auto outcome = ctx.auth.register_user(*username, *email, *password);
    using storage::create_user_outcome;
    if (outcome.outcome == create_user_outcome::username_taken)
        errors.add("username", "The username has already been taken.");
    if (outcome.outcome == create_user_outcome::email_taken) errors.add("email", "The email has already been taken.");
    if (!errors.empty()) return http::validation_error(errors.json(), true);
    return session_reply(ctx, 201, "User registered successfully", *outcome.session);
}

http::reply do_login(context& ctx, http::request& req)
{
    auto parsed = parse_body(req, true);
    if (auto* r = std::get_if<http::reply>(&parsed)) return std::move(*r);
    const auto& body = std::get<boost::json::object>(parsed);
    field_errors errors;
    auto email = read_string(body, "email", {.max_chars = 255}, errors);
    auto password = read_string(body, "password", {.max_chars = 1024, .trim = false}, errors);
    if (email) {
        *email = lower(*email);
        if (!plausible_email(*email)) errors.add("email", "The email field must be a valid email address.");
    }
    if (!errors.empty()) return http::validation_error(errors.json(), true);
    // Failed logins per email and address lock that pair out for a growing time.
    if (auto ms = ctx.guard ? ctx.guard->login_locked_ms(*email, req.remote_addr) : 0; ms > 0)
        return http::too_many_requests(ms, "Too many login attempts",
                                       "Too many failed logins for this account; try again later");
    auto session = password->find('\0') == std::string::npos ? ctx.auth.login(*email, *password) : std::nullopt;
    if (!session) {
        if (ctx.guard) ctx.guard->login_failed(*email, req.remote_addr);
        return http::error_a(401, "Invalid credentials", "The provided credentials are incorrect.");
    }
    if (ctx.guard) ctx.guard->login_succeeded(*email, req.remote_addr);
    return session_reply(ctx, 200, "Login successful", *session);
}

// Refresh and logout take the token from the Authorization header, the query, or a `token`
// field of a JSON or form body (CONTRACT §0.6: both old backends read the body or the form).
std::string token_of(const http::request& req)
{
    auto token = bearer_token(req);
    if (!token.empty() || req.body.empty()) return token;
    auto parsed = parse_body(req, true);
    const auto* body = std::get_if<boost::json::object>(&parsed);
    const auto* field = body ? body->if_contains("token") : nullptr;
    return field && field->is_string() ? std::string(field->as_string()) : std::string();
}

http::reply do_refresh(context& ctx, http::request& req)
{
    auto token = ctx.auth.refresh(token_of(req));
    if (!token) {
        if (token.error() == service::auth_failure::expired)
            return http::error_a(401, "Token has expired and cannot be refreshed", "Token expired");
        return auth_failure_reply(token.error() == service::auth_failure::user_missing ? service::auth_failure::invalid
                                                                                       : token.error());
    }
    return http::json(
        200, {{"success", true},
              {"message", "Token refreshed successfully"},
              {"data", {{"token", *token}, {"token_type", "bearer"}, {"expires_in", ctx.auth.expires_in_s()}}}});
}

}  // namespace

void add_auth_routes(http::router& r, context& ctx)
{
    using http::auth_mode;
    r.add("POST", "/api/auth/register", [&ctx](http::request& req) { return do_register(ctx, req); },
          {.auth = auth_mode::none, .summary = "Create an account and receive a token", .tag = "auth"});
    r.add("POST", "/api/auth/login", [&ctx](http::request& req) { return do_login(ctx, req); },
          {.auth = auth_mode::none, .summary = "Exchange email and password for a token", .tag = "auth"});
    r.add("GET", "/api/auth/me",
          with_user(ctx.auth,
                    [](http::request&, const service::authenticated& who) {
                        return http::json(200, {{"success", true},
                                                {"message", "User retrieved successfully"},
                                                {"data", {{"user", user_json(who.user)}}}});
                    }),
          {.summary = "The authenticated user", .tag = "auth"});
    r.add("POST", "/api/auth/refresh", [&ctx](http::request& req) { return do_refresh(ctx, req); },
          {.auth = auth_mode::optional, .summary = "A new token for a valid or recently expired one", .tag = "auth"});
    r.add("POST", "/api/auth/logout",
          [&ctx](http::request& req) {
              ctx.auth.logout(token_of(req));
              return http::json(200, {{"success", true}, {"message", "Successfully logged out"}});
          },
          {.auth = auth_mode::optional, .summary = "Revoke the token", .tag = "auth"});
}

}  // namespace spotik::api
