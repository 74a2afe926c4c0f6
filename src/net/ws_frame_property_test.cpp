// Property test for net/ws_frame (RapidCheck): any sequence of client messages, cut into
// fragments, interleaved with pings and delivered in arbitrary pieces, reads back as the same
// messages in the same order.
#include "net/ws_frame.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace spotik::net::ws {
namespace {

std::string masked_frame(bool fin, std::uint8_t op, std::string_view payload, std::uint32_t key)
{
    std::string out(1, char((fin ? 0x80 : 0) | op));
    std::size_t n = payload.size();
    if (n < 126) {
        out.push_back(char(0x80 | n));
    } else {
        out.push_back(char(0x80 | 126));
        out.push_back(char(n >> 8));
        out.push_back(char(n & 0xFF));
    }
    unsigned char k[4] = {std::uint8_t(key >> 24), std::uint8_t(key >> 16), std::uint8_t(key >> 8), std::uint8_t(key)};
    out.append(reinterpret_cast<const char*>(k), 4);
    for (std::size_t i = 0; i < n; ++i) out.push_back(char(payload[i] ^ k[i & 3]));
    return out;
}

RC_GTEST_PROP(ws_frame_property, fragmented_and_split_messages_read_back_unchanged, ())
{
    auto messages = *rc::gen::container<std::vector<std::string>>(
        rc::gen::container<std::string>(rc::gen::inRange<char>('a', 'z' + 1)));
    RC_PRE(messages.size() <= 20);
    std::string wire;
    std::vector<std::string> pings;
    for (const auto& m : messages) {
        // Cut the message into 1-4 fragments, with a ping after the first.
        std::size_t parts = *rc::gen::inRange<std::size_t>(1, 5);
        std::size_t step = m.size() / parts + 1;
        for (std::size_t at = 0, i = 0; at < m.size() || i == 0; at += step, ++i) {
            std::string_view piece = std::string_view(m).substr(std::min(at, m.size()), step);
            bool last = at + step >= m.size();
            wire += masked_frame(last, i == 0 ? 0x1 : 0x0, piece, *rc::gen::arbitrary<std::uint32_t>());
            if (i == 0 && !last) {
                pings.push_back("p" + std::to_string(pings.size()));
                wire += masked_frame(true, 0x9, pings.back(), *rc::gen::arbitrary<std::uint32_t>());
            }
        }
    }
    frame_reader reader(1 << 16);
    std::vector<std::string> got_messages, got_pings;
    std::string_view rest(wire);
    while (!rest.empty()) {
        std::size_t cut = std::min(rest.size(), *rc::gen::inRange<std::size_t>(1, 40));
        std::string_view piece = rest.substr(0, cut);
        rest.remove_prefix(cut);
        while (auto ev = reader.next(piece)) {
            RC_ASSERT(ev->kind == frame_event::text || ev->kind == frame_event::ping);
            (ev->kind == frame_event::text ? got_messages : got_pings).push_back(ev->payload);
        }
        RC_ASSERT(piece.empty());
    }
    RC_ASSERT(got_messages == messages);
    RC_ASSERT(got_pings == pings);
    RC_ASSERT(!reader.mid_message());
}

}  // namespace
}  // namespace spotik::net::ws
