// Accessors of http::request.
#include "http/request.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>

#include <strings.h>

namespace spotik::http {

std::string_view request::header(std::string_view lower_name) const
{
    for (const auto& [name, value] : headers)
        if (name == lower_name) return value;
    return {};
}

namespace {

std::string_view trimmed(std::string_view v)
{
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
}

}  // namespace

std::string bearer_token(const request& req)
{
    std::string_view h = req.header("authorization");
    if (h.size() > 7 && strncasecmp(h.data(), "bearer ", 7) == 0) return std::string(trimmed(h.substr(7)));
    return std::string(req.query_value("token"));
}

bool ambiguous_body_framing(const request& req)
{
    int lengths = 0;
    int encodings = 0;
    bool plain = true;  // every Content-Length is digits only and every coding is "chunked"
    for (const auto& [name, value] : req.headers) {
        if (name == "content-length") {
            ++lengths;
            auto v = trimmed(value);
            plain = plain && !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
        } else if (name == "transfer-encoding") {
            ++encodings;
            auto v = trimmed(value);
            constexpr std::string_view chunked = "chunked";
            plain = plain && v.size() == chunked.size() &&
                    std::equal(v.begin(), v.end(), chunked.begin(), [](char a, char b) { return (a | 0x20) == b; });
        }
    }
    return !plain || lengths > 1 || encodings > 1 || (lengths > 0 && encodings > 0);
}

bool bad_host_field(const request& req, unsigned http_version)
{
    int count = 0;
    std::string_view value;
    for (const auto& [name, v] : req.headers) {
        if (name != "host") continue;
        ++count;
        value = trimmed(v);
    }
    if (count == 0) return http_version >= 11;
    if (count > 1) return true;
    if (value.empty()) return false;  // allowed for a target with no authority
    auto authority = boost::urls::parse_authority(value);
    return !authority || authority->has_userinfo();
}

std::string_view request::param(std::string_view name) const
{
    auto it = params.find(name);
    return it == params.end() ? std::string_view{} : std::string_view{it->second};
}

std::string_view request::query_value(std::string_view name) const
{
    auto it = query.find(name);
    return it == query.end() ? std::string_view{} : std::string_view{it->second};
}

}  // namespace spotik::http
