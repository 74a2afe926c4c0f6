// The authorization matrix (issue 7, item 1): every HTTP route and every WebSocket client
// message, called by every kind of caller (anonymous, garbage, forged, expired and revoked
// tokens, outsider, participant, uploader, administrator of another room, administrator),
// must get exactly the status and error the contract gives (authorization_matrix_rows.hpp).
// Each test first compares its table with the server's own list (GET /api: "endpoints" and
// "websocket_messages"), so a route or message added without a row fails here.
#include "auth/jwt.hpp"
#include "integration/authorization_matrix_rows.hpp"
#include "support/server_process.hpp"
#include "support/ws_client.hpp"
#include "util/clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <set>

namespace spotik::test::authz {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr auto k_wait = 15s;  // a reply that must come (generous: ASan on a loaded machine)

std::string shorten(std::string text)
{
    if (text.size() > 300) text = text.substr(0, 300) + "...";
    return text;
}

std::string describe(const outcome& o)
{
    return std::to_string(o.status) +
           (o.error.empty() ? "" : " " + std::string(o.family_a ? "A" : "B") + " \"" + o.error + "\"");
}

// "" when `body` is the error body `want` asks for (CONTRACT §0.5), else what is wrong.
std::string error_body_problem(const outcome& want, const std::string& body)
{
    boost::system::error_code ec;
    auto parsed = json::parse(body, ec);
    if (ec || !parsed.is_object()) return "the error body is not a JSON object";
    const auto& o = parsed.as_object();
    const auto* error = o.if_contains("error");
    const auto* message = o.if_contains("message");
    if (!error || !error->is_string() || std::string_view(error->as_string()) != want.error)
        return "wrong or missing \"error\"";
    if (!message || !message->is_string() || message->as_string().empty()) return "no \"message\"";
    const auto* success = o.if_contains("success");
    if (want.family_a && (!success || !success->is_bool() || success->as_bool()))
        return "family A without \"success\": false";
    return {};
}

// data.error_code of an error frame ("" when absent).
std::string error_code(const json::object& frame)
{
    const auto* data = frame.if_contains("data");
    const auto* code = data && data->is_object() ? data->as_object().if_contains("error_code") : nullptr;
    return code && code->is_string() ? std::string(code->as_string()) : std::string();
}

// The route's {placeholders} replaced by the scenario's ids.
std::string fill(std::string pattern, const scenario& s)
{
    for (const auto& [key, value] :
         {std::pair<std::string, std::string>{"{room}", s.room}, {"{track}", s.track}, {"{path...}", s.cover}})
        for (auto at = pattern.find(key); at != std::string::npos; at = pattern.find(key))
            pattern.replace(at, key.size(), value);
    if (pattern.find('{') != std::string::npos) throw std::runtime_error("no value for a parameter of " + pattern);
    return pattern;
}

class authorization_matrix : public ::testing::Test {
protected:
    // Auto-advance off: a playing scenario must stay playing however slow the run is.
    authorization_matrix() : server_({.env = {{"AUTO_ADVANCE", "false"}}}) {}

    void SetUp() override
    {
        admin_ = register_user(client_, "admin");
        participant_ = register_user(client_, "participant");
        uploader_ = register_user(client_, "uploader");
        outsider_ = register_user(client_, "outsider");
        other_admin_ = register_user(client_, "other_admin");
        create_room(client_, other_admin_.token, unique_name("other"));
        shared_ = build(setup::shared);
        revoked_ = revoked_token();
        started_ = std::chrono::steady_clock::now();
    }

    void TearDown() override
    {
        auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        std::cout << "[matrix] " << cells_ << " cells, " << scenarios_ << " fresh rooms, " << s << " s\n";
    }

    const registered_user& user(caller c) const
    {
        switch (c) {
            case caller::outsider:
                return outsider_;
            case caller::participant:
                return participant_;
            case caller::uploader:
                return uploader_;
            case caller::other_admin:
                return other_admin_;
            default:
                return admin_;
        }
    }

    std::string login(const registered_user& u)
    {
        auto r = client_.post_json("/api/auth/login", {{"email", u.email}, {"password", u.password}});
        if (r.status != 200) throw std::runtime_error("login: " + r.body);
        return std::string(r.json().at("data").at("token").as_string());
    }

    std::string revoked_token()
    {
        auto token = login(admin_);
        auto r = client_.post_json("/api/auth/logout", json::object{}, token);
        if (r.status != 200) throw std::runtime_error("logout: " + r.body);
        return token;
    }

    // A token signed for the administrator with `secret`, valid over [iat, iat + life_s).
    std::string signed_token(const std::string& secret, std::int64_t iat, std::int64_t life_s) const
    {
        util::manual_clock at{iat * 1000};
        auth::jwt_codec codec{secret, "spotik", at};
        return codec.sign({.sub = admin_.id, .jti = auth::new_jti(), .iat = iat, .nbf = iat, .exp = iat + life_s});
    }

    // The caller's token; `fresh`: one no other cell has used (for calls that spend it).
    std::string token_for(caller c, bool fresh)
    {
        std::int64_t now = util::system_clock{}.now_s();
        switch (c) {
            case caller::anonymous:
                return {};
            case caller::garbage:
                return "garbage-not-a-jwt";
            case caller::forged:
                return signed_token("another-secret-another-secret-0123456789", now, 3600);
            case caller::expired:
                return signed_token(server_.env("JWT_SECRET"), now - 7200, 3600);
            case caller::revoked:
                return fresh ? revoked_token() : revoked_;
            default:
                return fresh ? login(user(c)) : user(c).token;
        }
    }

    // A room of the administrator's with the participant and the uploader in it, and the
    // uploader's track playing (auto-start) or, for fresh_paused, paused.
    scenario build(setup kind)
    {
        if (kind != setup::shared) ++scenarios_;
        scenario s;
        s.room = create_room(client_, admin_.token, unique_name("matrix"));
        std::string base = "/api/rooms/" + s.room;
        for (const auto* u : {&participant_, &uploader_})
            expect_status(client_.post_json(base + "/join", json::object{}, u->token), 200, "join");
        multipart_builder mp;
        mp.add_file("audio_file", "tone-3s-cbr.mp3", "audio/mpeg", read_file_bytes(fixture_path("tone-3s-cbr.mp3")));
        auto up = expect_status(client_.post_body(base + "/tracks", mp.body(), mp.content_type(), uploader_.token), 201,
                                "upload");
        s.track = std::string(up.json().at("track").at("id").as_string());
        if (kind == setup::fresh_paused)
            expect_status(client_.post_json(base + "/playback/pause", json::object{}, admin_.token), 200, "pause");
        if (kind == setup::shared) {
            multipart_builder cover;
            cover.add_file("cover_image", "cover.png", "image/png", read_file_bytes(fixture_path("cover.png")));
            auto r = expect_status(client_.post_body(base + "/cover", cover.body(), cover.content_type(), admin_.token),
                                   200, "cover");
            s.cover = std::string(r.json().at("cover_url").as_string()).substr(std::string("/api/storage/").size());
        }
        return s;
    }

    static http_response expect_status(http_response r, int status, const char* what)
    {
        if (r.status != status) throw std::runtime_error(std::string("scenario ") + what + ": " + r.body);
        return r;
    }

    // The server's own lists: "METHOD pattern" of every route, and the WebSocket message types.
    std::pair<std::set<std::string>, std::set<std::string>> live_lists()
    {
        auto index = client_.get("/api").json().as_object();
        std::set<std::string> routes, messages;
        for (const auto& e : index.at("endpoints").as_array())
            routes.insert(std::string(e.at("method").as_string()) + " " + std::string(e.at("path").as_string()));
        for (const auto& m : index.at("websocket_messages").as_array()) messages.insert(std::string(m.as_string()));
        return {routes, messages};
    }

    static void compare_keys(const std::set<std::string>& live, const std::set<std::string>& table, const char* what)
    {
        for (const auto& k : live)
            if (!table.contains(k)) ADD_FAILURE() << what << " without a row in the authorization matrix: " << k;
        for (const auto& k : table)
            if (!live.contains(k))
                ADD_FAILURE() << "authorization matrix row for a " << what << " the server lacks: " << k;
    }

    void run_http_cell(const http_row& row, caller c)
    {
        ++cells_;
        scenario s = row.where == setup::shared ? shared_ : build(row.where);
        std::string token = token_for(c, row.consumes_token);
        std::string target = fill(row.pattern, s);
        header_list headers{{"Accept", "application/json"}};
        if (!token.empty() && row.token_in_query) target += "?token=" + token;
        if (!token.empty() && !row.token_in_query) headers.emplace_back("Authorization", "Bearer " + token);
        std::string body;
        if (row.body) {
            auto b = row.body(s);
            body = std::move(b.content);
            headers.emplace_back("Content-Type", b.type);
        }
        auto got = client_.request(row.method, target, body, headers);
        const outcome& want = row.expect.at(c);
        std::string problem = got.status != want.status ? "wrong status"
                              : want.error.empty()      ? ""
                                                        : error_body_problem(want, got.body);
        if (!problem.empty())
            ADD_FAILURE() << name_of(c) << " " << row.method << " " << row.pattern
                          << (row.variant.empty() ? "" : " (" + row.variant + ")") << ": " << problem << "; expected "
                          << describe(want) << ", got " << got.status << " " << shorten(got.body);
    }

    // Reads until a frame of type `success` or an error; nullopt when none comes.
    static std::optional<json::object> reply_to(ws_client& ws, const std::string& success)
    {
        for (auto deadline = std::chrono::steady_clock::now() + k_wait; std::chrono::steady_clock::now() < deadline;) {
            auto m = ws.next(k_wait);
            if (!m) return std::nullopt;
            if (type_of(*m) == "error" || (!success.empty() && type_of(*m) == success)) return m;
        }
        return std::nullopt;
    }

    // CONTRACT §9.1 (a): a bad or missing token is refused with 401 before the upgrade.
    void check_refused_handshake(caller c, const std::string& label)
    {
        std::string token = token_for(c, false);
        auto h =
            ws_client::try_connect("127.0.0.1", server_.port(), token.empty() ? "/ws" : ws_client::target_for(token));
        outcome want = err_a(401, c == caller::anonymous ? "Token absent" : "Invalid or missing JWT token");
        std::string problem = h.upgraded || h.status != 401 ? "wrong status" : error_body_problem(want, h.body);
        if (!problem.empty())
            ADD_FAILURE() << name_of(c) << " " << label << ": " << problem << "; expected " << describe(want)
                          << ", got " << (h.upgraded ? 101 : h.status) << " " << shorten(h.body);
    }

    void run_ws_cell(const ws_row& row, caller c)
    {
        ++cells_;
        std::string label = "ws " + row.type + (row.variant.empty() ? "" : " (" + row.variant + ")");
        if (!has_valid_token(c)) return check_refused_handshake(c, label);
        scenario s = row.where == setup::shared ? shared_ : build(row.where);
        ws_client ws("127.0.0.1", server_.port(), ws_client::target_for(token_for(c, false)));
        ws.expect("connection_established", k_wait);
        if (row.join_first) {
            ws.send_json({{"type", "join_room"}, {"data", {{"room_id", s.room}}}});
            if (!reply_to(ws, "room_joined")) ADD_FAILURE() << name_of(c) << " " << label << ": no answer to join_room";
        }
        ws.send_json(json::object{{"type", row.type}, {"data", row.data ? row.data(s) : json::object{}}});
        auto got = reply_to(ws, row.success);
        const ws_outcome& want = row.expect.at(c);
        std::string seen = got ? shorten(json::serialize(*got)) : "nothing (" + ws.end_reason() + ")";
        bool right = got && (want.reply.empty() ? type_of(*got) == "error" && error_code(*got) == want.code
                                                : type_of(*got) == want.reply);
        if (!right)
            ADD_FAILURE() << name_of(c) << " " << label << ": expected "
                          << (want.reply.empty() ? "error " + want.code : want.reply) << ", got " << seen;
    }

    server_process server_;
    http_client client_ = server_.client();
    registered_user admin_, participant_, uploader_, outsider_, other_admin_;
    scenario shared_;
    std::string revoked_;
    int cells_ = 0, scenarios_ = 0;
    std::chrono::steady_clock::time_point started_;
};

TEST_F(authorization_matrix, every_http_route_for_every_caller)
{
    auto rows = http_rows({participant_.email, participant_.password});
    std::set<std::string> keys;
    for (const auto& row : rows) {
        keys.insert(row.method + " " + row.pattern);
        ASSERT_EQ(row.expect.size(), k_callers.size()) << row.method << " " << row.pattern;
    }
    compare_keys(live_lists().first, keys, "route");
    for (const auto& row : rows)
        for (auto c : k_callers) run_http_cell(row, c);
    std::cout << "[matrix] HTTP: " << rows.size() << " rows (" << keys.size() << " routes) x " << k_callers.size()
              << " callers\n";
}

TEST_F(authorization_matrix, every_websocket_message_for_every_caller)
{
    auto rows = ws_rows();
    std::set<std::string> keys;
    for (const auto& row : rows) {
        if (row.listed) keys.insert(row.type);
        for (auto c : k_callers)
            if (has_valid_token(c)) ASSERT_TRUE(row.expect.contains(c)) << row.type << " " << name_of(c);
    }
    compare_keys(live_lists().second, keys, "WebSocket message type");
    // The handshake itself: users are let in, every bad or missing token is refused.
    for (auto c : k_callers) {
        ++cells_;
        if (!has_valid_token(c)) {
            check_refused_handshake(c, "ws handshake");
            continue;
        }
        ws_client ws("127.0.0.1", server_.port(), ws_client::target_for(token_for(c, false)));
        EXPECT_EQ(type_of(ws.expect("connection_established", k_wait)), "connection_established") << name_of(c);
    }
    for (const auto& row : rows)
        for (auto c : k_callers) run_ws_cell(row, c);
    std::cout << "[matrix] WebSocket: handshake + " << rows.size() << " rows (" << keys.size() << " message types) x "
              << k_callers.size() << " callers\n";
}

}  // namespace
}  // namespace spotik::test::authz
