// Unit tests for http/router: literal-over-parameter precedence whatever the registration
// order, parameter and tail-parameter extraction, 404 versus 405 with the allowed methods,
// HEAD falling back to GET, trailing slashes and empty segments, and pattern validation.
#include "http/router.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace spotik::http {
namespace {

// A handler whose reply body names the route, so a test can call the matched handler.
handler named(std::string name)
{
    return [name = std::move(name)](request&) {
        reply r;
        r.body = name;
        return r;
    };
}

std::string call(const match_result& m)
{
    request req;
    return m.found ? m.found->fn(req).body : std::string("<none>");
}

bool allows(const match_result& m, const std::string& method)
{
    return std::find(m.allowed.begin(), m.allowed.end(), method) != m.allowed.end();
}

TEST(router, literal_beats_parameter_when_parameter_registered_first)
{
    router rt;
    rt.add("GET", "/api/rooms/{room}/status", named("room-status"));
    rt.add("GET", "/api/rooms/manager/status", named("manager-status"));
    auto m = rt.match("GET", "/api/rooms/manager/status");
    ASSERT_NE(m.found, nullptr);
    EXPECT_EQ(m.found->pattern, "/api/rooms/manager/status");
    EXPECT_EQ(call(m), "manager-status");
    EXPECT_TRUE(m.params.empty());
}

TEST(router, literal_beats_parameter_when_literal_registered_first)
{
    router rt;
    rt.add("GET", "/api/rooms/manager/status", named("manager-status"));
    rt.add("GET", "/api/rooms/{room}/status", named("room-status"));
    auto m = rt.match("GET", "/api/rooms/manager/status");
    ASSERT_NE(m.found, nullptr);
    EXPECT_EQ(call(m), "manager-status");
}

TEST(router, parameter_route_still_matches_other_values)
{
    router rt;
    rt.add("GET", "/api/rooms/manager/status", named("manager-status"));
    rt.add("GET", "/api/rooms/{room}/status", named("room-status"));
    rt.add("GET", "/api/rooms/{room}", named("room"));
    auto m = rt.match("GET", "/api/rooms/abc-123/status");
    ASSERT_NE(m.found, nullptr);
    EXPECT_EQ(call(m), "room-status");
    EXPECT_EQ(m.params.at("room"), "abc-123");

    // A single-segment path is taken by {room}; the 4-segment literal cannot match it.
    auto one = rt.match("GET", "/api/rooms/manager");
    ASSERT_NE(one.found, nullptr);
    EXPECT_EQ(call(one), "room");
    EXPECT_EQ(one.params.at("room"), "manager");
}

TEST(router, literal_single_segment_beats_parameter_in_both_orders)
{
    for (bool literal_first : {true, false}) {
        router rt;
        if (literal_first) rt.add("GET", "/api/rooms/manager", named("literal"));
        rt.add("GET", "/api/rooms/{room}", named("param"));
        if (!literal_first) rt.add("GET", "/api/rooms/manager", named("literal"));
        auto m = rt.match("GET", "/api/rooms/manager");
        ASSERT_NE(m.found, nullptr) << "literal_first=" << literal_first;
        EXPECT_EQ(call(m), "literal") << "literal_first=" << literal_first;
        EXPECT_TRUE(m.params.empty());
        EXPECT_EQ(call(rt.match("GET", "/api/rooms/other")), "param");
    }
}

TEST(router, extracts_several_parameters)
{
    router rt;
    rt.add("POST", "/api/rooms/{room}/tracks/{track}/vote", named("vote"));
    auto m = rt.match("POST", "/api/rooms/r-1/tracks/t-2/vote");
    ASSERT_NE(m.found, nullptr);
    EXPECT_EQ(call(m), "vote");
    ASSERT_EQ(m.params.size(), 2u);
    EXPECT_EQ(m.params.at("room"), "r-1");
    EXPECT_EQ(m.params.at("track"), "t-2");
    EXPECT_FALSE(m.method_not_allowed);
}

TEST(router, parameter_does_not_span_segments)
{
    router rt;
    rt.add("GET", "/api/rooms/{room}", named("room"));
    auto m = rt.match("GET", "/api/rooms/a/b");
    EXPECT_EQ(m.found, nullptr);
    EXPECT_FALSE(m.method_not_allowed);
    EXPECT_TRUE(m.allowed.empty());
}

TEST(router, tail_parameter_takes_one_segment)
{
    router rt;
    rt.add("GET", "/api/storage/{path...}", named("storage"));
    auto m = rt.match("GET", "/api/storage/room_covers/a.png");
    ASSERT_NE(m.found, nullptr);
    EXPECT_EQ(call(m), "storage");
    EXPECT_EQ(m.params.at("path"), "room_covers/a.png");
    // The parameter name excludes the dots.
    EXPECT_EQ(m.params.count("path..."), 0u);
}

TEST(router, tail_parameter_takes_nested_segments)
{
    router rt;
    rt.add("GET", "/api/storage/{path...}", named("storage"));
    auto m = rt.match("GET", "/api/storage/a/b/c/d.jpg");
    ASSERT_NE(m.found, nullptr);
    EXPECT_EQ(m.params.at("path"), "a/b/c/d.jpg");

    auto single = rt.match("GET", "/api/storage/file.webp");
    ASSERT_NE(single.found, nullptr);
    EXPECT_EQ(single.params.at("path"), "file.webp");
}

TEST(router, tail_parameter_does_not_match_bare_prefix)
{
    router rt;
    rt.add("GET", "/api/storage/{path...}", named("storage"));
    for (const char* path : {"/api/storage", "/api/storage/"}) {
        auto m = rt.match("GET", path);
        EXPECT_EQ(m.found, nullptr) << path;
        EXPECT_FALSE(m.method_not_allowed) << path;
        EXPECT_TRUE(m.allowed.empty()) << path;
    }
}

TEST(router, tail_parameter_keeps_trailing_slash_of_nested_path)
{
    router rt;
    rt.add("GET", "/api/storage/{path...}", named("storage"));
    auto m = rt.match("GET", "/api/storage/room_covers/");
    ASSERT_NE(m.found, nullptr);
    EXPECT_EQ(m.params.at("path"), "room_covers/");
}

TEST(router, literal_route_beats_tail_route)
{
    router rt;
    rt.add("GET", "/api/storage/{path...}", named("storage"));
    rt.add("GET", "/api/storage/index", named("index"));
    EXPECT_EQ(call(rt.match("GET", "/api/storage/index")), "index");
    EXPECT_EQ(call(rt.match("GET", "/api/storage/index/x")), "storage");
}

TEST(router, unknown_path_is_404_without_allowed_methods)
{
    router rt;
    rt.add("GET", "/api/rooms", named("list"));
    rt.add("POST", "/api/rooms", named("create"));
    auto m = rt.match("GET", "/api/nothing/here");
    EXPECT_EQ(m.found, nullptr);
    EXPECT_FALSE(m.method_not_allowed);
    EXPECT_TRUE(m.allowed.empty());
    EXPECT_TRUE(m.params.empty());
}

TEST(router, known_path_with_other_method_is_405_with_allowed_list)
{
    router rt;
    rt.add("GET", "/api/rooms/{room}", named("show"));
    rt.add("PUT", "/api/rooms/{room}", named("update"));
    rt.add("DELETE", "/api/rooms/{room}", named("delete"));
    rt.add("POST", "/api/rooms", named("create"));
    auto m = rt.match("PATCH", "/api/rooms/r1");
    EXPECT_EQ(m.found, nullptr);
    EXPECT_TRUE(m.method_not_allowed);
    EXPECT_TRUE(allows(m, "GET"));
    EXPECT_TRUE(allows(m, "PUT"));
    EXPECT_TRUE(allows(m, "DELETE"));
    EXPECT_TRUE(allows(m, "HEAD"));  // added because GET is accepted
    EXPECT_FALSE(allows(m, "POST"));  // belongs to another path
    EXPECT_EQ(m.allowed.size(), 4u);
}

TEST(router, allowed_is_filled_on_success_too)
{
    router rt;
    rt.add("POST", "/api/auth/login", named("login"));
    auto m = rt.match("POST", "/api/auth/login");
    ASSERT_NE(m.found, nullptr);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"POST"}));
}

TEST(router, post_only_path_does_not_list_head)
{
    router rt;
    rt.add("POST", "/api/auth/login", named("login"));
    auto m = rt.match("GET", "/api/auth/login");
    EXPECT_TRUE(m.method_not_allowed);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"POST"}));
    auto head = rt.match("HEAD", "/api/auth/login");
    EXPECT_EQ(head.found, nullptr);
    EXPECT_TRUE(head.method_not_allowed);
}

TEST(router, literal_path_shadows_parameter_route_of_other_methods)
{
    // Only the most specific pattern's methods count: POST on the literal path is a 405 even
    // though POST /api/rooms/{room}/status exists.
    router rt;
    rt.add("GET", "/api/rooms/manager/status", named("manager-status"));
    rt.add("POST", "/api/rooms/{room}/status", named("room-status"));
    auto m = rt.match("POST", "/api/rooms/manager/status");
    EXPECT_EQ(m.found, nullptr);
    EXPECT_TRUE(m.method_not_allowed);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "HEAD"}));
}

TEST(router, head_falls_back_to_get)
{
    router rt;
    rt.add("GET", "/api/tracks/{track}/stream", named("stream"));
    auto m = rt.match("HEAD", "/api/tracks/t9/stream");
    ASSERT_NE(m.found, nullptr);
    EXPECT_EQ(m.found->method, "GET");
    EXPECT_EQ(call(m), "stream");
    EXPECT_EQ(m.params.at("track"), "t9");
    EXPECT_FALSE(m.method_not_allowed);
    EXPECT_TRUE(allows(m, "GET"));
    EXPECT_TRUE(allows(m, "HEAD"));
}

TEST(router, explicit_head_route_wins_over_get_fallback_in_both_orders)
{
    for (bool head_first : {true, false}) {
        router rt;
        if (head_first) rt.add("HEAD", "/api/x", named("head"));
        rt.add("GET", "/api/x", named("get"));
        if (!head_first) rt.add("HEAD", "/api/x", named("head"));
        auto m = rt.match("HEAD", "/api/x");
        ASSERT_NE(m.found, nullptr);
        EXPECT_EQ(call(m), "head") << "head_first=" << head_first;
        EXPECT_EQ(std::count(m.allowed.begin(), m.allowed.end(), "HEAD"), 1);
        EXPECT_EQ(call(rt.match("GET", "/api/x")), "get");
    }
}

TEST(router, get_is_not_served_by_head_route)
{
    router rt;
    rt.add("HEAD", "/api/x", named("head"));
    auto m = rt.match("GET", "/api/x");
    EXPECT_EQ(m.found, nullptr);
    EXPECT_TRUE(m.method_not_allowed);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"HEAD"}));
}

TEST(router, method_is_case_sensitive)
{
    router rt;
    rt.add("GET", "/api/rooms", named("list"));
    auto m = rt.match("get", "/api/rooms");
    EXPECT_EQ(m.found, nullptr);
    EXPECT_TRUE(m.method_not_allowed);
}

TEST(router, trailing_slash_is_not_the_same_path)
{
    // "/api/rooms/" splits into ["api", "rooms", ""]: the list route has two segments and the
    // {room} parameter refuses an empty value, so the path is a 404 (not a redirect, not a 405).
    router rt;
    rt.add("GET", "/api/rooms", named("list"));
    rt.add("GET", "/api/rooms/{room}", named("show"));
    auto m = rt.match("GET", "/api/rooms/");
    EXPECT_EQ(m.found, nullptr);
    EXPECT_FALSE(m.method_not_allowed);
    EXPECT_TRUE(m.allowed.empty());
    EXPECT_EQ(call(rt.match("GET", "/api/rooms")), "list");
}

TEST(router, pattern_with_trailing_slash_matches_only_trailing_slash)
{
    router rt;
    rt.add("GET", "/api/rooms/", named("slash"));
    EXPECT_EQ(call(rt.match("GET", "/api/rooms/")), "slash");
    EXPECT_EQ(rt.match("GET", "/api/rooms").found, nullptr);
}

TEST(router, empty_segment_in_the_middle_is_not_a_parameter_value)
{
    router rt;
    rt.add("GET", "/api/rooms/{room}/tracks", named("tracks"));
    auto m = rt.match("GET", "/api/rooms//tracks");
    EXPECT_EQ(m.found, nullptr);
    EXPECT_FALSE(m.method_not_allowed);
}

TEST(router, double_slash_does_not_collapse_into_literal_path)
{
    router rt;
    rt.add("GET", "/api/rooms", named("list"));
    EXPECT_EQ(rt.match("GET", "//api/rooms").found, nullptr);
    EXPECT_EQ(rt.match("GET", "/api//rooms").found, nullptr);
}

TEST(router, root_pattern_matches_root_only)
{
    router rt;
    rt.add("GET", "/", named("root"));
    EXPECT_EQ(call(rt.match("GET", "/")), "root");
    EXPECT_EQ(rt.match("GET", "/x").found, nullptr);
}

TEST(router, pattern_must_start_with_slash)
{
    router rt;
    EXPECT_THROW(rt.add("GET", "api/rooms", named("x")), std::invalid_argument);
    EXPECT_THROW(rt.add("GET", "", named("x")), std::invalid_argument);
    EXPECT_THROW(rt.add("GET", "{room}", named("x")), std::invalid_argument);
    EXPECT_TRUE(rt.routes().empty());
}

TEST(router, routes_keeps_registration_order_and_options)
{
    router rt;
    rt.add("GET", "/api/time", named("time"), {.auth = auth_mode::none, .where = run_on::io, .summary = "clock"});
    rt.add("POST", "/api/rooms", named("create"));
    ASSERT_EQ(rt.routes().size(), 2u);
    EXPECT_EQ(rt.routes()[0].pattern, "/api/time");
    EXPECT_EQ(rt.routes()[0].options.auth, auth_mode::none);
    EXPECT_EQ(rt.routes()[0].options.where, run_on::io);
    EXPECT_EQ(rt.routes()[0].options.summary, "clock");
    EXPECT_EQ(rt.routes()[1].method, "POST");
    EXPECT_EQ(rt.routes()[1].options.auth, auth_mode::required);  // the default
    EXPECT_EQ(rt.routes()[1].options.where, run_on::pool);
    EXPECT_EQ(rt.routes()[1].segments, (std::vector<std::string>{"api", "rooms"}));
}

TEST(router, match_on_empty_router_is_404)
{
    router rt;
    auto m = rt.match("GET", "/api");
    EXPECT_EQ(m.found, nullptr);
    EXPECT_FALSE(m.method_not_allowed);
    EXPECT_TRUE(m.allowed.empty());
}

// The path is percent-decoded client bytes: "GET /%FF" once answered a 404 whose body was not
// valid JSON. Reproducer for the api_request fuzz target: tests/fuzz/crashes/api_request/path-invalid-utf8.
TEST(router, unrouted_replies_are_json_whatever_the_path)
{
    router r;
    r.add("GET", "/api/rooms/{room}", named("show"));
    request req;
    req.method = "GET";
    req.path = "/api/\xFF\xFE";
    auto rep = unrouted(req, r.match(req.method, req.path));
    EXPECT_EQ(rep.status, 404);
    boost::system::error_code ec;
    auto body = boost::json::parse(rep.body, ec);
    ASSERT_FALSE(ec) << rep.body;
    EXPECT_EQ(body.at("path"), "/api/\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(body.at("error"), "Endpoint not found");

    req.method = "DELETE";
    req.path = "/api/rooms/\xC3";
    rep = unrouted(req, r.match(req.method, req.path));
    EXPECT_EQ(rep.status, 405);
    EXPECT_FALSE(rep.get("Allow").empty());
    body = boost::json::parse(rep.body, ec);
    ASSERT_FALSE(ec) << rep.body;
    EXPECT_EQ(std::string(body.at("message").as_string()),
              "The DELETE method is not supported for route /api/rooms/\xEF\xBF\xBD. Supported methods: " +
                  std::string(rep.get("Allow")) + ".");
}

}  // namespace
}  // namespace spotik::http
