// Abuse controls against the real binary (issue 7, item 3): the request rate per client
// answers 429 JSON with Retry-After while /api/time, streaming and open sockets go on; login
// failures per email and address lock out with a growing delay; a user's uploads in progress
// are capped; WebSocket handshakes per address are limited; and with Redis every replica
// shares the counts.
#include "support/raw_connection.hpp"
#include "support/redis_server.hpp"
#include "support/room_fixture.hpp"
#include "support/ws_client.hpp"

#include <thread>

namespace spotik::test {
namespace {

using namespace std::chrono_literals;

void expect_429(const http_response& r, const std::string& error, const std::string& what)
{
    ASSERT_EQ(r.status, 429) << what << ": " << r.body;
    auto body = r.json().as_object();
    EXPECT_EQ(body.at("success"), false) << what;
    EXPECT_EQ(body.at("error"), error.c_str()) << what;
    EXPECT_TRUE(body.at("message").is_string()) << what;
    const auto retry = body.at("retry_after").to_number<std::int64_t>();
    EXPECT_GE(retry, 1) << what;
    EXPECT_EQ(r.header("Retry-After"), std::to_string(retry)) << what;
}

server_options limited(std::map<std::string, std::string> extra = {})
{
    std::map<std::string, std::string> env{{"RATE_LIMITING_ENABLED", "true"}};
    for (auto& [k, v] : extra) env[k] = v;
    return server_options{.env = env};
}

// A budget of 5 requests at once, then one a minute: nothing is paid back during a test, however
// slowly a loaded machine runs it. (Refilling is shown by the unit and property tests.)
std::map<std::string, std::string> small_budget()
{
    return {{"MAX_REQUESTS_PER_HOUR", "60"}, {"RATE_LIMIT_BURST", "5"}};
}

class request_rate : public room_fixture {
protected:
    // The fixture's own requests (3 registrations, a room, a join) come from one address and
    // three users, so the budget must cover them.
    request_rate() : room_fixture(limited({{"MAX_REQUESTS_PER_HOUR", "60"}, {"RATE_LIMIT_BURST", "8"}})) {}
};

TEST_F(request_rate, a_client_over_its_budget_gets_429_with_retry_after)
{
    int passed = 0;
    http_response last;
    for (int i = 0; i < 20; ++i) {
        last = client_.get_auth("/api/rooms", outsider_.token);
        if (last.status != 200) break;
        ++passed;
    }
    EXPECT_EQ(passed, 8) << "the outsider's burst (it made no request since registering)";
    expect_429(last, "Rate limit exceeded", "past the burst");
    // Other users from the same address have budgets of their own.
    EXPECT_EQ(client_.get_auth("/api/rooms", member_.token).status, 200);
    // The limit is not applied to the clock, streams or health probes.
    const std::string track = upload_id(member_.token, "tone-3s-cbr.mp3");
    for (int i = 0; i < 30; ++i) {
        ASSERT_EQ(client_.get("/api/time").status, 200) << i;
        ASSERT_EQ(
            client_.get("/api/tracks/" + track + "/stream?token=" + member_.token, {{"Range", "bytes=0-99"}}).status,
            206)
            << i;
        ASSERT_EQ(client_.get("/health").status, 200) << i;
    }
    // Still refused, and told to wait up to one interval (a minute).
    auto again = client_.get_auth("/api/rooms", outsider_.token);
    expect_429(again, "Rate limit exceeded", "still past the burst");
    EXPECT_LE(again.json().at("retry_after").to_number<int>(), 60);
    auto perf = client_.get("/api/monitoring/performance").json();
    EXPECT_GE(perf.at("limits").at("requests_refused").to_number<int>(), 2) << perf;
}

TEST_F(request_rate, an_open_socket_keeps_working_while_http_is_refused)
{
    ws_client ws("127.0.0.1", server_.port(), ws_client::target_for(admin_.token));
    ws.expect("connection_established", 10s);
    ws.send_json({{"type", "join_room"}, {"data", {{"room_id", room_id_}}}});
    ws.expect("room_joined", 10s);
    while (client_.get_auth("/api/rooms", admin_.token).status == 200) {
    }
    for (int i = 0; i < 10; ++i) {
        ws.send_json({{"type", "ping"}, {"data", {{"client_time", i}}}});
        ws.expect("pong", 10s);
    }
    ws.send_json({{"type", "get_room_state"}, {"data", {{"room_id", room_id_}}}});
    ws.expect("room_state", 10s);
}

TEST(request_rate_anonymous, anonymous_clients_are_counted_by_address_and_a_bad_token_does_not_help)
{
    server_process server{limited(small_budget())};
    auto client = server.client();
    int passed = 0;
    for (int i = 0; i < 10; ++i) {
        // A forged token is not a user: it counts against the address like no token at all.
        auto r =
            i % 2 ? client.get("/api/ping") : client.get("/api/ping", {{"Authorization", "Bearer forged.token.x"}});
        if (r.status != 200) {
            expect_429(r, "Rate limit exceeded", "anonymous");
            break;
        }
        ++passed;
    }
    EXPECT_EQ(passed, 5);
}

TEST(request_rate_anonymous, switched_off_by_default_under_app_env_test_only)
{
    server_process server{server_options{.env = small_budget()}};
    auto client = server.client();
    for (int i = 0; i < 30; ++i) ASSERT_EQ(client.get("/api/ping").status, 200) << i;
}

class login_throttle : public room_fixture {
protected:
    login_throttle()
        : room_fixture(limited(
              {{"LOGIN_MAX_ATTEMPTS", "3"}, {"LOGIN_LOCKOUT_SECONDS", "3"}, {"LOGIN_LOCKOUT_MAX_SECONDS", "60"}}))
    {
    }
    http_response login(const std::string& email, const std::string& password)
    {
        return client_.post_json("/api/auth/login", {{"email", email}, {"password", password}});
    }
};

TEST_F(login_throttle, failures_lock_the_email_out_with_a_growing_delay)
{
    for (int i = 0; i < 3; ++i) ASSERT_EQ(login(member_.email, "wrong-password").status, 401) << i;
    // Locked: even the right password is not checked.
    auto locked = login(member_.email, member_.password);
    expect_429(locked, "Too many login attempts", "after 3 failures");
    // Retry-After counts down from the 3 s lockout (a loaded machine may have used some of it).
    EXPECT_LE(locked.json().at("retry_after").to_number<int>(), 3);
    // Other accounts are not affected, in any letter case of the locked one either.
    EXPECT_EQ(login(admin_.email, admin_.password).status, 200);
    std::string shouted = member_.email;
    for (auto& c : shouted) c = char(std::toupper(static_cast<unsigned char>(c)));
    expect_429(login(shouted, member_.password), "Too many login attempts", "the same email in capitals");
    std::this_thread::sleep_for(3100ms);
    // One more failure doubles the lockout.
    ASSERT_EQ(login(member_.email, "wrong-password").status, 401);
    auto doubled = login(member_.email, member_.password);
    expect_429(doubled, "Too many login attempts", "after 4 failures");
    EXPECT_GT(doubled.json().at("retry_after").to_number<int>(), 3);
    EXPECT_LE(doubled.json().at("retry_after").to_number<int>(), 6);
    std::this_thread::sleep_for(6100ms);
    // A success forgets the failures: the next wrong password is the first again.
    ASSERT_EQ(login(member_.email, member_.password).status, 200);
    ASSERT_EQ(login(member_.email, "wrong-password").status, 401);
    EXPECT_EQ(login(member_.email, member_.password).status, 200);
    auto perf = client_.get("/api/monitoring/performance").json();
    EXPECT_EQ(perf.at("limits").at("login_lockouts"), 2) << perf;
}

class upload_cap : public room_fixture {
protected:
    upload_cap() : room_fixture(limited({{"MAX_CONCURRENT_UPLOADS", "1"}})) {}
};

TEST_F(upload_cap, a_user_has_one_upload_in_progress_at_a_time)
{
    multipart_builder mp;
    mp.add_file("audio_file", "slow.mp3", "audio/mpeg", read_file_bytes(fixture_path("tone-3s-cbr.mp3")));
    const std::string body = mp.body();
    // The first upload sends its headers and half its body, then waits.
    auto start_slow = [&] {
        raw_connection c("127.0.0.1", server_.port());
        EXPECT_TRUE(c.send("POST /api/rooms/" + room_id_ + "/tracks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                           member_.token + "\r\nContent-Type: " + mp.content_type() + "\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, body.size() / 2)));
        return c;
    };
    raw_connection slow = start_slow();
    // Once the server has taken the slow upload's headers, the user's next upload is refused.
    // Until then a second upload may still get the slot first: it finishes and gives the slot
    // back, and the slow upload, refused meanwhile (429, connection closed), starts again.
    http_response second;
    for (int i = 0; i < 50; ++i) {
        second = upload(member_.token, "tone-3s-bare.mp3");
        if (second.status != 201) break;
        if (auto early = slow.read_some(5ms); !early.empty() || slow.peer_closed()) {
            EXPECT_NE(early.find("429"), std::string::npos) << early;
            slow = start_slow();
        }
        std::this_thread::sleep_for(100ms);
    }
    expect_429(second, "Too many uploads in progress", "second upload");
    // Someone else's upload is not held up.
    EXPECT_EQ(upload(admin_.token, "tone-3s-bare.mp3").status, 201);
    ASSERT_TRUE(slow.send(body.substr(body.size() / 2)));
    EXPECT_NE(slow.read_until("\r\n\r\n", 10s).find("HTTP/1.1 201"), std::string::npos);
    // The finished upload gave its slot back.
    EXPECT_EQ(upload(member_.token, "tone-3s-bare.mp3").status, 201);
}

TEST(handshake_rate, handshakes_per_address_are_limited_and_open_sockets_stay)
{
    server_process server{limited({{"WS_HANDSHAKES_PER_MINUTE", "1"}, {"WS_HANDSHAKE_BURST", "3"}})};
    auto client = server.client();
    auto user = register_user(client, "ws");
    std::vector<ws_client> open;
    for (int i = 0; i < 3; ++i) {
        open.emplace_back("127.0.0.1", server.port(), ws_client::target_for(user.token));
        open.back().expect("connection_established", 10s);
    }
    auto refused = ws_client::try_connect("127.0.0.1", server.port(), ws_client::target_for(user.token));
    EXPECT_FALSE(refused.upgraded);
    EXPECT_EQ(refused.status, 429) << refused.body;
    EXPECT_EQ(refused.json().at("error"), "Too many WebSocket connections");
    EXPECT_FALSE(refused.header("retry-after").empty());
    for (auto& ws : open) {
        ws.send_json({{"type", "ping"}, {"data", {{"client_time", 1}}}});
        ws.expect("pong", 10s);
    }
}

TEST(shared_limits, replicas_on_one_redis_share_the_request_budget)
{
    redis_server redis;
    std::map<std::string, std::string> env = small_budget();
    env["REDIS_URL"] = redis.url();
    server_process a{limited(env)}, b{limited(env)};
    auto ca = a.client(), cb = b.client();
    for (int i = 0; i < 3; ++i) ASSERT_EQ(ca.get("/api/ping").status, 200) << i;
    for (int i = 0; i < 2; ++i) ASSERT_EQ(cb.get("/api/ping").status, 200) << i;
    expect_429(ca.get("/api/ping"), "Rate limit exceeded", "sixth request, through a");
    expect_429(cb.get("/api/ping"), "Rate limit exceeded", "seventh request, through b");
    EXPECT_EQ(redis.command({"EXISTS", "spotik:limit:rate:req:ip:127.0.0.1"}), "1");
}

TEST(shared_limits, a_lockout_earned_on_one_replica_holds_on_the_other)
{
    redis_server redis;
    server_process a{limited({{"REDIS_URL", redis.url()}, {"LOGIN_MAX_ATTEMPTS", "2"}})};
    server_process b{limited({{"REDIS_URL", redis.url()}, {"LOGIN_MAX_ATTEMPTS", "2"}})};
    auto ca = a.client(), cb = b.client();
    const boost::json::object wrong{{"email", "x@example.com"}, {"password", "nope-nope"}};
    ASSERT_EQ(ca.post_json("/api/auth/login", wrong).status, 401);
    ASSERT_EQ(cb.post_json("/api/auth/login", wrong).status, 401);
    auto locked = ca.post_json("/api/auth/login", wrong);
    expect_429(locked, "Too many login attempts", "locked out after one failure on each replica");
    EXPECT_GE(locked.json().at("retry_after").to_number<int>(), 25) << "LOGIN_LOCKOUT_SECONDS's default: 30";
    EXPECT_LE(locked.json().at("retry_after").to_number<int>(), 30) << "LOGIN_LOCKOUT_SECONDS's default: 30";
}

TEST(shared_limits, without_redis_the_replica_counts_alone_and_keeps_serving)
{
    redis_server redis;
    std::map<std::string, std::string> env = small_budget();
    env["REDIS_URL"] = redis.url();
    env["REDIS_TIMEOUT_MS"] = "300";
    server_process a{limited(env)};
    auto client = a.client();
    redis.stop();
    int passed = 0;
    for (int i = 0; i < 10; ++i) {
        auto r = client.get("/api/ping");
        if (r.status != 200) {
            expect_429(r, "Rate limit exceeded", "counted in the process");
            break;
        }
        ++passed;
    }
    EXPECT_EQ(passed, 5);
    EXPECT_NE(a.output().find("rate limits: Redis unavailable"), std::string::npos);
}

}  // namespace
}  // namespace spotik::test
