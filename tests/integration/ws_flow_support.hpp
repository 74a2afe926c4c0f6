// Helpers shared by the room-event socket tests (ws_session_flow_test.cpp, ws_replay_test.cpp):
// opening and joining sockets, reading a log until a type, and telling room events apart.
#pragma once
#include "support/room_fixture.hpp"
#include "support/ws_client.hpp"

#include <optional>
#include <string>
#include <vector>

namespace spotik::test {

namespace json = boost::json;
using namespace std::chrono_literals;
using types = std::vector<std::string>;

inline constexpr auto k_wait = 15s;
inline constexpr auto k_quiet = 1s;

inline ws_client open_ws(const server_process& server, const std::string& token)
{
    ws_client c("127.0.0.1", server.port(), ws_client::target_for(token));
    c.expect("connection_established", k_wait);
    return c;
}

inline json::object join(ws_client& c, const std::string& room_id, std::optional<std::uint64_t> last_seq = std::nullopt)
{
    json::object data{{"room_id", room_id}};
    if (last_seq) data["last_seq"] = *last_seq;
    c.send_json({{"type", "join_room"}, {"data", data}});
    return c.expect("room_joined", k_wait);
}

// Reads into `log` until a message of `type` (included) arrives.
inline json::object read_until(ws_client& c, std::vector<json::object>& log, const std::string& type)
{
    for (;;) {
        auto m = c.next(k_wait);
        if (!m) throw std::runtime_error("no " + type + " (" + c.end_reason() + ")");
        log.push_back(*m);
        if (type_of(*m) == type) return *m;
    }
}

inline std::uint64_t seq_of(const json::object& m)
{
    return m.at("seq").to_number<std::uint64_t>();
}

inline bool is_room_event(const std::string& type)
{
    return type != "connection_established" && type != "room_joined" && type != "room_left" && type != "room_state" &&
           type != "error" && type != "pong" && type != "vote_success" && type != "playback_control_success";
}

}  // namespace spotik::test
