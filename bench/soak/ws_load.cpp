// One WebSocket client of the soak: a user of its own who joins a room of the board over HTTP,
// joins it on a socket, reads its events, pings every 5 s, reconnects with last_seq every
// 15-45 s, and moves to another room every 60-120 s (leave_room, then HTTP leave). When the room
// is deleted under it (room_deleted), it moves on. Events are checked for seq continuity: a gap
// is an event lost across a reconnect, a repeat one delivered twice.
#include "soak.hpp"

#include "support/ws_client.hpp"

#include <boost/json.hpp>

#include <memory>

namespace soak {
namespace json = boost::json;
using spotik::test::http_client;
using spotik::test::ws_client;

namespace {

using namespace std::chrono_literals;

class ws_user {
public:
    ws_user(shared& ctx, int index)
        : ctx_(ctx),
          index_(index),
          rng_(std::random_device{}() ^ (std::uint64_t(index) << 40)),
          http_(ctx.cfg.host, ctx.cfg.port)
    {
    }

    void run()
    {
        if (!register_user()) return;
        while (running(ctx_)) {
            auto id = ctx_.board.pick(rng_);
            if (!id) {
                nap(ctx_, 200);
                continue;
            }
            stay_in(*id);
        }
    }

private:
    int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

    bool register_user()
    {
        auto email = "ws" + std::to_string(index_) + "-" + std::to_string(rng_() % 1000000000) + "@soak.example.com";
        json::object body{{"username", email.substr(0, 40)},
                          {"email", email},
                          {"password", "soak-password-1"},
                          {"password_confirmation", "soak-password-1"}};
        auto r = call(ctx_.counts, "register", [&] { return http_.post_json("/api/auth/register", body); }, {201});
        if (!r) return false;
        token_ = std::string(r->json().at("data").at("token").as_string());
        return true;
    }

    // Opens a socket and sends join_room (with last_seq when rejoining); false when the socket
    // could not be opened or the room is gone.
    bool open(const std::string& room, bool rejoin)
    {
        try {
            ws_ = std::make_unique<ws_client>(ctx_.cfg.host, ctx_.cfg.port, ws_client::target_for(token_));
        } catch (const std::exception& e) {
            ctx_.counts.error("ws connect", e.what());
            return false;
        }
        ctx_.counts.ws(rejoin ? "reconnects with last_seq" : "connects");
        json::object data{{"room_id", room}};
        if (rejoin) data["last_seq"] = last_seq_;
        ws_->send_json(json::object{{"type", "join_room"}, {"data", data}});
        auto deadline = clock::now() + 10s;
        while (clock::now() < deadline) {
            auto m = ws_->next(1s);
            if (!m) {
                if (!ws_->is_open()) return lost("during join_room"), false;
                continue;
            }
            auto type = spotik::test::type_of(*m);
            if (type == "room_joined") {
                ctx_.counts.ws_event(type);
                if (!rejoin) {
                    auto& d = m->at("data").as_object();
                    last_seq_ = d.contains("last_seq") ? d.at("last_seq").to_number<std::int64_t>() : 0;
                }
                return true;
            }
            if (type == "room_state") {  // a rejoin whose gap is older than the history
                handle(*m);
                return true;
            }
            if (type == "error") {
                auto code = std::string(m->at("data").at("error_code").as_string());
                if (code == "room_not_found" || code == "access_denied") {  // deleted meanwhile
                    ctx_.counts.refused("ws join_room: room deleted meanwhile");
                    return false;
                }
                ctx_.counts.error("ws join_room error " + code);
                return false;
            }
            handle(*m);  // e.g. connection_established
        }
        ctx_.counts.error("ws join_room: no room_joined within 10 s");
        return false;
    }

    void lost(const char* when)
    {
        auto code = ws_->close_code();
        ctx_.counts.error(std::string("ws closed by server ") + when + " (" +
                              (code ? "code " + std::to_string(*code) : "no close frame") + ")",
                          ws_->end_reason());
        ws_.reset();
    }

    // Counts one message; false when the room was deleted.
    bool handle(const json::object& m)
    {
        auto type = spotik::test::type_of(m);
        ctx_.counts.ws_event(type);
        if (type == "room_state") {
            auto& d = m.at("data").as_object();
            if (auto* rec = d.if_contains("recovered"); rec && rec->is_bool() && !rec->as_bool()) {
                ctx_.counts.ws("rejoins not recovered (gap older than the history)");
                if (auto* ls = d.if_contains("last_seq"); ls && ls->is_number())
                    last_seq_ = ls->to_number<std::int64_t>();
            }
        }
        if (type == "error")
            ctx_.counts.error("ws error message " + std::string(m.at("data").at("error_code").as_string()));
        if (auto* s = m.if_contains("seq"); s && s->is_number()) {
            auto seq = s->to_number<std::int64_t>();
            if (seq <= last_seq_)
                ctx_.counts.error("ws event delivered twice (seq <= last seen)");
            else if (seq > last_seq_ + 1)
                ctx_.counts.error("ws events missing (seq gap)");
            last_seq_ = std::max(last_seq_, seq);
        }
        return type != "room_deleted";
    }

    void stay_in(const std::string& room)
    {
        auto joined =
            call(ctx_.counts, "join room",
                 [&] { return http_.post_json("/api/rooms/" + room + "/join", json::object{}, token_); }, {200}, {404});
        if (!joined) return;
        if (!open(room, false)) return;
        auto leave_at = clock::now() + std::chrono::seconds(between(60, 120));
        auto reconnect_at = clock::now() + std::chrono::seconds(between(15, 45));
        auto ping_at = clock::now() + 5s;
        while (running(ctx_)) {
            auto now = clock::now();
            if (now >= leave_at) break;
            if (now >= reconnect_at) {
                ws_->close(5s);
                ctx_.counts.ws("closes by the client (reconnect)");
                reconnect_at = now + std::chrono::seconds(between(15, 45));
                if (!open(room, true)) return;
            }
            if (now >= ping_at) {
                ws_->send_json(json::object{{"type", "ping"}, {"data", json::object{}}});
                ctx_.counts.ws("pings sent");
                ping_at = now + 5s;
            }
            auto m = ws_->next(250ms);
            if (!m) {
                if (!ws_->is_open()) {
                    if (!running(ctx_)) return;  // the server may be shutting down
                    lost("while in a room");
                    if (!open(room, true)) return;
                }
                continue;
            }
            if (!handle(*m)) {  // the owner deleted the room
                ws_->close(5s);
                ws_.reset();
                return;
            }
        }
        if (!running(ctx_)) return;
        ws_->send_json(json::object{{"type", "leave_room"}, {"data", json::object{}}});
        for (auto deadline = clock::now() + 5s; clock::now() < deadline;) {
            auto m = ws_->next(500ms);
            if (!m) break;
            if (spotik::test::type_of(*m) == "room_left") {
                ctx_.counts.ws_event("room_left");
                break;
            }
            if (!handle(*m)) break;
        }
        ws_->close(5s);
        ws_.reset();
        ctx_.counts.ws("closes by the client (room change)");
        call(ctx_.counts, "leave room",
             [&] { return http_.post_json("/api/rooms/" + room + "/leave", json::object{}, token_); }, {200}, {404});
    }

    shared& ctx_;
    int index_;
    std::mt19937_64 rng_;
    http_client http_;
    std::string token_;
    std::unique_ptr<ws_client> ws_;
    std::int64_t last_seq_ = 0;
};

}  // namespace

void run_ws_client(shared& ctx, int index)
{
    for (int attempt = 0; running(ctx); ++attempt) {
        try {
            ws_user(ctx, index).run();
            return;
        } catch (const std::exception& e) {  // an answer of the wrong shape: count it, start over
            ctx.counts.error("ws client restarted", e.what());
            nap(ctx, 1000);
        }
    }
}

}  // namespace soak
