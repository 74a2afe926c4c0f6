// The client's Connection header decides whether a connection stays open after an answer, on
// routed requests as on the rest (RFC 9112 §9.3, §9.6): HTTP/1.1 with `Connection: close` is
// answered and closed at once, HTTP/1.0 with `Connection: keep-alive` stays open for the next
// request, plain HTTP/1.0 is closed. A client that sends `Expect: 100-continue` gets
// `100 Continue` before it sends its body, unless the request is refused first (RFC 9110 §10.1.1).
// A body that stops arriving ends the connection at HTTP_BODY_TIMEOUT.
#include "support/raw_connection.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <strings.h>

#include <string>
#include <thread>

namespace spotik::test {
namespace {

using namespace std::chrono_literals;

constexpr auto k_answer = 10s;

// One whole response (headers and a Content-Length body) read from `raw`.
std::string read_response(raw_connection& raw)
{
    std::string head = raw.read_until("\r\n\r\n", k_answer);
    std::size_t length = 0;
    for (std::size_t at = 0; (at = head.find("\r\n", at)) != std::string::npos;) {
        at += 2;
        if (strncasecmp(head.c_str() + at, "content-length:", 15) == 0) length = std::stoul(head.substr(at + 15));
    }
    std::string body;
    while (body.size() < length) {
        std::string more = raw.read_some(k_answer);
        if (more.empty()) break;
        body += more;
    }
    return head + body;
}

bool has_header(const std::string& response, const std::string& line)
{
    return response.find("\r\n" + line + "\r\n") != std::string::npos;
}

class http_connection : public ::testing::Test {
protected:
    // The idle timeout is far longer than any wait below, so only a deliberate close counts.
    server_process server_{{.env = {{"HTTP_IDLE_TIMEOUT", "120"}}}};
};

TEST_F(http_connection, connection_close_on_a_routed_request_closes_after_the_answer)
{
    const std::string requests[] = {
        "GET /api/time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        "Content-Length: 2\r\n\r\n{}",
    };
    for (const auto& request : requests) {
        raw_connection raw("127.0.0.1", server_.port());
        ASSERT_TRUE(raw.send(request));
        auto response = read_response(raw);
        EXPECT_EQ(response.rfind("HTTP/1.1 ", 0), 0u) << response;
        EXPECT_TRUE(has_header(response, "Connection: close")) << response;
        EXPECT_TRUE(raw.closed_by_peer(k_answer)) << "left open after answering " << request;
    }
}

TEST_F(http_connection, http_1_0_keep_alive_is_honoured_and_plain_http_1_0_is_closed)
{
    raw_connection raw("127.0.0.1", server_.port());
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(raw.send("GET /api/time HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        auto response = read_response(raw);
        EXPECT_EQ(response.rfind("HTTP/1.0 200", 0), 0u) << response;
        EXPECT_TRUE(has_header(response, "Connection: keep-alive")) << response;
    }
    EXPECT_FALSE(raw.closed_by_peer(500ms)) << "a keep-alive connection was closed";

    raw_connection plain("127.0.0.1", server_.port());
    ASSERT_TRUE(plain.send("GET /api/time HTTP/1.0\r\n\r\n"));
    EXPECT_EQ(read_response(plain).rfind("HTTP/1.0 200", 0), 0u);
    EXPECT_TRUE(plain.closed_by_peer(k_answer));
}

TEST_F(http_connection, expect_100_continue_is_answered_before_the_body)
{
    raw_connection raw("127.0.0.1", server_.port());
    ASSERT_TRUE(
        raw.send("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n"));
    EXPECT_EQ(raw.read_until("\r\n\r\n", k_answer), "HTTP/1.1 100 Continue\r\n\r\n");
    ASSERT_TRUE(raw.send("{}"));
    EXPECT_EQ(read_response(raw).rfind("HTTP/1.1 422", 0), 0u);

    // Refused on its headers: the final answer comes at once, with no 100 before it.
    raw_connection big("127.0.0.1", server_.port());
    ASSERT_TRUE(
        big.send("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Expect: 100-continue\r\nContent-Length: 100000000\r\n\r\n"));
    EXPECT_EQ(read_response(big).rfind("HTTP/1.1 413", 0), 0u);
}

// A body that stops arriving ends the connection at HTTP_BODY_TIMEOUT. Nothing can be sent then
// (the deadline closed the socket), and the access log says so: status 408 with 0 bytes, not a
// reply body that never went out.
TEST(http_body_timeout, a_stalled_body_closes_the_connection_and_logs_a_408_with_no_bytes)
{
    server_process server{{.env = {{"HTTP_BODY_TIMEOUT", "1"}, {"LOG_LEVEL", "info"}}}};
    raw_connection raw("127.0.0.1", server.port());
    ASSERT_TRUE(
        raw.send("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Content-Length: 100\r\n\r\n{\"a\""));
    EXPECT_TRUE(raw.closed_by_peer(k_answer));
    EXPECT_EQ(raw.read_all(1ms), "");
    std::string line;
    for (auto end = std::chrono::steady_clock::now() + k_answer; line.empty() && std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(50ms)) {
        auto out = server.output();
        auto at = out.find("\"status\":408");
        if (at != std::string::npos)
            line = out.substr(out.rfind('\n', at) + 1, out.find('\n', at) - out.rfind('\n', at));
    }
    ASSERT_FALSE(line.empty()) << "no access log line with status 408";
    EXPECT_NE(line.find("\"bytes\":0"), std::string::npos) << line;
}

}  // namespace
}  // namespace spotik::test
