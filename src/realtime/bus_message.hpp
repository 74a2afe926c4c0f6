// The Redis bus's wire formats, without any I/O: the client envelope split around its seq
// (so the Redis script can number it atomically), and the channel/history message that carries
// one numbered event between replicas:
//   <room_id>\n<seq>\n<type>\n<origin replica>\n<event id>\n<excluded user ids, comma separated>\n<envelope>
// Serialized JSON never contains a raw newline, so the envelope is the rest of the message.
#pragma once
#include "realtime/event.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spotik::realtime {

// envelope(seq) = head + seq + mid + seq + tail
//   = {"type":T,"data":{...,"seq":N},"timestamp":X,"seq":N}, the layout hub::publish produces.
struct envelope_template {
    std::string head, mid, tail;
    std::string fill(std::uint64_t seq) const;
};
envelope_template make_envelope_template(const room_event& e, double timestamp);

// The message minus its seq: message(seq) = prefix + seq + suffix.
struct message_template {
    std::string prefix, suffix;
};
message_template make_message_template(const room_event& e, std::string_view origin, std::string_view event_id,
                                       const envelope_template& envelope);

struct bus_message {
    std::string room_id;
    std::uint64_t seq = 0;
    std::string type;
    std::string origin;
    std::string event_id;
    std::vector<std::string> exclude_user_ids;
    std::string envelope;
};
// nullopt when the text is not a bus message.
std::optional<bus_message> decode_bus_message(std::string_view text);

}  // namespace spotik::realtime
