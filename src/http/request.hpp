// The server's view of one HTTP request, independent of Boost.Beast so that handlers and
// services compile without it. Filled by net/http_session; read by the api/ handlers.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spotik::http {

// A token verified earlier (a WebSocket's handshake token), known by its subject, its id (jti)
// and its expiry; who accepts it checks expiry, revocation and the user again.
struct token_grant {
    std::string user_id;
    std::string token_id;
    std::int64_t expires_at = 0;  // seconds since the epoch
};

struct request {
    std::string method;                                        // upper-case, e.g. "GET"
    std::string target;                                        // as received, e.g. "/api/rooms?x=1"
    std::string path;                                          // percent-decoded path without the query
    std::map<std::string, std::string, std::less<>> query;     // first value of each key
    std::map<std::string, std::string, std::less<>> params;    // route parameters, e.g. {room}
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;
    std::string body_file;  // streamed bodies: path of the temporary file holding the body
    std::uint64_t body_size = 0;
    std::string remote_addr;
    std::string request_id;
    std::int64_t received_at_ms = 0;
    // Set by the server itself, never from the network: a WebSocket command run as an HTTP
    // route acts with the token its socket was opened with, in place of an Authorization header.
    std::optional<token_grant> grant;

    // First header with that (lower-case) name, or "".
    std::string_view header(std::string_view lower_name) const;
    std::string_view param(std::string_view name) const;
    std::string_view query_value(std::string_view name) const;
};

// The request's token: "Authorization: Bearer <jwt>" first, then the `token` query parameter.
std::string bearer_token(const request& req);

// True when the headers leave the body's length open to two readings, the ground of request
// smuggling between a proxy and the server: more than one Content-Length (even equal ones, or
// a list in one field), a length that is not plain digits, Content-Length beside
// Transfer-Encoding, more than one Transfer-Encoding, or a coding other than plain "chunked".
// Such requests get 400 and the connection is closed.
bool ambiguous_body_framing(const request& req);

// True when the Host field breaks RFC 9112 §3.2: missing from an HTTP/1.1 (or later) request,
// given more than once, or not a host with an optional port. Such requests get 400.
bool bad_host_field(const request& req, unsigned http_version);

}  // namespace spotik::http
