// What a WebSocket session needs from the application, so that net/ does not depend on the
// API layer: authenticate the handshake's token, handle a client command, forget a socket.
// Every method may block (database): sessions call them on the blocking pool.
#pragma once
#include "realtime/hub.hpp"
#include "storage/records.hpp"

#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spotik::realtime {

struct ws_connection {
    std::string connection_id;
    storage::user_record user;
    std::string token;
    std::optional<std::string> room_id;
};

class ws_service {
public:
    virtual ~ws_service() = default;
    // The user for a token (absent, invalid, expired and revoked tokens all give nullopt).
    virtual std::optional<storage::user_record> authenticate(const std::string& token) = 0;
    // Sent once right after the handshake.
    virtual frame welcome(const ws_connection& conn) = 0;
    virtual std::vector<frame> handle(ws_connection& conn, const std::string& type, const boost::json::object& data,
                                      const std::shared_ptr<hub_client>& self) = 0;
    virtual void disconnect(ws_connection& conn, const hub_client* self) = 0;
};

}  // namespace spotik::realtime
