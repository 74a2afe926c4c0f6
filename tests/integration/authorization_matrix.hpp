// Vocabulary of the authorization matrix test (authorization_matrix_test.cpp): the kinds of
// caller, what one cell of the matrix must answer, the row types of the HTTP and WebSocket
// tables, and shorthands for the expectation patterns the contract repeats (token required,
// participants only, administrator only). The tables themselves are in authorization_matrix_rows.hpp.
#pragma once
#include <boost/json/object.hpp>

#include <array>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace spotik::test::authz {

// Who makes the request. The bad tokens (garbage, forged, expired, revoked) all name the room's
// administrator, so a cell that lets them through would hand out the highest privilege.
enum class caller {
    anonymous,    // no token at all
    garbage,      // a token that is not a JWT
    forged,       // a well-formed JWT signed with another secret
    expired,      // signed with the server's secret, expired an hour ago
    revoked,      // issued by login, then logged out
    outsider,     // a valid user who is not a participant of the room
    participant,  // a participant who did not upload the track in question
    uploader,     // a participant who uploaded the track in question
    other_admin,  // administrator of another room, not a participant of this one
    admin,        // the room's creator and administrator
};

inline constexpr std::array k_callers{caller::anonymous,   caller::garbage,  caller::forged,      caller::expired,
                                      caller::revoked,     caller::outsider, caller::participant, caller::uploader,
                                      caller::other_admin, caller::admin};

inline std::string_view name_of(caller c)
{
    static constexpr std::array<std::string_view, k_callers.size()> names{
        "anonymous", "garbage",     "forged",   "expired",     "revoked",
        "outsider",  "participant", "uploader", "other_admin", "admin"};
    return names[static_cast<std::size_t>(c)];
}

// A valid user whose token opens a WebSocket.
inline bool has_valid_token(caller c)
{
    return c >= caller::outsider;
}

// One HTTP cell: the exact status and, for an error, the `error` text and envelope family
// (CONTRACT §0.5: A adds "success": false; both carry "message" and "error").
struct outcome {
    int status = 200;
    std::string error{};  // empty: a success, whose body is not examined here
    bool family_a = false;
};

inline outcome ok(int status = 200)
{
    return {status};
}
inline outcome err_a(int status, std::string error)
{
    return {status, std::move(error), true};
}
inline outcome err_b(int status, std::string error)
{
    return {status, std::move(error), false};
}

using cells = std::map<caller, outcome>;

inline cells everyone(const outcome& o)
{
    cells out;
    for (auto c : k_callers) out[c] = o;
    return out;
}

// CONTRACT §4.8: a missing, invalid, expired or revoked token gets 401 in family A; every
// valid user gets `users`.
inline cells token_required(const outcome& users)
{
    cells out = everyone(users);
    out[caller::anonymous] = err_a(401, "Token absent");
    out[caller::garbage] = err_a(401, "Invalid token");
    out[caller::forged] = err_a(401, "Invalid token");
    out[caller::expired] = err_a(401, "Token expired");
    out[caller::revoked] = err_a(401, "Token revoked");
    return out;
}

inline cells but(cells base, std::initializer_list<std::pair<const caller, outcome>> changes)
{
    for (const auto& [c, o] : changes) base[c] = o;
    return base;
}

// Participants (the administrator always counts as one, §6.1) get `yes`, other users `no`.
inline cells participants_only(const outcome& yes, const outcome& no)
{
    return but(token_required(yes), {{caller::outsider, no}, {caller::other_admin, no}});
}

inline cells admin_only(const outcome& yes, const outcome& no)
{
    return but(token_required(no), {{caller::admin, yes}});
}

// The room a cell acts on. shared: one scenario for the whole row set; the others are built
// afresh for each cell, so a destructive call in one cell cannot change the next.
enum class setup { shared, fresh, fresh_paused };

// The ids a request is filled with: {room}, {track} and {path...} in a route pattern.
struct scenario {
    std::string room;
    std::string track;  // uploaded by the uploader; playing, or paused for fresh_paused
    std::string cover;  // a stored room cover, relative to /api/storage/ (shared scenario only)
};

struct request_body {
    std::string content;
    std::string type;  // Content-Type
};

using body_fn = std::function<request_body(const scenario&)>;

struct http_row {
    std::string method;
    std::string pattern;  // exactly as the router lists it in GET /api
    cells expect;
    setup where = setup::shared;
    body_fn body{};               // none: no body
    std::string variant{};        // tells apart rows of the same route in failure messages
    bool token_in_query = false;  // ?token= instead of Authorization (CONTRACT §0.6)
    bool consumes_token = false;  // the call spends its token (refresh, logout): a new one per cell
};

// One WebSocket cell: a caller without a valid token is refused at the handshake (CONTRACT
// §9.1: 401, no upgrade) with `refusal`; a user gets a frame of type `reply` or an error frame
// with `code`.
struct ws_outcome {
    std::string reply{};  // success frame type; empty when an error is expected
    std::string code{};   // data.error_code of the error frame
};

struct ws_row {
    std::string type;  // the client message type (as listed by GET /api), or an unknown one
    std::function<boost::json::object(const scenario&)> data{};  // the message's "data"; none: {}
    std::map<caller, ws_outcome> expect;                         // valid users only
    std::string success;                                         // the reply type that ends a successful command
    setup where = setup::shared;
    bool join_first = false;  // send join_room for the room before the command
    std::string variant{};
    bool listed = true;  // false: a deliberately unknown type, absent from the server's list
};

inline ws_outcome reply(std::string type)
{
    return {std::move(type), {}};
}
inline ws_outcome ws_error(std::string code)
{
    return {{}, std::move(code)};
}

inline std::map<caller, ws_outcome> ws_users(const ws_outcome& members, const ws_outcome& others)
{
    return {{caller::outsider, others},
            {caller::other_admin, others},
            {caller::participant, members},
            {caller::uploader, members},
            {caller::admin, members}};
}

}  // namespace spotik::test::authz
