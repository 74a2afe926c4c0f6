// Unit tests for realtime/client_message: what a WebSocket text frame must look like.
#include "realtime/client_message.hpp"

#include <gtest/gtest.h>

namespace spotik::realtime {
namespace {

TEST(client_message, type_and_object_data_are_taken)
{
    auto m = decode_client_message(R"({"type":"vote_track","data":{"track_id":"t1"},"extra":1})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, "vote_track");
    EXPECT_EQ(m->data, (boost::json::object{{"track_id", "t1"}}));
}

TEST(client_message, data_that_is_not_an_object_counts_as_absent)
{
    for (const char* text : {R"({"type":"ping"})", R"({"type":"ping","data":[1]})", R"({"type":"ping","data":null})",
                             R"({"type":"ping","data":"x"})"}) {
        auto m = decode_client_message(text);
        ASSERT_TRUE(m) << text;
        EXPECT_EQ(m->type, "ping");
        EXPECT_TRUE(m->data.empty()) << text;
    }
}

TEST(client_message, anything_else_is_refused)
{
    for (const char* text : {"", "ping", "[]", "\"type\"", "{}", R"({"type":1})", R"({"type":null})", R"({"type":"x")",
                             R"({"data":{}})", "{\"type\":\"a\"} trailing"}) {
        EXPECT_FALSE(decode_client_message(text)) << text;
    }
}

TEST(client_message, an_empty_type_is_still_a_message)
{
    auto m = decode_client_message(R"({"type":""})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, "");
}

}  // namespace
}  // namespace spotik::realtime
