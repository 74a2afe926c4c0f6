// Client message decoding.
#include "realtime/client_message.hpp"

#include <boost/json/parse.hpp>

namespace spotik::realtime {

std::optional<client_message> decode_client_message(std::string_view text)
{
    boost::system::error_code ec;
    auto parsed = boost::json::parse(text, ec);
    if (ec || !parsed.is_object()) return std::nullopt;
    auto& msg = parsed.as_object();
    const auto* type = msg.if_contains("type");
    if (type == nullptr || !type->is_string()) return std::nullopt;
    client_message out{std::string(type->as_string()), {}};
    if (auto* d = msg.if_contains("data"); d && d->is_object()) out.data = std::move(d->as_object());
    return out;
}

}  // namespace spotik::realtime
