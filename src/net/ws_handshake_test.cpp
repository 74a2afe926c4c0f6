// Unit tests of where a WebSocket handshake's token is taken from (§9.1).
#include "net/ws_handshake.hpp"

#include <gtest/gtest.h>

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
    EXPECT_TRUE(subprotocol.empty()) << "only a token taken from the subprotocol is echoed";
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

}  // namespace
}  // namespace spotik::net
