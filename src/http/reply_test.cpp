// Unit tests for http/reply: case-insensitive header set/get, JSON replies and the error
// envelopes of CONTRACT §0.5 (family A with success:false, family B, 422 validation errors).
#include "http/reply.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <string>

namespace spotik::http {
namespace {

boost::json::object body_of(const reply& r)
{
    return boost::json::parse(r.body).as_object();
}

TEST(reply, defaults)
{
    reply r;
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.headers.empty());
    EXPECT_TRUE(r.body.empty());
    EXPECT_FALSE(r.file.has_value());
    EXPECT_FALSE(r.close);
}

TEST(reply, set_appends_new_headers_in_order)
{
    reply r;
    r.set("A", "1");
    r.set("B", "2");
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.headers[0].first, "A");
    EXPECT_EQ(r.headers[1].first, "B");
}

TEST(reply, header_values_cannot_carry_a_line_break_or_control_characters)
{
    reply r;
    r.set("Content-Disposition", "inline; filename=\"a\r\nSet-Cookie: x=1\".mp3");
    r.set("X-Other", std::string("a\tb\0c\x7f", 6));
    EXPECT_EQ(r.get("content-disposition"), "inline; filename=\"a  Set-Cookie: x=1\".mp3");
    EXPECT_EQ(r.get("x-other"), "a\tb c ");
}

TEST(reply, set_replaces_case_insensitively)
{
    reply r;
    r.set("Content-Type", "text/plain");
    r.set("content-type", "application/json");
    r.set("CONTENT-TYPE", "text/html");
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "Content-Type");  // the first spelling is kept
    EXPECT_EQ(r.headers[0].second, "text/html");
}

TEST(reply, set_does_not_confuse_prefixes)
{
    reply r;
    r.set("X-Request", "a");
    r.set("X-Request-ID", "b");
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.get("X-Request"), "a");
    EXPECT_EQ(r.get("X-Request-ID"), "b");
}

TEST(reply, get_is_case_insensitive_and_empty_when_absent)
{
    reply r;
    r.set("Retry-After", "3600");
    EXPECT_EQ(r.get("Retry-After"), "3600");
    EXPECT_EQ(r.get("retry-after"), "3600");
    EXPECT_EQ(r.get("RETRY-AFTER"), "3600");
    EXPECT_EQ(r.get("Retry"), "");
    EXPECT_EQ(r.get("Retry-After-X"), "");
    EXPECT_EQ(r.get(""), "");
}

TEST(reply, json_sets_status_body_and_content_type)
{
    reply r = json(201, boost::json::object{{"a", 1}, {"b", "x"}});
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.get("Content-Type"), "application/json");
    auto o = body_of(r);
    EXPECT_EQ(o.at("a").as_int64(), 1);
    EXPECT_EQ(o.at("b").as_string(), "x");
}

TEST(reply, json_accepts_arrays_and_escapes_strings)
{
    reply r = json(200, boost::json::array{"a\"b", nullptr, true});
    auto v = boost::json::parse(r.body);
    ASSERT_TRUE(v.is_array());
    EXPECT_EQ(v.as_array()[0].as_string(), "a\"b");
    EXPECT_TRUE(v.as_array()[1].is_null());
}

TEST(reply, error_a_shape)
{
    reply r = error_a(401, "Token has expired", "Token expired");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.get("Content-Type"), "application/json");
    auto o = body_of(r);
    EXPECT_EQ(o.size(), 3u);
    EXPECT_EQ(o.at("success").as_bool(), false);
    EXPECT_EQ(o.at("message").as_string(), "Token has expired");
    EXPECT_EQ(o.at("error").as_string(), "Token expired");
}

TEST(reply, error_b_shape_with_message)
{
    reply r = error_b(404, "Track not found", "The track does not exist");
    EXPECT_EQ(r.status, 404);
    auto o = body_of(r);
    EXPECT_EQ(o.size(), 2u);
    EXPECT_FALSE(o.contains("success"));
    EXPECT_EQ(o.at("error").as_string(), "Track not found");
    EXPECT_EQ(o.at("message").as_string(), "The track does not exist");
}

TEST(reply, error_b_message_defaults_to_error)
{
    reply r = error_b(403, "Forbidden");
    auto o = body_of(r);
    EXPECT_EQ(o.at("error").as_string(), "Forbidden");
    EXPECT_EQ(o.at("message").as_string(), "Forbidden");  // §0.5: always send both
}

TEST(reply, validation_error_family_a)
{
    boost::json::object errors{{"name", boost::json::array{"The name field is required."}}};
    reply r = validation_error(errors, true);
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(r.get("Content-Type"), "application/json");
    auto o = body_of(r);
    EXPECT_EQ(o.at("success").as_bool(), false);
    EXPECT_EQ(o.at("message").as_string(), "Validation failed");
    EXPECT_EQ(o.at("error").as_string(), "Validation failed");
    ASSERT_TRUE(o.at("errors").is_object());
    EXPECT_EQ(o.at("errors").at("name").as_array().at(0).as_string(), "The name field is required.");
}

TEST(reply, validation_error_family_b)
{
    boost::json::object errors{{"audio_file", boost::json::array{"The audio file field is required.", "x"}}};
    reply r = validation_error(errors, false);
    EXPECT_EQ(r.status, 422);
    auto o = body_of(r);
    EXPECT_FALSE(o.contains("success"));
    EXPECT_EQ(o.at("error").as_string(), "Validation failed");
    EXPECT_EQ(o.at("message").as_string(), "Validation failed");
    EXPECT_EQ(o.at("errors").at("audio_file").as_array().size(), 2u);
}

TEST(reply, validation_error_with_no_fields_keeps_errors_object)
{
    reply r = validation_error({}, true);
    auto o = body_of(r);
    ASSERT_TRUE(o.at("errors").is_object());
    EXPECT_TRUE(o.at("errors").as_object().empty());
}

}  // namespace
}  // namespace spotik::http
