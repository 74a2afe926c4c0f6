// Unit tests for net/ws_frame: server frame headers, close payloads, and the reader's handling
// of every frame rule a client can break.
#include "net/ws_frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace spotik::net::ws {
namespace {

// A client frame: masked with a fixed key.
std::string client_frame(std::uint8_t first_byte, std::string_view payload, bool masked = true)
{
    std::string out(1, char(first_byte));
    const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    std::size_t n = payload.size();
    unsigned char mask_bit = masked ? 0x80 : 0;
    if (n < 126) {
        out.push_back(char(mask_bit | n));
    } else if (n <= 0xFFFF) {
        out.push_back(char(mask_bit | 126));
        out.push_back(char(n >> 8));
        out.push_back(char(n & 0xFF));
    } else {
        out.push_back(char(mask_bit | 127));
        for (int i = 7; i >= 0; --i) out.push_back(char((std::uint64_t(n) >> (8 * i)) & 0xFF));
    }
    if (masked) out.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < n; ++i) out.push_back(masked ? char(payload[i] ^ key[i & 3]) : payload[i]);
    return out;
}

std::vector<frame_event> read_all(frame_reader& r, std::string_view in)
{
    std::vector<frame_event> out;
    while (auto ev = r.next(in)) out.push_back(std::move(*ev));
    EXPECT_TRUE(in.empty());
    return out;
}

TEST(ws_frame, headers_use_the_shortest_length_form)
{
    unsigned char h[max_header_bytes];
    ASSERT_EQ(write_header(h, opcode::text, 125), 2u);
    EXPECT_EQ(h[0], 0x81);
    EXPECT_EQ(h[1], 125);
    ASSERT_EQ(write_header(h, opcode::ping, 0), 2u);
    EXPECT_EQ(h[0], 0x89);
    ASSERT_EQ(write_header(h, opcode::text, 126), 4u);
    EXPECT_EQ(h[1], 126);
    EXPECT_EQ((h[2] << 8) | h[3], 126);
    ASSERT_EQ(write_header(h, opcode::text, 65535), 4u);
    ASSERT_EQ(write_header(h, opcode::binary, 65536), 10u);
    EXPECT_EQ(h[0], 0x82);
    EXPECT_EQ(h[1], 127);
    EXPECT_EQ(h[7], 0x01);
    EXPECT_EQ(h[8], 0x00);
    EXPECT_EQ(h[9], 0x00);
}

TEST(ws_frame, close_payload_carries_the_code_and_a_bounded_reason)
{
    auto p = close_payload(1001, "going away");
    EXPECT_EQ(close_code_of(p), 1001);
    EXPECT_EQ(p.substr(2), "going away");
    EXPECT_EQ(close_payload(1000, std::string(300, 'x')).size(), 125u);
    EXPECT_EQ(close_code_of(""), 1005);
}

TEST(ws_frame, reads_masked_messages_of_every_length_form_byte_by_byte)
{
    for (std::size_t n : {0u, 1u, 125u, 126u, 65535u, 65536u, 70000u}) {
        std::string payload(n, 'a');
        for (std::size_t i = 0; i < n; ++i) payload[i] = char('a' + i % 26);
        frame_reader r(1 << 20);
        std::string wire = client_frame(0x81, payload);
        std::vector<frame_event> got;
        for (char c : wire) {
            std::string_view one(&c, 1);
            while (auto ev = r.next(one)) got.push_back(std::move(*ev));
        }
        ASSERT_EQ(got.size(), 1u) << n;
        EXPECT_EQ(got[0].kind, frame_event::text);
        EXPECT_EQ(got[0].payload, payload);
        EXPECT_FALSE(r.mid_message());
    }
}

TEST(ws_frame, joins_fragments_and_passes_control_frames_between_them)
{
    frame_reader r(1024);
    std::string wire = client_frame(0x01, "{\"ty") + client_frame(0x89, "hi") + client_frame(0x00, "pe\":") +
                       client_frame(0x80, "1}") + client_frame(0x8A, "") +
                       client_frame(0x88, close_payload(1000, "bye"));
    auto got = read_all(r, wire);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0].kind, frame_event::ping);
    EXPECT_EQ(got[0].payload, "hi");
    EXPECT_EQ(got[1].kind, frame_event::text);
    EXPECT_EQ(got[1].payload, "{\"type\":1}");
    EXPECT_EQ(got[2].kind, frame_event::pong);
    EXPECT_EQ(got[3].kind, frame_event::close);
    EXPECT_EQ(got[3].code, 1000);
}

TEST(ws_frame, protocol_violations_end_the_reading)
{
    struct bad_case {
        const char* what;
        std::string wire;
        std::uint16_t code;
    };
    std::vector<bad_case> cases = {
        {"unmasked", client_frame(0x81, "x", false), close_code::protocol_error},
        {"reserved bit", client_frame(0xC1, "x"), close_code::protocol_error},
        {"unknown opcode", client_frame(0x83, "x"), close_code::protocol_error},
        {"fragmented ping", client_frame(0x09, "x"), close_code::protocol_error},
        {"long ping", client_frame(0x89, std::string(126, 'x')), close_code::protocol_error},
        {"continuation first", client_frame(0x80, "x"), close_code::protocol_error},
        {"new message mid-message", client_frame(0x01, "a") + client_frame(0x81, "b"), close_code::protocol_error},
        {"invalid UTF-8", client_frame(0x81, "\xC3\x28"), close_code::bad_payload},
        {"truncated UTF-8", client_frame(0x81, "ok\xE2\x82"), close_code::bad_payload},
        {"one-byte close", client_frame(0x88, "x"), close_code::protocol_error},
        {"close code 1005", client_frame(0x88, close_payload(1005)), close_code::protocol_error},
        {"close code 999", client_frame(0x88, close_payload(999)), close_code::protocol_error},
        {"close code 5000", client_frame(0x88, close_payload(5000)), close_code::protocol_error},
        {"close reason not UTF-8", client_frame(0x88, close_payload(1000, "\xC3\x28")), close_code::bad_payload},
    };
    for (const auto& c : cases) {
        frame_reader r(1024);
        std::string wire = c.wire + client_frame(0x81, "after");
        auto got = read_all(r, wire);
        ASSERT_EQ(got.size(), 1u) << c.what;
        EXPECT_EQ(got[0].kind, frame_event::violation) << c.what;
        EXPECT_EQ(got[0].code, c.code) << c.what;
    }
}

TEST(ws_frame, only_the_close_codes_a_peer_may_send_are_valid)
{
    for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999})
        EXPECT_TRUE(is_valid_close_code(code)) << code;
    for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
        EXPECT_FALSE(is_valid_close_code(code)) << code;
}

TEST(ws_frame, binary_is_not_checked_for_utf8)
{
    frame_reader r(1024);
    auto got = read_all(r, client_frame(0x82, "\xFF\xFE"));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].kind, frame_event::binary);
}

TEST(ws_frame, an_oversize_message_is_reported_once_and_skipped)
{
    frame_reader r(10);
    std::string wire = client_frame(0x01, "123456") + client_frame(0x00, "789012") + client_frame(0x80, "345") +
                       client_frame(0x89, "p") + client_frame(0x81, "small");
    auto got = read_all(r, wire);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].kind, frame_event::too_big);
    EXPECT_EQ(got[1].kind, frame_event::ping);
    EXPECT_EQ(got[2].kind, frame_event::text);
    EXPECT_EQ(got[2].payload, "small");
}

}  // namespace
}  // namespace spotik::net::ws
