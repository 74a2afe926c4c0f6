// Helpers shared by the WebSocket integration tests (handshake, commands, session flow, replay,
// back-pressure, resilience, frame rules): opening and joining sockets (also on a raw
// connection), reading messages and errors, and telling room events apart.
#pragma once
#include "support/raw_connection.hpp"
#include "support/room_fixture.hpp"
#include "support/ws_client.hpp"
#include "util/clock.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace spotik::test {

namespace json = boost::json;
using namespace std::chrono_literals;
using types = std::vector<std::string>;

inline constexpr auto k_wait = 15s;  // a reply that must come (generous: ASan on a loaded machine)
inline constexpr auto k_quiet = 1s;  // silence that shows nothing else is coming

inline ws_client connect_ws(const server_process& server, const std::string& token)
{
    return ws_client("127.0.0.1", server.port(), ws_client::target_for(token));
}

// A socket whose connection_established has been read.
inline ws_client open_ws(const server_process& server, const std::string& token, ws_connect_options options = {})
{
    ws_client c("127.0.0.1", server.port(), ws_client::target_for(token), std::move(options));
    c.expect("connection_established", k_wait);
    return c;
}

// One of the WebSocket counters of GET /api/websocket/status.
inline std::int64_t ws_counter(http_client& http, const char* name)
{
    auto r = http.get("/api/websocket/status");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("counters").at(name).to_number<std::int64_t>();
}

inline json::object next_msg(ws_client& c)
{
    auto m = c.next(k_wait);
    if (!m) throw std::runtime_error("no message within the wait (" + c.end_reason() + ")");
    return std::move(*m);
}

// The error code of an `error` message, after checking the envelope.
inline std::string error_code_of(const json::object& m)
{
    EXPECT_EQ(type_of(m), "error") << json::serialize(m);
    const auto* data = m.if_contains("data");
    if (!data || !data->is_object()) return "<no data>";
    EXPECT_TRUE(data->as_object().contains("message")) << json::serialize(m);
    const auto* code = data->as_object().if_contains("error_code");
    return code && code->is_string() ? std::string(code->as_string()) : "<no error_code>";
}

// A socket that still answers: ping -> pong.
inline void expect_alive(ws_client& c)
{
    ASSERT_TRUE(c.send_json({{"type", "ping"}, {"data", {{"client_time", 1}}}})) << c.end_reason();
    auto m = next_msg(c);
    EXPECT_EQ(type_of(m), "pong") << json::serialize(m);
    EXPECT_TRUE(c.is_open());
}

inline std::int64_t now_ms()
{
    return util::system_clock{}.now_ms();
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

// The server's live heap in KiB, as /api/monitoring/performance reports it.
inline long server_heap_kib(http_client& http)
{
    auto r = http.get("/api/monitoring/performance");
    EXPECT_EQ(r.status, 200) << r.body;
    return long(r.json().at("heap_in_use_bytes").to_number<std::int64_t>() / 1024);
}

// A socket that still answers a ping (whatever else arrives first).
inline void expect_answers_ping(ws_client& c)
{
    ASSERT_TRUE(c.send_json({{"type", "ping"}})) << c.end_reason();
    auto m = c.expect("pong", k_wait);
    EXPECT_EQ(type_of(m), "pong");
}

// Sends the upgrade request for /ws with `token` on a raw connection and returns the answer's
// head ("" when the request could not be sent); the frames that follow are left to read.
inline std::string raw_upgrade(raw_connection& raw, const std::string& token)
{
    if (!raw.send("GET /ws?token=" + token +
                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
        return {};
    return raw.read_until("\r\n\r\n", k_wait);
}

inline int count_type(const std::vector<json::object>& msgs, const std::string& type)
{
    return int(std::count_if(msgs.begin(), msgs.end(), [&](const auto& m) { return type_of(m) == type; }));
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
