// Fuzz target: the reader of client WebSocket frames (net/ws_frame). Input: the first byte
// chooses the size of the pieces the rest arrives in, the rest is the bytes a client sent. The
// events must not depend on how the bytes were cut; every call ends with an event or with all
// of its input used; messages respect the size limit and text is UTF-8; a violation is last.
#include "net/ws_frame.hpp"
#include "support.hpp"
#include "util/utf8.hpp"

#include <vector>

using namespace spotik;
using net::ws::frame_event;

namespace {

constexpr std::size_t k_max_message = 4096;

std::vector<frame_event> read_in_pieces(std::string_view wire, std::size_t piece)
{
    net::ws::frame_reader reader(k_max_message);
    std::vector<frame_event> out;
    while (!wire.empty()) {
        std::string_view in = wire.substr(0, piece);
        wire.remove_prefix(in.size());
        while (auto ev = reader.next(in)) out.push_back(std::move(*ev));
        fuzz::check(in.empty(), "next() returned nothing with input left");
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) return 0;
    const std::string_view wire = fuzz::as_text(data + 1, size - 1);
    const std::size_t piece = 1 + data[0] % 64;
    auto whole = read_in_pieces(wire, wire.size() + 1);
    auto cut = read_in_pieces(wire, piece);
    fuzz::check(whole.size() == cut.size(), "the events depend on how the bytes arrive");
    for (std::size_t i = 0; i < whole.size(); ++i) {
        const auto& a = whole[i];
        fuzz::check(a.kind == cut[i].kind && a.payload == cut[i].payload && a.code == cut[i].code,
                    "the events depend on how the bytes arrive", a.payload);
        if (a.kind == frame_event::violation) fuzz::check(i + 1 == whole.size(), "an event after a violation");
        if (a.kind == frame_event::text || a.kind == frame_event::binary)
            fuzz::check(a.payload.size() <= k_max_message, "a message over the limit");
        if (a.kind == frame_event::text)
            fuzz::check(util::is_valid_utf8(a.payload), "text that is not UTF-8", a.payload);
        if (a.kind == frame_event::ping || a.kind == frame_event::pong || a.kind == frame_event::close)
            fuzz::check(a.payload.size() <= 125, "a control frame over 125 bytes");
    }
    return 0;
}
