// Reply helpers and the contract's error envelopes.
#include "http/reply.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

#include <strings.h>

namespace spotik::http {

void reply::set(std::string name, std::string value)
{
    for (auto& c : value)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) c = ' ';
    for (auto& [n, v] : headers) {
        if (strcasecmp(n.c_str(), name.c_str()) == 0) {
            v = std::move(value);
            return;
        }
    }
    headers.emplace_back(std::move(name), std::move(value));
}

std::string_view reply::get(std::string_view name) const
{
    for (const auto& [n, v] : headers)
        if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
    return {};
}

reply json(int status, const boost::json::value& body)
{
    reply r;
    r.status = status;
    r.body = boost::json::serialize(body);
    r.set("Content-Type", "application/json");
    return r;
}

reply error_a(int status, std::string_view message, std::string_view error)
{
    return json(status, boost::json::object{{"success", false}, {"message", message}, {"error", error}});
}

reply error_b(int status, std::string_view error, std::string_view message)
{
    return json(status, boost::json::object{{"error", error}, {"message", message.empty() ? error : message}});
}

reply too_many_requests(std::int64_t retry_after_ms, std::string_view error, std::string_view message)
{
    const std::int64_t seconds = std::max<std::int64_t>(1, (retry_after_ms + 999) / 1000);
    auto r = json(
        429, boost::json::object{{"success", false}, {"error", error}, {"message", message}, {"retry_after", seconds}});
    r.set("Retry-After", std::to_string(seconds));
    return r;
}

reply validation_error(const boost::json::object& errors, bool family_a)
{
    boost::json::object body{{"message", "Validation failed"}, {"error", "Validation failed"}, {"errors", errors}};
    if (family_a) body["success"] = false;
    return json(422, body);
}

}  // namespace spotik::http
