// The checks of a WebSocket handshake on /ws, before the connection is handed to a socket
// session: the handshake's own fields, the connection cap, the handshake rate per address and
// the token (§9.1).
#pragma once
#include "http/reply.hpp"
#include "http/request.hpp"
#include "net/server_context.hpp"
#include "realtime/ws_service.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <variant>

namespace spotik::net {

// What an accepted handshake opens the socket session with. It holds a place in the open-socket
// count (WS_MAX_CONNECTIONS), which the session then keeps until the socket is gone.
struct accepted_handshake {
    realtime::ws_connection conn;
    realtime::frame welcome;  // connection_established
    std::string subprotocol;  // echoed in the handshake when not empty
};

// The handshake token: ?token=, then Authorization: Bearer, then a "token.<jwt>" subprotocol.
// The first "token." subprotocol offered is set in `subprotocol`, to be echoed back as the
// accepted one whichever token is used: a browser that offered subprotocols fails a 101 that
// selects none. "" when there is no token.
std::string ws_token(const http::request& req, std::string& subprotocol);

// The refusal of a handshake whose fields RFC 6455 §4.2.1 rules out, as JSON (§0.5): 426 (with
// the version spoken) unless Sec-WebSocket-Version is 13, 400 unless there is one
// Sec-WebSocket-Key, the base64 form of 16 bytes, and 400 for a request with a body (the bytes
// after the upgrade request are read as frames). nullopt when all are right.
std::optional<http::reply> refuse_ws_fields(const http::request& req);

// Accepts the handshake or gives the refusal to send: the above, 503 at WS_MAX_CONNECTIONS, 429
// past the handshake rate, 401 without a valid token. The token is checked on the blocking pool.
boost::asio::awaitable<std::variant<http::reply, accepted_handshake>> check_ws_handshake(server_context& ctx,
                                                                                         const http::request& req);

}  // namespace spotik::net
