// Accessors of http::request.
#include "http/request.hpp"

namespace spotik::http {

std::string_view request::header(std::string_view lower_name) const
{
    for (const auto& [name, value] : headers)
        if (name == lower_name) return value;
    return {};
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
