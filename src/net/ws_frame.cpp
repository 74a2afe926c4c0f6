// WebSocket framing.
#include "net/ws_frame.hpp"

#include "util/utf8.hpp"

#include <algorithm>

namespace spotik::net::ws {
namespace {

constexpr std::size_t max_control_payload = 125;

bool is_control(opcode op)
{
    return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

}  // namespace

std::size_t write_header(unsigned char* out, opcode op, std::size_t payload_bytes)
{
    out[0] = static_cast<unsigned char>(0x80 | static_cast<std::uint8_t>(op));
    if (payload_bytes < 126) {
        out[1] = static_cast<unsigned char>(payload_bytes);
        return 2;
    }
    if (payload_bytes <= 0xFFFF) {
        out[1] = 126;
        out[2] = static_cast<unsigned char>(payload_bytes >> 8);
        out[3] = static_cast<unsigned char>(payload_bytes);
        return 4;
    }
    out[1] = 127;
    auto n = static_cast<std::uint64_t>(payload_bytes);
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<unsigned char>(n >> (56 - 8 * i));
    return 10;
}

std::string close_payload(std::uint16_t code, std::string_view reason)
{
    std::string out;
    out.push_back(static_cast<char>(code >> 8));
    out.push_back(static_cast<char>(code & 0xFF));
    out.append(reason.substr(0, max_control_payload - 2));
    return out;
}

std::uint16_t close_code_of(std::string_view payload)
{
    if (payload.size() < 2) return 1005;
    return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                      static_cast<unsigned char>(payload[1]));
}

bool is_valid_close_code(std::uint16_t code)
{
    // RFC 6455 §7.4: the defined codes a peer may send (1004 is reserved; 1005, 1006 and 1015
    // are never sent), the IANA-registered 1012-1014, and 3000-4999 for libraries and
    // applications.
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

std::optional<frame_event> frame_reader::fail(std::uint16_t code)
{
    failed_ = true;
    message_ = {};
    control_ = {};
    return frame_event{frame_event::violation, {}, code};
}

std::optional<frame_event> frame_reader::next(std::string_view& in)
{
    while (!in.empty()) {
        if (failed_) {
            in = {};  // nothing after a violation counts
            break;
        }
        if (!in_payload_) {
            // Header: 2 bytes, then as many as they announce.
            header_[header_len_++] = static_cast<unsigned char>(in.front());
            in.remove_prefix(1);
            if (auto ev = parse_header()) return ev;
            if (!in_payload_ || remaining_ != 0) continue;
            if (auto ev = frame_done()) return ev;
            continue;
        }
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
        bool to_control = is_control(frame_op_);
        if (to_control || !skipping_) {
            std::string& target = to_control ? control_ : message_;
            std::size_t at = target.size();
            target.append(in.data(), n);
            for (std::size_t i = 0; i < n; ++i) target[at + i] = char(target[at + i] ^ mask_[(offset_ + i) & 3]);
        }
        offset_ += n;
        remaining_ -= n;
        in.remove_prefix(n);
        if (remaining_ == 0)
            if (auto ev = frame_done()) return ev;
    }
    return std::nullopt;
}

// Called after each header byte: nothing until the header is complete, then checks it.
std::optional<frame_event> frame_reader::parse_header()
{
    if (header_len_ < 2) return std::nullopt;
    std::size_t length_bytes = (header_[1] & 0x7F) == 126 ? 2 : (header_[1] & 0x7F) == 127 ? 8 : 0;
    bool masked = (header_[1] & 0x80) != 0;
    std::size_t needed = 2 + length_bytes + (masked ? 4 : 0);
    if (header_len_ == 2) {
        // Checks that need only the first two bytes come first, before more is read.
        if ((header_[0] & 0x70) != 0) return fail(close_code::protocol_error);  // no extension was agreed
        if (!masked) return fail(close_code::protocol_error);                   // clients must mask
        auto op = static_cast<opcode>(header_[0] & 0x0F);
        bool known = op == opcode::continuation || op == opcode::text || op == opcode::binary || op == opcode::close ||
                     op == opcode::ping || op == opcode::pong;
        if (!known) return fail(close_code::protocol_error);
        if (is_control(op) && ((header_[0] & 0x80) == 0 || length_bytes != 0 || (header_[1] & 0x7F) > 125))
            return fail(close_code::protocol_error);
        if (op == opcode::continuation && !in_message_) return fail(close_code::protocol_error);
        if ((op == opcode::text || op == opcode::binary) && in_message_) return fail(close_code::protocol_error);
    }
    if (header_len_ < needed) return std::nullopt;

    std::uint64_t length = header_[1] & 0x7F;
    if (length_bytes != 0) {
        length = 0;
        for (std::size_t i = 0; i < length_bytes; ++i) length = (length << 8) | header_[2 + i];
        if (length_bytes == 8 && (length >> 63) != 0) return fail(close_code::protocol_error);
    }
    std::copy_n(header_ + 2 + length_bytes, 4, mask_);
    fin_ = (header_[0] & 0x80) != 0;
    frame_op_ = static_cast<opcode>(header_[0] & 0x0F);
    header_len_ = 0;
    in_payload_ = true;
    remaining_ = length;
    offset_ = 0;
    if (is_control(frame_op_)) return std::nullopt;
    if (frame_op_ != opcode::continuation) {
        in_message_ = true;
        message_op_ = frame_op_;
        skipping_ = false;
    }
    if (!skipping_ && message_.size() + length > max_message_) {
        // Too big: say so once, then drop the message's data as it comes.
        skipping_ = true;
        message_ = {};
        return frame_event{frame_event::too_big, {}, close_code::too_big};
    }
    message_.reserve(message_.size() + static_cast<std::size_t>(length));
    return std::nullopt;
}

std::optional<frame_event> frame_reader::frame_done()
{
    in_payload_ = false;
    if (is_control(frame_op_)) {
        frame_event ev{frame_event::pong, std::move(control_), 0};
        control_ = {};
        if (frame_op_ == opcode::ping) ev.kind = frame_event::ping;
        if (frame_op_ == opcode::close) {
            ev.kind = frame_event::close;
            std::uint16_t code = close_code_of(ev.payload);
            if (ev.payload.size() == 1 || (ev.payload.size() >= 2 && !is_valid_close_code(code)))
                return fail(close_code::protocol_error);
            if (ev.payload.size() > 2 && !util::is_valid_utf8(std::string_view(ev.payload).substr(2)))
                return fail(close_code::bad_payload);
            ev.code = code;
        }
        return ev;
    }
    if (!fin_) return std::nullopt;
    in_message_ = false;
    if (skipping_) {
        skipping_ = false;
        return std::nullopt;
    }
    frame_event ev{message_op_ == opcode::text ? frame_event::text : frame_event::binary, std::move(message_), 0};
    message_ = {};
    if (ev.kind == frame_event::text && !util::is_valid_utf8(ev.payload)) return fail(close_code::bad_payload);
    return ev;
}

}  // namespace spotik::net::ws
