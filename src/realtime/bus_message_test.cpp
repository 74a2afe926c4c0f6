// Unit tests for realtime/bus_message: the envelope filled with a seq is exactly what the
// in-process hub sends, and bus messages round-trip (exclusions, odd payloads, garbage).
#include "realtime/bus_message.hpp"

#include "realtime/hub.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace spotik::realtime {
namespace {

class capture final : public hub_client {
public:
    void deliver(const frame& f) override { frames.push_back(*f); }
    std::string_view user_id() const override { return id; }
    std::vector<std::string> frames;
    std::string id = "u";
};

room_event sample()
{
    return {"room-1",
            "track_voted",
            {{"a", 1}, {"text", "line\nbreak \"quoted\""}, {"nested", {{"x", true}}}},
            {"u1", "u2"}};
}

TEST(bus_message, filled_envelope_matches_hub_publish_up_to_the_timestamp)
{
    hub h;
    auto c = std::make_shared<capture>();
    c->id = "someone";
    h.join("room-1", c, {}, std::nullopt);
    h.publish(sample());
    ASSERT_EQ(c->frames.size(), 1u);
    auto from_hub = boost::json::parse(c->frames[0]).as_object();
    auto t = make_envelope_template(sample(), from_hub.at("timestamp").as_double());
    std::string filled = t.fill(1);
    EXPECT_EQ(filled, c->frames[0]) << "byte for byte, key order included";
    auto parsed = boost::json::parse(t.fill(42)).as_object();
    EXPECT_EQ(parsed.at("seq"), 42);
    EXPECT_EQ(parsed.at("data").at("seq"), 42);
    EXPECT_EQ(parsed.at("data").at("text"), "line\nbreak \"quoted\"");
}

TEST(bus_message, empty_data_and_a_stray_seq)
{
    room_event e{"r", "room_deleted", {}, {}};
    auto o = boost::json::parse(make_envelope_template(e, 1.5).fill(7)).as_object();
    EXPECT_EQ(o.at("data").as_object().size(), 1u);
    EXPECT_EQ(o.at("data").at("seq"), 7);
    e.data["seq"] = 99;  // never trusted: the bus numbers
    auto o2 = boost::json::parse(make_envelope_template(e, 1.5).fill(8)).as_object();
    EXPECT_EQ(o2.at("data").at("seq"), 8);
}

// What the Lua script builds from the parts.
std::string script_message(const message_template& m, const envelope_template& t, std::uint64_t seq)
{
    auto s = std::to_string(seq);
    return m.prefix + s + m.suffix + s + t.mid + s + t.tail;
}

TEST(bus_message, round_trip)
{
    auto e = sample();
    auto t = make_envelope_template(e, 2.25);
    auto m = make_message_template(e, "replica-a", "ev123", t);
    auto decoded = decode_bus_message(script_message(m, t, 17));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->room_id, "room-1");
    EXPECT_EQ(decoded->seq, 17u);
    EXPECT_EQ(decoded->type, "track_voted");
    EXPECT_EQ(decoded->origin, "replica-a");
    EXPECT_EQ(decoded->event_id, "ev123");
    EXPECT_EQ(decoded->exclude_user_ids, (std::vector<std::string>{"u1", "u2"}));
    EXPECT_EQ(decoded->envelope, t.fill(17));
    e.exclude_user_ids.clear();
    auto m2 = make_message_template(e, "b", "id", t);
    auto d2 = decode_bus_message(script_message(m2, t, 1));
    ASSERT_TRUE(d2);
    EXPECT_TRUE(d2->exclude_user_ids.empty());
}

TEST(bus_message, garbage_is_refused)
{
    for (std::string bad : {"", "room\n", "room\nx\nt\no\ni\n\n{}", "room\n0\nt\no\ni\n\n{}", "\n1\nt\no\ni\n\n{}",
                            "room\n1\nt\no\ni\n\nnot json", "room\n1\nt\no\ni\n"})
        EXPECT_FALSE(decode_bus_message(bad)) << bad;
}

}  // namespace
}  // namespace spotik::realtime
