// What a WebSocket session needs from the application, so that net/ does not depend on the
// API layer: authenticate the handshake's token, handle a client command, forget a socket.
// Every method may block (database): sessions call them on the blocking pool.
#pragma once
#include "realtime/hub.hpp"
#include "storage/records.hpp"
#include "util/ids.hpp"

#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace spotik::realtime {

// What a socket keeps for its whole life, so kept small: 15 000 idle sockets hold 15 000 of
// these. Not the token itself: its id and expiry are enough to check it again.
struct ws_connection {
    util::inline_id connection_id;
    util::inline_id user_id;
    std::optional<util::inline_id> room_id;
    std::string token_id;               // the token's jti, for revocation
    std::int64_t token_expires_at = 0;  // the token's exp, seconds since the epoch
};

// Who a valid handshake token names, and the token's own id and expiry.
struct ws_identity {
    storage::user_record user;
    std::string token_id;
    std::int64_t expires_at = 0;
};

// What the sockets learn each WebSocket ping interval: the time (seconds since the epoch) and
// the tokens revoked since the previous round. A socket whose token is in `revoked` or has
// expired is told so and closed.
struct token_sweep {
    std::int64_t now_s = 0;
    std::unordered_set<std::string> revoked;
    bool ends(const ws_connection& conn) const
    {
        return conn.token_expires_at <= now_s || revoked.contains(conn.token_id);
    }
};

class ws_service {
public:
    virtual ~ws_service() = default;
    // The user for a token (absent, invalid, expired and revoked tokens all give nullopt).
    virtual std::optional<ws_identity> authenticate(const std::string& token) = 0;
    // Whether the socket's token is still good (not expired, not revoked, its user still
    // there): checked before every command, as HTTP checks every request.
    virtual bool token_valid(const ws_connection& conn) = 0;
    // The current time and the tokens revoked since the previous call (the first call looks
    // back from its own time). When the database cannot answer, only expiries count this time
    // and the next call covers the missed stretch too.
    virtual token_sweep sweep_tokens() = 0;
    // Sent once right after the handshake.
    virtual frame welcome(const ws_connection& conn, const storage::user_record& user) = 0;
    virtual std::vector<frame> handle(ws_connection& conn, const std::string& type, const boost::json::object& data,
                                      const std::shared_ptr<hub_client>& self) = 0;
    virtual void disconnect(ws_connection& conn, const hub_client* self) = 0;
};

}  // namespace spotik::realtime
