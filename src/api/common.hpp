// Shared handler plumbing: token extraction (§0.6), authentication wrappers answering the
// §4.8 errors, JSON body parsing, field validation with Laravel-style messages, id checks.
#pragma once
#include "http/reply.hpp"
#include "http/request.hpp"
#include "http/router.hpp"
#include "service/auth_service.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace spotik::api {

using http::bearer_token;

http::reply auth_failure_reply(service::auth_failure f);

using user_handler = std::function<http::reply(http::request&, const service::authenticated&)>;
using optional_user_handler = std::function<http::reply(http::request&, const service::authenticated*)>;

http::handler with_user(service::auth_service& auth, user_handler fn);
// Anonymous callers and bad tokens both get nullptr (the route works without a user).
http::handler with_optional_user(service::auth_service& auth, optional_user_handler fn);

using user_precheck = std::function<std::optional<http::reply>(http::request&, const service::authenticated&)>;
// A before_body check (http::route_options): the caller's token first, then `fn`.
http::precheck user_first(service::auth_service& auth, user_precheck fn);

// Parses a JSON (or form-urlencoded) body into an object; an empty body is {}.
// On failure the variant holds the error reply (400 malformed, 415 wrong content type).
std::variant<boost::json::object, http::reply> parse_body(const http::request& req, bool family_a);

// Collects Laravel-style field errors ("The name field is required.").
class field_errors {
public:
    void add(const std::string& field, std::string message);
    bool empty() const { return errors_.empty(); }
    const boost::json::object& json() const { return errors_; }

private:
    boost::json::object errors_;
};

struct string_rule {
    bool required = true;
    std::size_t min_chars = 0;
    std::size_t max_chars = 255;
    bool trim = true;
    bool allow_null = false;
};

// Reads a string field: nullopt when absent/null (or invalid, with an error added).
std::optional<std::string> read_string(const boost::json::object& body, const std::string& field,
                                       const string_rule& rule, field_errors& errors);

// A room's name, after trimming: 1 to this many characters (the CLI's db seed applies it too).
inline constexpr std::size_t k_room_name_max_chars = 100;

std::size_t utf8_length(std::string_view s);
std::string trim(std::string_view s);
bool has_control_chars(std::string_view s);

// A path parameter that must be a UUID; nullopt for anything else (the caller answers 404).
std::optional<std::string> uuid_param(const http::request& req, std::string_view name);

}  // namespace spotik::api
