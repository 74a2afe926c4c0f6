// Unit tests of where a WebSocket handshake's token is taken from (§9.1) and of the checks of its
// version and key fields and of its lack of a body (RFC 6455 §4.2.1).
#include "net/ws_handshake.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace spotik::net {
namespace {

http::request handshake(std::string token_query, std::vector<std::pair<std::string, std::string>> headers)
{
    http::request req;
    req.method = "GET";
    req.path = "/ws";
    if (!token_query.empty()) req.query["token"] = std::move(token_query);
    req.headers = std::move(headers);
    return req;
}

TEST(ws_token, the_query_comes_first_then_the_bearer_header_then_the_subprotocol)
{
    std::string subprotocol;
    EXPECT_EQ(
        ws_token(handshake("q", {{"authorization", "Bearer h"}, {"sec-websocket-protocol", "token.s"}}), subprotocol),
        "q");
    EXPECT_EQ(
        ws_token(handshake("", {{"authorization", "bearer h"}, {"sec-websocket-protocol", "token.s"}}), subprotocol),
        "h");
    // A "token." subprotocol offered is echoed even when the token comes from elsewhere: a
    // browser fails a 101 that selects none of the subprotocols it offered.
    EXPECT_EQ(subprotocol, "token.s");
    EXPECT_EQ(ws_token(handshake("q", {}), subprotocol), "q");
    EXPECT_TRUE(subprotocol.empty()) << "nothing offered, nothing echoed";
    EXPECT_EQ(ws_token(handshake("", {{"sec-websocket-protocol", "token.s"}}), subprotocol), "s");
    EXPECT_EQ(subprotocol, "token.s");
}

TEST(ws_token, the_subprotocol_is_found_among_others_and_trimmed)
{
    std::string subprotocol;
    EXPECT_EQ(ws_token(handshake("", {{"sec-websocket-protocol", "chat, token.abc.def , json"}}), subprotocol),
              "abc.def");
    EXPECT_EQ(subprotocol, "token.abc.def");
}

TEST(ws_token, nothing_usable_gives_an_empty_token)
{
    std::string subprotocol;
    EXPECT_EQ(ws_token(handshake("", {}), subprotocol), "");
    EXPECT_EQ(ws_token(handshake("", {{"authorization", "Basic dXNlcjpwdw=="}}), subprotocol), "");
    EXPECT_EQ(ws_token(handshake("", {{"authorization", "Bearer "}}), subprotocol), "");
    EXPECT_EQ(ws_token(handshake("", {{"sec-websocket-protocol", "chat, json"}}), subprotocol), "");
    EXPECT_TRUE(subprotocol.empty());
}

TEST(ws_fields, version_13_and_a_16_byte_base64_key_are_required)
{
    auto with = [](std::string version, std::string key) {
        return handshake("", {{"sec-websocket-version", std::move(version)}, {"sec-websocket-key", std::move(key)}});
    };
    const std::string good_key = "dGhlIHNhbXBsZSBub25jZQ==";
    EXPECT_FALSE(refuse_ws_fields(with("13", good_key)).has_value());
    auto old = refuse_ws_fields(with("8", good_key));
    ASSERT_TRUE(old.has_value());
    EXPECT_EQ(old->status, 426);
    EXPECT_NE(std::find(old->headers.begin(), old->headers.end(),
                        std::pair<std::string, std::string>{"Sec-WebSocket-Version", "13"}),
              old->headers.end());
    EXPECT_EQ(refuse_ws_fields(handshake("", {{"sec-websocket-key", good_key}}))->status, 426) << "no version";
    for (const char* key : {"", "abc", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=!",
                            "dGhl*HNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ===="}) {
        auto r = refuse_ws_fields(with("13", key));
        ASSERT_TRUE(r.has_value()) << key;
        EXPECT_EQ(r->status, 400) << key;
    }
    auto twice = with("13", good_key);
    twice.headers.emplace_back("sec-websocket-key", good_key);
    EXPECT_EQ(refuse_ws_fields(twice)->status, 400) << "the key sent twice";
}

TEST(ws_fields, an_upgrade_request_has_no_body)
{
    const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
    auto with = [&](std::string name, std::string value) {
        return handshake("", {{"sec-websocket-version", "13"}, {"sec-websocket-key", key}, {name, value}});
    };
    EXPECT_FALSE(refuse_ws_fields(with("content-length", "0")).has_value());
    EXPECT_EQ(refuse_ws_fields(with("content-length", "6"))->status, 400);
    EXPECT_EQ(refuse_ws_fields(with("transfer-encoding", "chunked"))->status, 400);
}

}  // namespace
}  // namespace spotik::net
