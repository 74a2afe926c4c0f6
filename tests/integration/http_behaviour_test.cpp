// Protocol-level behaviour of the HTTP server: routing errors, CORS, security headers,
// request ids, body and header limits, malformed input, timeouts, keep-alive and graceful
// shutdown (issue: server foundation).
#include "support/raw_connection.hpp"
#include "support/server_process.hpp"
#include "support/test_util.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <future>
#include <thread>

namespace spotik::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class http_behaviour : public ::testing::Test {
protected:
    server_process server_{{.env = {{"HTTP_HEADER_TIMEOUT", "2"}, {"HTTP_MAX_BODY_BYTES", "65536"}}}};
    http_client client_ = server_.client();
};

TEST_F(http_behaviour, unknown_route_is_404_and_wrong_method_is_405)
{
    auto r = client_.get("/api/nope");
    ASSERT_EQ(r.status, 404);
    EXPECT_EQ(r.json().at("message"), "The route api/nope could not be found.");
    EXPECT_EQ(r.json().at("error"), "Endpoint not found");
    auto m = client_.request("PATCH", "/api/rooms");
    ASSERT_EQ(m.status, 405);
    EXPECT_NE(m.header("allow").find("GET"), std::string::npos);
    EXPECT_NE(m.header("allow").find("POST"), std::string::npos);
    EXPECT_EQ(m.json().at("error"), "Method not allowed");
}

TEST_F(http_behaviour, preflight_allows_the_vue_client_headers)
{
    auto r = client_.request("OPTIONS", "/api/time", {},
                             {{"Origin", "http://localhost:5173"},
                              {"Access-Control-Request-Method", "GET"},
                              {"Access-Control-Request-Headers", "cache-control"}});
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(r.header("access-control-allow-origin"), "http://localhost:5173");
    EXPECT_NE(r.header("access-control-allow-headers").find("Cache-Control"), std::string::npos);
    EXPECT_NE(r.header("access-control-allow-headers").find("Authorization"), std::string::npos);
    EXPECT_NE(r.header("access-control-allow-methods").find("DELETE"), std::string::npos);
    EXPECT_EQ(r.header("access-control-max-age"), "86400");
    // Any path, even an unknown one, answers the preflight.
    EXPECT_EQ(client_.request("OPTIONS", "/api/whatever", {}, {{"Origin", "http://a.example"}}).status, 204);
    auto g = client_.get("/api/time", {{"Origin", "http://a.example"}});
    EXPECT_EQ(g.header("access-control-allow-origin"), "http://a.example");
}

TEST(http_cors, a_configured_origin_list_is_enforced)
{
    server_process server{{.env = {{"CORS_ORIGINS", "http://good.example, http://other.example"}}}};
    auto client = server.client();
    EXPECT_EQ(client.get("/api/time", {{"Origin", "http://good.example"}}).header("access-control-allow-origin"),
              "http://good.example");
    EXPECT_FALSE(
        client.get("/api/time", {{"Origin", "http://evil.example"}}).has_header("access-control-allow-origin"));
}

TEST_F(http_behaviour, security_and_request_id_headers_on_every_response)
{
    for (auto r : {client_.get("/api/time"), client_.get("/api/nope"), client_.get("/api/auth/me")}) {
        EXPECT_EQ(r.header("x-frame-options"), "DENY");
        EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
        EXPECT_EQ(r.header("x-xss-protection"), "1; mode=block");
        EXPECT_EQ(r.header("referrer-policy"), "strict-origin-when-cross-origin");
        EXPECT_FALSE(r.header("content-security-policy").empty());
        EXPECT_EQ(r.header("x-request-id").rfind("req_", 0), 0u);
        EXPECT_FALSE(r.header("x-response-time").empty());
    }
    EXPECT_EQ(client_.get("/api/time", {{"X-Request-ID", "abc-123"}}).header("x-request-id"), "abc-123");
    auto insane = client_.get("/api/time", {{"X-Request-ID", std::string(300, 'a')}});
    EXPECT_EQ(insane.header("x-request-id").rfind("req_", 0), 0u);
}

TEST_F(http_behaviour, request_id_appears_in_the_access_log)
{
    client_.get("/api/ping", {{"X-Request-ID", "trace-me-42"}});
    std::this_thread::sleep_for(300ms);  // the access log line is written asynchronously
    auto out = server_.output();
    auto pos = out.find("\"request_id\":\"trace-me-42\"");
    ASSERT_NE(pos, std::string::npos) << out;
    auto line_start = out.rfind('\n', pos) + 1;
    auto line = json::parse(out.substr(line_start, out.find('\n', pos) - line_start)).as_object();
    EXPECT_EQ(line.at("path"), "/api/ping");
    EXPECT_EQ(line.at("status"), 200);
    EXPECT_EQ(line.at("level"), "info");
}

TEST_F(http_behaviour, malformed_bodies_get_clear_errors)
{
    auto u = register_user(client_);
    auto bad = client_.post_body("/api/rooms", "{\"name\": ", "application/json", u.token);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.json().at("error"), "Invalid JSON");
    auto array = client_.post_body("/api/rooms", "[1,2]", "application/json", u.token);
    EXPECT_EQ(array.status, 400);
    auto type = client_.post_body("/api/rooms", "name=x", "text/plain", u.token);
    EXPECT_EQ(type.status, 415);
    auto form = client_.post_body("/api/rooms", "name=Form+Room", "application/x-www-form-urlencoded", u.token);
    EXPECT_EQ(form.status, 201);
    auto utf = client_.post_body("/api/rooms", "{\"name\":\"\xff\xfe\"}", "application/json", u.token);
    EXPECT_EQ(utf.status, 400) << "invalid UTF-8 is malformed JSON";
    EXPECT_EQ(client_.get("/api/ping").status, 200);
}

TEST_F(http_behaviour, oversize_body_is_413_json)
{
    auto u = register_user(client_);
    auto r = client_.post_body("/api/rooms", std::string(200000, ' '), "application/json", u.token);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.json().at("success"), false);
    auto rooms = client_.get_auth("/api/rooms", u.token);
    EXPECT_EQ(rooms.json().at("data").as_array().size(), 0u) << "nothing was created";
}

TEST_F(http_behaviour, header_and_target_limits)
{
    auto big_header = client_.get("/api/time", {{"X-Big", std::string(20000, 'h')}});
    EXPECT_EQ(big_header.status, 431);
    std::string many = "GET /api/time HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 150; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
    auto too_many = raw_exchange("127.0.0.1", server_.port(), many + "\r\n", 5s);
    EXPECT_EQ(too_many.rfind("HTTP/1.1 431", 0), 0u) << too_many.substr(0, 100);
    std::string enough = "GET /api/time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
    for (int i = 0; i < 50; ++i) enough += "X-" + std::to_string(i) + ": y\r\n";
    auto fine = raw_exchange("127.0.0.1", server_.port(), enough + "\r\n", 5s);
    EXPECT_EQ(fine.rfind("HTTP/1.1 200", 0), 0u) << fine.substr(0, 100);
    auto long_url = raw_exchange("127.0.0.1", server_.port(),
                                 "GET /api/time?" + std::string(9000, 'q') + " HTTP/1.1\r\nHost: x\r\n\r\n", 5s);
    EXPECT_EQ(long_url.rfind("HTTP/1.1 414", 0), 0u) << long_url.substr(0, 100);
    EXPECT_EQ(client_.get("/api/ping").status, 200);
}

TEST_F(http_behaviour, garbage_requests_get_400_and_the_server_keeps_serving)
{
    for (const std::string& junk : std::vector<std::string>{
             "HELLO\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET /api/time HTTP/1.1\r\nBad Header\r\n\r\n",
             std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)}) {
        auto out = raw_exchange("127.0.0.1", server_.port(), junk, 5s);
        if (out.empty()) continue;
        EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out.substr(0, 80);
        EXPECT_EQ(out.find("X-Request-ID: req_0_"), std::string::npos) << "a request id stamped with time 0";
    }
    EXPECT_EQ(client_.get("/api/ping").status, 200);
}

TEST_F(http_behaviour, host_field_is_required_once_and_well_formed)
{
    const std::vector<std::pair<std::string, std::string>> refused{
        {"HTTP/1.1 without Host", "GET /api/time HTTP/1.1\r\n\r\n"},
        {"two Host fields", "GET /api/time HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
        {"two Host fields in HTTP/1.0", "GET /api/time HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"},
        {"a Host with user info", "GET /api/time HTTP/1.1\r\nHost: me@spotik.local\r\n\r\n"},
        {"a Host with a path", "GET /api/time HTTP/1.1\r\nHost: spotik.local/x\r\n\r\n"},
        {"an upgrade without Host",
         "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"},
    };
    for (const auto& [what, request] : refused) {
        raw_connection c{"127.0.0.1", server_.port()};
        ASSERT_TRUE(c.send(request)) << what;
        auto response = c.read_until("\r\n\r\n", 5s);
        EXPECT_TRUE(response.starts_with("HTTP/1.1 400") || response.starts_with("HTTP/1.0 400"))
            << what << ": " << response.substr(0, 80);
        c.read_all(5s);
        EXPECT_TRUE(c.closed_by_peer(1s)) << what << ": the connection stayed open";
    }
    for (const std::string& request :
         {std::string("GET /api/time HTTP/1.0\r\n\r\n"),
          std::string("GET /api/time HTTP/1.1\r\nHost: [::1]:8000\r\nConnection: close\r\n\r\n")}) {
        auto out = raw_exchange("127.0.0.1", server_.port(), request, 5s);
        EXPECT_TRUE(out.starts_with("HTTP/1.1 200") || out.starts_with("HTTP/1.0 200")) << out.substr(0, 80);
    }
}

TEST_F(http_behaviour, a_target_is_a_path_or_an_absolute_http_url)
{
    auto time_of = [&](const std::string& target) {
        return raw_exchange("127.0.0.1", server_.port(),
                            "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 5s);
    };
    for (const std::string& target : {std::string("/api/time"), std::string("http://127.0.0.1/api/time"),
                                      std::string("HTTPS://spotik.local:8443/api/time?x=1")}) {
        auto out = time_of(target);
        EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << target << ": " << out.substr(0, 80);
        EXPECT_NE(out.find("server_time"), std::string::npos) << target;
    }
    // The absolute form's path is routed like any other: an unknown one is a JSON 404.
    auto missing = time_of("http://127.0.0.1/api/nowhere");
    EXPECT_EQ(missing.rfind("HTTP/1.1 404", 0), 0u) << missing.substr(0, 80);
    for (const std::string& target : {std::string("ftp://127.0.0.1/api/time"), std::string("http:/api/time"),
                                      std::string("*"), std::string("api/time")}) {
        auto out = time_of(target);
        EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << target << ": " << out.substr(0, 80);
    }
}

TEST_F(http_behaviour, ambiguous_body_lengths_get_400_and_a_closed_connection)
{
    // Each request carries a second one behind it that a server reading the length differently
    // would run: the connection must end with the 400, so it never is.
    const std::string head = "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    const std::string smuggled = "GET /api/time HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::vector<std::pair<std::string, std::string>> cases{
        {"Content-Length and Transfer-Encoding", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"Transfer-Encoding and Content-Length", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"},
        {"two different lengths", "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}"},
        {"two equal lengths", "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"},
        {"a list of lengths", "Content-Length: 2, 2\r\n\r\n{}"},
        {"a negative length", "Content-Length: -1\r\n\r\n"},
        {"a signed length", "Content-Length: +2\r\n\r\n{}"},
        {"a coding before chunked", "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
        {"two Transfer-Encoding fields", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"an unknown coding", "Transfer-Encoding: identity\r\n\r\n"},
    };
    for (const auto& [what, rest] : cases) {
        raw_connection c{"127.0.0.1", server_.port()};
        ASSERT_TRUE(c.send(head + rest + smuggled)) << what;
        auto response = c.read_until("\r\n\r\n", 5s);
        EXPECT_EQ(response.rfind("HTTP/1.1 400", 0), 0u) << what << ": " << response.substr(0, 80);
        auto after = c.read_all(5s);
        EXPECT_EQ(after.find("HTTP/1.1 200"), std::string::npos) << what << ": the smuggled request ran";
        EXPECT_TRUE(c.closed_by_peer(1s)) << what << ": the connection stayed open";
    }
    // A plain chunked body is still fine.
    raw_connection ok{"127.0.0.1", server_.port()};
    ASSERT_TRUE(ok.send(head + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n"));
    auto response = ok.read_all(5s);
    EXPECT_EQ(response.rfind("HTTP/1.1 422", 0), 0u) << response.substr(0, 80);
    EXPECT_EQ(client_.get("/api/ping").status, 200);
}

TEST_F(http_behaviour, keep_alive_reuses_one_connection)
{
    auto fresh = server_.client();
    for (int i = 0; i < 20; ++i) ASSERT_EQ(fresh.get("/api/time").status, 200);
    EXPECT_EQ(fresh.connections_opened(), 1);
}

TEST_F(http_behaviour, a_slow_sender_is_cut_off_by_the_header_timeout)
{
    raw_connection slow{"127.0.0.1", server_.port()};
    auto started = std::chrono::steady_clock::now();
    std::string request = "GET /api/time HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    bool closed = false;
    for (char c : request + std::string(100, 'z')) {
        if (!slow.send(std::string(1, c), 1s) || slow.closed_by_peer(250ms)) {
            closed = true;
            break;
        }
    }
    auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(closed);
    EXPECT_LT(elapsed, 10s);
    EXPECT_EQ(client_.get("/api/ping").status, 200);
}

// Plain TCP connections that send nothing, closed by the destructor.
class idle_sockets {
public:
    idle_sockets() = default;
    idle_sockets(const idle_sockets&) = delete;
    idle_sockets& operator=(const idle_sockets&) = delete;
    ~idle_sockets()
    {
        // Reset rather than close: 10 000 ports in TIME_WAIT would crowd the other tests out.
        const linger reset{1, 0};
        for (int fd : fds_) {
            ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
            ::close(fd);
        }
    }
    // Opens one more; false (with errno) when it cannot be opened or connected within 10 s.
    bool open(unsigned short port)
    {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        timeval limit{10, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd);
            return false;
        }
        fds_.push_back(fd);
        return true;
    }
    std::size_t size() const { return fds_.size(); }

private:
    std::vector<int> fds_;
};

TEST(http_capacity, ten_thousand_idle_connections_do_not_stop_new_clients)
{
    server_process server{{.env = {{"HTTP_HEADER_TIMEOUT", "120"}, {"HTTP_IDLE_TIMEOUT", "120"}}}};
    auto before = server.client();
    auto user = register_user(before, "crowded");
    idle_sockets idle;
    for (int i = 0; i < 10000; ++i)
        ASSERT_TRUE(idle.open(server.port())) << "connection " << i << ": " << std::strerror(errno);
    // New clients, on new connections, are still served, anonymous and authenticated.
    for (int i = 0; i < 5; ++i) {
        auto fresh = server.client();
        EXPECT_EQ(fresh.get("/api/time").status, 200);
        EXPECT_EQ(fresh.get_auth("/api/auth/me", user.token).status, 200);
    }
    EXPECT_EQ(server.client().get("/health").status, 200);
    EXPECT_EQ(idle.size(), 10000u);
}

TEST(http_capacity, running_out_of_file_descriptors_is_reported_and_recovered_from)
{
    // The server under a limit of 160 open files (prlimit execs it: same process).
    server_process server{{.args = {"--nofile=160:160", SPOTIK_BINARY}, .binary = "/usr/bin/prlimit"}};
    auto kept = server.client();
    ASSERT_EQ(kept.get("/api/time").status, 200);  // a keep-alive connection opened beforehand
    {
        idle_sockets idle;
        for (int i = 0; i < 300; ++i) ASSERT_TRUE(idle.open(server.port())) << "connection " << i;
        auto deadline = std::chrono::steady_clock::now() + 15s;
        while (server.output().find("\"accept failed\"") == std::string::npos &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(100ms);
        EXPECT_NE(server.output().find("\"accept failed\""), std::string::npos) << "the exhaustion was not logged";
        // Connections already open keep working meanwhile.
        EXPECT_EQ(kept.get("/api/time").status, 200);
    }
    // The idle connections are gone: new clients are served again, without a restart.
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (status != 200 && std::chrono::steady_clock::now() < deadline) {
        try {
            status = server.client().get("/api/time").status;
        } catch (const std::exception&) {
            std::this_thread::sleep_for(200ms);
        }
    }
    EXPECT_EQ(status, 200);
    EXPECT_EQ(server.client().get("/health").status, 200);
    EXPECT_TRUE(server.running());
}

TEST(http_shutdown, sigterm_lets_an_in_flight_request_finish_then_exits_0)
{
    // bcrypt at cost 13 keeps the registration busy for a while.
    server_process server{{.env = {{"BCRYPT_COST", "13"}}}};
    auto fut = std::async(std::launch::async, [&] {
        auto c = server.client();
        return c.post_json("/api/auth/register", json::object{{"username", "slow"},
                                                              {"email", "slow@x.io"},
                                                              {"password", "password1"},
                                                              {"password_confirmation", "password1"}});
    });
    std::this_thread::sleep_for(700ms);
    int status = server.stop(SIGTERM, 30s);
    auto r = fut.get();
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(status, 0);
}

TEST(http_shutdown, idle_connections_do_not_delay_exit)
{
    server_process server;
    auto c = server.client();
    ASSERT_EQ(c.get("/api/time").status, 200);  // leaves a keep-alive connection open
    raw_connection idle{"127.0.0.1", server.port()};
    auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(server.stop(SIGTERM, 15s), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

}  // namespace
}  // namespace spotik::test
