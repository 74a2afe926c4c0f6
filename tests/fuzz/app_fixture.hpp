// The server's request handling in one process for the api_request and ws_command fuzz
// targets: the real router, handlers, services and hub over a SQLite database in the scratch
// directory, as src/app/application.cpp wires them (no sockets, no timers, no Redis). Every
// reset() puts the database, the storage directories and the hub back to the same small
// world (the database only when the last input wrote to it, the storage directories only when
// it sent a file), so one input always meets the same state and a crash replays from its
// input alone:
//   users admin, member, outsider (password "password123", emails <name>@fuzz.test);
//   room "main" of admin, member joined, queue: track (member's, 180 s, playing since 10 s),
//   track2 (admin's, 1 s); room "other" of outsider with other_track.
// Inputs name these with placeholders that substitute() replaces: {room}, {other_room},
// {track}, {track2}, {other_track}, {admin}, {member}, {outsider} (user ids) and
// {admin_token}, {member_token}, {outsider_token}.
#pragma once
#include "api/context.hpp"
#include "api/ws_commands.hpp"
#include "http/router.hpp"
#include "watched_store.hpp"

#include <memory>
#include <string>

namespace spotik::fuzz {

class app_fixture {
public:
    app_fixture();
    ~app_fixture();

    void reset();
    std::string substitute(std::string text) const;

    // Runs a request through the router as the server would after reading it (http::unrouted
    // for unmatched paths); file-body routes get the body written to a file.
    http::reply handle(http::request& req);

    const std::string& room_id() const { return room_; }
    const std::string& token_of(std::string_view who) const;

    api::ws_commands& commands();
    realtime::hub& hub();

private:
    struct world;
    void fill_store();
    config::config cfg_;
    util::manual_clock clock_;
    std::unique_ptr<watched_store> store_;
    bool files_written_ = true;
    std::unique_ptr<auth::jwt_codec> codec_;
    std::unique_ptr<service::auth_service> auth_;
    std::unique_ptr<world> world_;  // services, hub, router: rebuilt by reset()
    std::string password_hash_;
    std::string room_, other_room_, track_, track2_, other_track_;
    std::string admin_token_, member_token_, outsider_token_;
};

}  // namespace spotik::fuzz
