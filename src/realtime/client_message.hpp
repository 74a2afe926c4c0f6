// Decoding of what a WebSocket client sends (CONTRACT §9.4): every text frame must be a JSON
// object with a string "type"; its "data" is used only when it is an object. Kept apart from
// net/ws_session so that the same code runs in the unit tests and the fuzz target. Never throws
// (but std::bad_alloc).
#pragma once
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace spotik::realtime {

struct client_message {
    std::string type;
    boost::json::object data;  // empty when absent or not an object
};

// nullopt for anything that is not such an object (the session answers "invalid_message").
std::optional<client_message> decode_client_message(std::string_view text);

}  // namespace spotik::realtime
