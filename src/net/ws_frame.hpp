// WebSocket framing (RFC 6455 §5) for the server side of an upgraded connection: the header of
// an outgoing frame, and an incremental reader of the client's frames. Beast performs the
// handshake; after it, ws_session moves the bare socket out and frames its messages itself, so
// that a broadcast's bytes are framed once for every recipient, several queued frames leave in
// one gathered write, and an idle socket holds no read buffer at all. No I/O here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spotik::net::ws {

enum class opcode : std::uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

// Close codes the server sends (RFC 6455 §7.4.1).
namespace close_code {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;
constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t bad_payload = 1007;  // text that is not UTF-8
constexpr std::uint16_t policy_error = 1008;
constexpr std::uint16_t too_big = 1009;
constexpr std::uint16_t try_again_later = 1013;
}  // namespace close_code

constexpr std::size_t max_header_bytes = 10;  // a server frame: 2 bytes, plus 8 for a 64-bit length

// Writes the header of a final, unmasked frame carrying `payload_bytes` into `out` and returns
// its length (2, 4 or 10).
std::size_t write_header(unsigned char* out, opcode op, std::size_t payload_bytes);

// The payload of a close frame: the code in network order, then the reason (cut to fit the
// 125-byte limit of control frames).
std::string close_payload(std::uint16_t code, std::string_view reason = {});

// The code of a received close frame's payload; 1005 (no code) when it carries none.
std::uint16_t close_code_of(std::string_view payload);

// Whether a peer may send `code` in a close frame (RFC 6455 §7.4).
bool is_valid_close_code(std::uint16_t code);

// A whole message or a control frame read from the client.
struct frame_event {
    enum kind_type : std::uint8_t {
        text,    // a complete text message, valid UTF-8
        binary,  // a complete binary message
        ping,    // payload to echo in a Pong
        pong,
        close,      // the client's close frame (payload: code and reason)
        too_big,    // a message passed the size limit; its bytes are skipped until it ends
        violation,  // the client broke the protocol: close with `code`, read no further
    } kind;
    std::string payload;
    std::uint16_t code = 0;  // violation: the close code to send
};

// Reads the client's frames from whatever pieces the socket delivers. next() consumes bytes from
// the front of `in` until it completes an event (returned) or runs out of input (nullopt, all of
// `in` consumed). After a violation it returns nothing more. A message's bytes are kept only
// until it is complete; between messages the reader holds no buffer.
class frame_reader {
public:
    explicit frame_reader(std::size_t max_message_bytes) : max_message_(max_message_bytes) {}

    std::optional<frame_event> next(std::string_view& in);
    // True while a frame or a fragmented message is partly read.
    bool mid_message() const { return header_len_ != 0 || in_payload_ || in_message_; }

private:
    std::optional<frame_event> parse_header();
    std::optional<frame_event> frame_done();
    std::optional<frame_event> fail(std::uint16_t code);

    std::size_t max_message_;
    unsigned char header_[14]{};
    std::uint8_t header_len_ = 0;  // bytes of the current header read so far
    bool in_payload_ = false;      // the header is complete; payload bytes follow
    bool in_message_ = false;      // a fragmented data message has begun
    bool skipping_ = false;        // the current message is over the limit: drop its data
    bool failed_ = false;
    bool fin_ = false;
    opcode frame_op_ = opcode::continuation;
    opcode message_op_ = opcode::text;
    unsigned char mask_[4]{};
    std::uint64_t remaining_ = 0;  // payload bytes of the current frame still to come
    std::uint64_t offset_ = 0;     // payload bytes of the current frame read so far (mask phase)
    std::string control_;          // the current control frame's payload
    std::string message_;          // the data message being assembled
};

}  // namespace spotik::net::ws
