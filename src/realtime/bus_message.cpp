// Bus message encoding and decoding.
#include "realtime/bus_message.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>

namespace spotik::realtime {

std::string envelope_template::fill(std::uint64_t seq) const
{
    std::string n = std::to_string(seq);
    std::string out;
    out.reserve(head.size() + mid.size() + tail.size() + 2 * n.size());
    out.append(head).append(n).append(mid).append(n).append(tail);
    return out;
}

envelope_template make_envelope_template(const room_event& e, double timestamp)
{
    boost::json::object data = e.data;
    data.erase("seq");
    std::string d = boost::json::serialize(data);
    envelope_template t;
    t.head = "{\"type\":" + boost::json::serialize(boost::json::value(e.type)) + ",\"data\":";
    t.head += d == "{}" ? std::string("{\"seq\":") : d.substr(0, d.size() - 1) + ",\"seq\":";
    t.mid = "},\"timestamp\":" + boost::json::serialize(boost::json::value(timestamp)) + ",\"seq\":";
    t.tail = "}";
    return t;
}

message_template make_message_template(const room_event& e, std::string_view origin, std::string_view event_id,
                                       const envelope_template& envelope)
{
    std::string excluded;
    for (const auto& id : e.exclude_user_ids) excluded += (excluded.empty() ? "" : ",") + id;
    message_template m;
    m.prefix = e.room_id + "\n";
    m.suffix = "\n" + e.type + "\n" + std::string(origin) + "\n" + std::string(event_id) + "\n" + excluded + "\n" +
               envelope.head;
    // The script appends: seq, mid, seq, tail; callers pass mid and tail separately.
    return m;
}

std::optional<bus_message> decode_bus_message(std::string_view text)
{
    std::string_view fields[6];
    for (auto& f : fields) {
        auto nl = text.find('\n');
        if (nl == std::string_view::npos) return std::nullopt;
        f = text.substr(0, nl);
        text.remove_prefix(nl + 1);
    }
    bus_message m;
    auto [end, ec] = std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), m.seq);
    if (fields[0].empty() || ec != std::errc{} || end != fields[1].data() + fields[1].size() || m.seq == 0 ||
        text.empty() || text.front() != '{')
        return std::nullopt;
    m.room_id = fields[0];
    m.type = fields[2];
    m.origin = fields[3];
    m.event_id = fields[4];
    for (std::string_view rest = fields[5]; !rest.empty();) {
        auto comma = rest.find(',');
        auto item = rest.substr(0, comma);
        if (!item.empty()) m.exclude_user_ids.emplace_back(item);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    m.envelope = text;
    return m;
}

}  // namespace spotik::realtime
