// Client -> server WebSocket commands (CONTRACT §9.4): join_room (with optional last_seq
// replay), leave_room, get_room_state, get_track_queue, vote_track and playback_control.
// The last three run the very HTTP route they mirror through the router, with the socket's
// own token, so authorization and results are exactly those of the REST API. Blocking: call
// on the blocking pool.
#pragma once
#include "api/context.hpp"
#include "http/router.hpp"
#include "realtime/hub.hpp"
#include "realtime/ws_service.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace spotik::api {

using realtime::ws_connection;

class ws_commands final : public realtime::ws_service {
public:
    ws_commands(context& ctx, const http::router& router, realtime::hub& hub);

    std::optional<realtime::ws_identity> authenticate(const std::string& token) override;
    bool token_valid(const ws_connection& conn) override;
    realtime::token_sweep sweep_tokens() override;
    realtime::frame welcome(const ws_connection& conn, const storage::user_record& user) override;

    // Handles one command; returns the frames to send back directly (replies, errors). A
    // join delivers its reply through the hub so that it precedes replayed and later events.
    std::vector<realtime::frame> handle(ws_connection& conn, const std::string& type, const boost::json::object& data,
                                        const std::shared_ptr<realtime::hub_client>& self) override;
    void disconnect(ws_connection& conn, const realtime::hub_client* self) override;

    static realtime::frame error(std::string_view code, std::string_view message);

    // Every client message type the server answers: "ping" (answered by the WebSocket session
    // itself, on its io thread) and the commands handle() dispatches. GET /api publishes the
    // list; the authorization matrix test fails on a type it has no row for.
    static std::vector<std::string> message_types();

private:
    // The socket's user as the room reply shows it: from the room's participants, which it
    // normally is one of, else from the store.
    std::optional<storage::user_record> viewer_in(const service::room_view& view, std::string_view user_id);
    using runner = std::vector<realtime::frame> (*)(ws_commands&, ws_connection&, const boost::json::object&,
                                                    const std::shared_ptr<realtime::hub_client>&);
    struct command {
        std::string_view type;
        runner run;
    };
    // The dispatch table: a command exists only by having an entry here.
    static const std::vector<command>& commands();

    std::vector<realtime::frame> join(ws_connection& conn, const boost::json::object& data,
                                      const std::shared_ptr<realtime::hub_client>& self);
    std::vector<realtime::frame> room_state(ws_connection& conn);
    // Runs an HTTP route internally as the socket's user; returns (status, JSON body).
    std::pair<int, boost::json::value> route(const ws_connection& conn, const std::string& method,
                                             const std::string& path, boost::json::object body = {});
    std::vector<realtime::frame> vote(ws_connection& conn, const boost::json::object& data);
    std::vector<realtime::frame> playback(ws_connection& conn, const boost::json::object& data);
    std::vector<realtime::frame> queue(ws_connection& conn);

    context& ctx_;
    const http::router& router_;
    realtime::hub& hub_;
    std::int64_t swept_until_ms_;  // sweep_tokens: revocations up to here are known
};

}  // namespace spotik::api
