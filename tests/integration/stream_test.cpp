// Audio streaming (CONTRACT §8.1, RFC 7233): full and ranged downloads return exactly the
// stored bytes; suffix, open-ended and clamped ranges; 416; validators and 304; If-Range;
// HEAD; token by query string; access control.
#include "support/raw_connection.hpp"
#include "support/room_fixture.hpp"

#include <thread>

#include <filesystem>

namespace spotik::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class stream_api : public room_fixture {
protected:
    void SetUp() override
    {
        room_fixture::SetUp();
        track_ = upload_id(member_.token, "tone-5s.wav");
        bytes_ = read_file_bytes(fixture_path("tone-5s.wav"));
        url_ = "/api/tracks/" + track_ + "/stream";
    }
    http_response get(header_list h = {}, const std::string& token = "")
    {
        add_bearer(h, token.empty() ? member_.token : token);
        return client_.request("GET", url_, {}, h);
    }
    std::string track_, bytes_, url_;
};

TEST_F(stream_api, full_download_is_byte_exact_with_headers)
{
    auto r = get();
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 200);
    EXPECT_EQ(r.body, bytes_);
    EXPECT_EQ(r.header("content-type"), "audio/wav");
    EXPECT_EQ(r.header("accept-ranges"), "bytes");
    EXPECT_EQ(r.header("content-length"), std::to_string(bytes_.size()));
    EXPECT_EQ(r.header("cache-control"), "public, max-age=3600");
    EXPECT_EQ(r.header("etag").front(), '"');
    EXPECT_FALSE(r.header("last-modified").empty());
    EXPECT_NE(r.header("content-disposition").find("tone-5s.wav"), std::string::npos);
}

TEST_F(stream_api, ranges_return_exactly_the_stored_bytes)
{
    const auto n = bytes_.size();
    struct c {
        std::string header;
        std::size_t first, last;
    };
    for (auto [h, first, last] : {c{"bytes=0-0", 0, 0}, c{"bytes=0-1023", 0, 1023}, c{"bytes=1000-", 1000, n - 1},
                                  c{"bytes=-500", n - 500, n - 1}, c{"bytes=100-999999999", 100, n - 1},
                                  c{"bytes=-999999999", 0, n - 1}, c{"BYTES = 5 - 9", 5, 9}}) {
        auto r = get({{"Range", h}});
        ASSERT_EQ(r.status, 206) << h;
        EXPECT_EQ(r.body, bytes_.substr(first, last - first + 1)) << h;
        EXPECT_EQ(r.header("content-range"),
                  "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(n))
            << h;
        EXPECT_EQ(r.header("accept-ranges"), "bytes");
    }
}

TEST_F(stream_api, unsatisfiable_and_ignored_ranges)
{
    const auto n = std::to_string(bytes_.size());
    for (const std::string& h : std::vector<std::string>{"bytes=" + n + "-", "bytes=999999999-", "bytes=-0"}) {
        auto r = get({{"Range", h}});
        EXPECT_EQ(r.status, 416) << h;
        EXPECT_EQ(r.header("content-range"), "bytes */" + n) << h;
    }
    for (std::string h :
         std::vector<std::string>{"bytes=9-5", "items=0-5", "bytes=a-b", "bytes=0-5,10-20", "garbage"}) {
        auto r = get({{"Range", h}});
        EXPECT_EQ(r.status, 200) << h;
        EXPECT_EQ(r.body.size(), bytes_.size()) << h;
    }
}

TEST_F(stream_api, conditional_requests)
{
    auto first = get();
    auto etag = first.header("etag");
    EXPECT_EQ(get({{"If-None-Match", etag}}).status, 304);
    EXPECT_EQ(get({{"If-None-Match", "\"other\", " + etag}}).status, 304);
    EXPECT_EQ(get({{"If-None-Match", "\"other\""}}).status, 200);
    EXPECT_EQ(get({{"If-Modified-Since", first.header("last-modified")}}).status, 304);
    EXPECT_EQ(get({{"If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}}).status, 200);
    auto matched = get({{"Range", "bytes=0-9"}, {"If-Range", etag}});
    EXPECT_EQ(matched.status, 206);
    auto stale = get({{"Range", "bytes=0-9"}, {"If-Range", "\"stale\""}});
    EXPECT_EQ(stale.status, 200);
    EXPECT_EQ(stale.body, bytes_);
    // If-Match (strong comparison) and If-Unmodified-Since: 412 when they name another version.
    EXPECT_EQ(get({{"If-Match", etag}}).status, 200);
    EXPECT_EQ(get({{"If-Match", "*"}}).status, 200);
    EXPECT_EQ(get({{"If-Match", "\"other\""}}).status, 412);
    EXPECT_EQ(get({{"If-Match", "W/" + etag}}).status, 412);
    EXPECT_EQ(get({{"If-Match", "\"other\""}, {"If-None-Match", etag}}).status, 412) << "If-Match is looked at first";
    EXPECT_EQ(get({{"If-Unmodified-Since", first.header("last-modified")}}).status, 200);
    auto changed = get({{"If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}});
    EXPECT_EQ(changed.status, 412);
    EXPECT_EQ(changed.header("etag"), etag);
}

TEST_F(stream_api, head_and_query_token)
{
    header_list h;
    add_bearer(h, member_.token);
    auto head = client_.request("HEAD", url_, {}, h);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("content-length"), std::to_string(bytes_.size()));
    EXPECT_TRUE(head.body.empty());
    auto q = client_.get(url_ + "?token=" + member_.token + "&ts=12345");
    EXPECT_EQ(q.status, 200);
    EXPECT_EQ(q.body, bytes_);
}

TEST_F(stream_api, access_control)
{
    EXPECT_EQ(client_.get(url_).status, 401);
    auto outsider = get({}, outsider_.token);
    EXPECT_EQ(outsider.status, 403);
    EXPECT_EQ(outsider.json().at("error"), "You must be a participant of this room to stream tracks");
    EXPECT_EQ(client_.get_auth("/api/tracks/00000000-0000-4000-8000-000000000000/stream", member_.token).status, 404);
    EXPECT_EQ(client_.get_auth("/api/tracks/x/stream", member_.token).status, 404);
    // A file that vanished from disk is a 404, not a crash; so is something that is no regular
    // file (a directory) in its place.
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(server_.data_dir() + "/storage/audio/tracks"))
        files.push_back(e.path());
    ASSERT_EQ(files.size(), 1u);
    std::filesystem::remove(files[0]);
    auto gone = get();
    EXPECT_EQ(gone.status, 404);
    EXPECT_EQ(gone.json().at("error"), "Audio file not found");
    std::filesystem::create_directory(files[0]);
    auto not_a_file = get({{"Range", "bytes=0-10"}});
    EXPECT_EQ(not_a_file.status, 404);
    EXPECT_EQ(not_a_file.json().at("error"), "Audio file not found");
    EXPECT_EQ(client_.get("/api/ping").status, 200);
}

// A WAV of `megabytes` MB of generated 16-bit mono PCM at 22.05 kHz behind a canonical 44-byte
// header.
std::string generated_wav(std::size_t megabytes)
{
    std::string body;
    body.reserve(megabytes * 1024 * 1024);
    for (std::size_t i = 0; body.size() < megabytes * 1024 * 1024; ++i) body.push_back(char((i * 7919) & 0xff));
    auto le = [](std::uint32_t v, int bytes) {
        std::string out;
        for (int k = 0; k < bytes; ++k) out.push_back(char((v >> (8 * k)) & 0xff));
        return out;
    };
    return "RIFF" + le(std::uint32_t(36 + body.size()), 4) + "WAVEfmt " + le(16, 4) + le(1, 2) + le(1, 2) +
           le(22050, 4) + le(44100, 4) + le(2, 2) + le(16, 2) + "data" + le(std::uint32_t(body.size()), 4) + body;
}

std::string upload_wav(http_client& client, const std::string& room_id, const std::string& token,
                       const std::string& wav)
{
    multipart_builder mp;
    mp.add_file("audio_file", "big.wav", "audio/wav", wav);
    auto up = client.post_body("/api/rooms/" + room_id + "/tracks", mp.body(), mp.content_type(), token);
    EXPECT_EQ(up.status, 201) << up.body;
    return up.status == 201 ? std::string(up.json().at("track").at("id").as_string()) : std::string();
}

TEST_F(stream_api, a_large_file_streams_exactly)
{
    const std::string wav = generated_wav(20);
    const std::string id = upload_wav(client_, room_id_, member_.token, wav);
    ASSERT_FALSE(id.empty());
    auto r = client_.get_auth("/api/tracks/" + id + "/stream", member_.token);
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.body == wav);
    header_list h{{"Range", "bytes=10485760-11534335"}};
    add_bearer(h, member_.token);
    auto part = client_.request("GET", "/api/tracks/" + id + "/stream", {}, h);
    ASSERT_EQ(part.status, 206);
    EXPECT_TRUE(part.body == wav.substr(10485760, 1048576));
}

TEST_F(stream_api, clients_hanging_up_in_the_middle_of_a_download_do_not_stop_the_server)
{
    // The body leaves through sendfile(2), which has no MSG_NOSIGNAL: writing to a connection the
    // peer has reset raises SIGPIPE, whose default action ends the process.
    const std::string wav = generated_wav(8);
    const std::string id = upload_wav(client_, room_id_, member_.token, wav);
    ASSERT_FALSE(id.empty());
    const std::string request =
        "GET /api/tracks/" + id + "/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + member_.token + "\r\n\r\n";
    for (int i = 0; i < 30; ++i) {
        raw_connection conn{"127.0.0.1", server_.port()};
        ASSERT_TRUE(conn.send(request));
        if (i % 3 != 0) conn.read_until("\r\n\r\n", 5s);    // some leave before a byte of the body
        if (i % 3 == 2) std::this_thread::sleep_for(20ms);  // some after the socket buffers filled
        conn.close();                                       // with unread data: the server's side is reset
    }
    std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(server_.running()) << "exit status " << server_.exit_status().value_or(-1) << "\n" << server_.output();
    auto r = client_.get_auth("/api/tracks/" + id + "/stream", member_.token);
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.body == wav);
}

class slow_reader : public room_fixture {
protected:
    slow_reader() : room_fixture({.env = {{"HTTP_IDLE_TIMEOUT", "2"}}}) {}
};

TEST_F(slow_reader, a_client_that_stops_reading_a_stream_is_cut_off_and_others_are_served)
{
    // Bigger than what the socket buffers of both ends hold on loopback.
    const std::string wav = generated_wav(24);
    const std::string id = upload_wav(client_, room_id_, member_.token, wav);
    ASSERT_FALSE(id.empty());
    raw_connection stalled{"127.0.0.1", server_.port()};
    ASSERT_TRUE(stalled.send("GET /api/tracks/" + id + "/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                             member_.token + "\r\n\r\n"));
    // It reads nothing for several write timeouts; meanwhile everyone else is served.
    for (int i = 0; i < 6; ++i) {
        std::this_thread::sleep_for(1s);
        EXPECT_EQ(server_.client().get("/api/ping").status, 200);
    }
    auto got = stalled.read_all(20s);
    EXPECT_TRUE(stalled.peer_closed()) << "the stalled stream is still open";
    EXPECT_LT(got.size(), wav.size()) << "the whole file was delivered to a client that did not read";
    EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got.substr(0, 80);
}

}  // namespace
}  // namespace spotik::test
