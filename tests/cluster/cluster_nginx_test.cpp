// nginx in front of the replicas (issue 5, item 5), with the project's docker/nginx/nginx.conf:
// client addresses are
// forwarded and believed only from the trusted proxy (TRUSTED_PROXIES), an upload just under
// MAX_FILE_SIZE_MB passes, authenticated answers are never shared between users, and /api/time,
// streaming and WebSocket upgrades are not rate limited.
#include "cluster_helpers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

namespace spotik::test::cluster_tests {
namespace {

// One HTTP/1.0 GET from a chosen loopback source address (127.0.0.2 is a client that is not
// the proxy); returns the status code.
int get_from(const std::string& source, unsigned short port, const std::string& target, const header_list& headers)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket");
    sockaddr_in local{}, remote{};
    local.sin_family = remote.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    remote.sin_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
        ::close(fd);
        throw std::runtime_error("connect from " + source + ": " + std::strerror(errno));
    }
    std::string req = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    req += "\r\n";
    [[maybe_unused]] auto w = ::write(fd, req.data(), req.size());
    std::string response;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) response.append(buf, std::size_t(n));
    ::close(fd);
    return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
}

// The "remote" the replicas logged for a request id ("" when no replica logged it).
std::string logged_remote(cluster& c, const std::string& request_id)
{
    for (std::size_t i = 0; i < c.size(); ++i) {
        std::istringstream in(c.replica(i).output());
        for (std::string line; std::getline(in, line);) {
            if (line.find("\"request_id\":\"" + request_id + "\"") == std::string::npos) continue;
            if (line.find("\"message\":\"request\"") == std::string::npos) continue;
            auto o = json::parse(line).as_object();
            return std::string(o.at("remote").as_string());
        }
    }
    return "";
}

TEST(cluster_nginx, client_addresses_are_believed_only_from_the_trusted_proxy)
{
    cluster c{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto id = [](const std::string& what) { return "xff-" + what + "-" + unique_name("t"); };
    // Through nginx (127.0.0.1, trusted) from client 127.0.0.2, which also tries to spoof.
    auto via = id("via");
    ASSERT_EQ(get_from("127.0.0.2", c.nginx().port(), "/api/ping", {{"X-Request-ID", via}}), 200);
    auto spoof = id("spoof");
    ASSERT_EQ(get_from("127.0.0.2", c.nginx().port(), "/api/ping",
                       {{"X-Request-ID", spoof}, {"X-Forwarded-For", "6.6.6.6"}, {"X-Real-IP", "6.6.6.7"}}),
              200);
    // Straight to a replica from an address that is not a trusted proxy: headers ignored.
    auto direct = id("direct");
    ASSERT_EQ(get_from("127.0.0.2", c.replica(0).port(), "/api/ping",
                       {{"X-Request-ID", direct}, {"X-Forwarded-For", "6.6.6.6"}}),
              200);
    // Straight from the trusted address: its header is believed.
    auto trusted = id("trusted");
    ASSERT_EQ(get_from("127.0.0.1", c.replica(0).port(), "/api/ping",
                       {{"X-Request-ID", trusted}, {"X-Forwarded-For", "198.51.100.4"}}),
              200);
    std::this_thread::sleep_for(200ms);  // log lines are written after the reply
    EXPECT_EQ(logged_remote(c, via), "127.0.0.2");
    EXPECT_EQ(logged_remote(c, spoof), "127.0.0.2") << "the spoofed entry sits left of what nginx saw";
    EXPECT_EQ(logged_remote(c, direct), "127.0.0.2");
    EXPECT_EQ(logged_remote(c, trusted), "198.51.100.4");
}

TEST(cluster_nginx, uploads_up_to_the_limit_pass_and_answers_are_per_user)
{
    cluster c{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto http = c.via_nginx();
    http.set_timeout(120s);
    auto admin = register_user(http, "admin");
    auto member = register_user(http, "member");
    auto room = create_room(http, admin.token, unique_name("nginx"));
    ASSERT_EQ(http.post_json("/api/rooms/" + room + "/join", json::object{}, member.token).status, 200);
    // A WAV just under MAX_FILE_SIZE_MB (50 MiB by default): nginx's 1 MiB default would say 413.
    const std::size_t size = 49u * 1024 * 1024;
    auto le = [](std::uint32_t v, int bytes) {
        std::string out;
        for (int k = 0; k < bytes; ++k) out.push_back(char((v >> (8 * k)) & 0xff));
        return out;
    };
    std::string wav = "RIFF" + le(std::uint32_t(36 + size), 4) + "WAVEfmt " + le(16, 4) + le(1, 2) + le(1, 2) +
                      le(22050, 4) + le(44100, 4) + le(2, 2) + le(16, 2) + "data" + le(std::uint32_t(size), 4);
    wav.resize(wav.size() + size, '\0');
    multipart_builder mp;
    mp.add_file("audio_file", "big.wav", "audio/wav", wav);
    auto up = http.post_body("/api/rooms/" + room + "/tracks", mp.body(), mp.content_type(), member.token);
    ASSERT_EQ(up.status, 201) << up.body.substr(0, 300);
    // The same URL for two users, through nginx, repeatedly: each sees their own role.
    for (int i = 0; i < 4; ++i) {
        auto as_admin = http.get_auth("/api/rooms/" + room, admin.token).json().at("data");
        auto as_member = http.get_auth("/api/rooms/" + room, member.token).json().at("data");
        EXPECT_EQ(as_admin.at("is_administrator"), true);
        auto raw = http.get_auth("/api/rooms/" + room, admin.token);
        EXPECT_EQ(raw.header("cache-control"), "private, no-store") << "no cache may keep an authenticated answer";
        EXPECT_EQ(as_member.at("is_administrator"), false);
        auto me = http.get_auth("/api/auth/me", i % 2 ? admin.token : member.token).json();
        EXPECT_NE(json::serialize(me).find(i % 2 ? admin.id : member.id), std::string::npos);
    }
}

TEST(cluster_nginx, time_streaming_and_sockets_are_not_rate_limited)
{
    cluster c{{.env = {{"AUTO_ADVANCE", "false"}}}};
    auto http = c.via_nginx();
    auto admin = register_user(http, "admin");
    auto room = create_room(http, admin.token, unique_name("limits"));
    auto track = upload(http, room, admin.token, "tone-3s-cbr.mp3");
    int time_ok = 0, range_ok = 0, upgraded = 0;
    for (int i = 0; i < 60; ++i) time_ok += http.get("/api/time").status == 200;
    header_list range{{"Range", "bytes=0-1023"}};
    add_bearer(range, admin.token);
    for (int i = 0; i < 60; ++i) range_ok += http.request("GET", "/api/tracks/" + track + "/stream", {}, range).status == 206;
    for (int i = 0; i < 30; ++i)
        upgraded += ws_client::try_connect("127.0.0.1", c.nginx().port(), ws_client::target_for(admin.token)).upgraded;
    EXPECT_EQ(time_ok, 60) << "GET /api/time";
    EXPECT_EQ(range_ok, 60) << "ranged stream requests";
    EXPECT_EQ(upgraded, 30) << "WebSocket upgrades";
}

}  // namespace
}  // namespace spotik::test::cluster_tests
