// Unit tests for http/middleware: which client X-Request-ID values are kept and the format of
// generated ones (CONTRACT §0.8), CORS origin echoing, Vary and preflight headers (§0.7), and
// the five security headers (§0.8).
#include "http/middleware.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

namespace spotik::http {
namespace {

constexpr std::int64_t k_now_s = 1'737'000'000;
const std::regex k_generated_id("req_[0-9]+_[0-9a-f]{16}");

request with_origin(std::string origin, std::string method = "GET")
{
    request req;
    req.method = std::move(method);
    req.path = "/api/rooms";
    if (!origin.empty()) req.headers.emplace_back("origin", std::move(origin));
    return req;
}

bool is_generated(const std::string& id) { return std::regex_match(id, k_generated_id); }

TEST(choose_request_id, keeps_sane_client_ids)
{
    for (const char* id : {"abc", "req_1737000000_0123456789abcdef", "A-b.c_d:e", "x", "0"}) {
        EXPECT_EQ(choose_request_id(id, k_now_s), id) << id;
    }
}

TEST(choose_request_id, keeps_an_id_of_exactly_128_characters)
{
    std::string id(128, 'a');
    EXPECT_EQ(choose_request_id(id, k_now_s), id);
}

TEST(choose_request_id, replaces_an_id_of_129_characters)
{
    std::string id(129, 'a');
    std::string out = choose_request_id(id, k_now_s);
    EXPECT_NE(out, id);
    EXPECT_TRUE(is_generated(out)) << out;
}

TEST(choose_request_id, replaces_empty)
{
    std::string out = choose_request_id("", k_now_s);
    EXPECT_TRUE(is_generated(out)) << out;
}

TEST(choose_request_id, replaces_spaces_control_and_non_ascii)
{
    const std::vector<std::string> bad{
        "has space", " lead", "trail ", "tab\there", "new\nline", "cr\rlf", std::string("nul\0x", 5),
        "del\x7f", "caf\xc3\xa9", "\xff", "semi;colon", "slash/", "quote\"", "<script>", "a,b", "a=b"};
    for (const auto& id : bad) {
        std::string out = choose_request_id(id, k_now_s);
        EXPECT_NE(out, id);
        EXPECT_TRUE(is_generated(out)) << out;
    }
}

TEST(choose_request_id, generated_format_uses_given_seconds_and_16_hex)
{
    std::string out = choose_request_id("", k_now_s);
    ASSERT_TRUE(is_generated(out)) << out;
    EXPECT_EQ(out.rfind("req_1737000000_", 0), 0u) << out;
    EXPECT_EQ(out.size(), std::string("req_1737000000_").size() + 16);
}

TEST(choose_request_id, generated_ids_differ)
{
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) seen.insert(choose_request_id("", k_now_s));
    EXPECT_EQ(seen.size(), 200u);
}

TEST(cors_policy, star_echoes_the_origin)
{
    cors_policy cors({"*"});
    EXPECT_EQ(cors.allow_origin("http://localhost:3000"), "http://localhost:3000");
    EXPECT_EQ(cors.allow_origin("https://example.org"), "https://example.org");
}

TEST(cors_policy, star_without_origin_is_star)
{
    cors_policy cors({"*"});
    EXPECT_EQ(cors.allow_origin(""), "*");
    reply r;
    cors.decorate(with_origin(""), r);
    EXPECT_EQ(r.get("Access-Control-Allow-Origin"), "*");
    EXPECT_EQ(r.get("Vary"), "");  // nothing varies when the answer is always "*"
}

TEST(cors_policy, star_with_origin_decorates_and_sets_vary)
{
    cors_policy cors({"*"});
    reply r;
    cors.decorate(with_origin("http://localhost:3000"), r);
    EXPECT_EQ(r.get("Access-Control-Allow-Origin"), "http://localhost:3000");
    EXPECT_EQ(r.get("Vary"), "Origin");
    std::string expose(r.get("Access-Control-Expose-Headers"));
    EXPECT_NE(expose.find("X-Request-ID"), std::string::npos);
    EXPECT_NE(expose.find("Content-Range"), std::string::npos);
}

TEST(cors_policy, list_echoes_only_listed_origins)
{
    cors_policy cors({"http://localhost:3000", "http://127.0.0.1:8080"});
    EXPECT_EQ(cors.allow_origin("http://localhost:3000"), "http://localhost:3000");
    EXPECT_EQ(cors.allow_origin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    EXPECT_EQ(cors.allow_origin("http://evil.example"), "");
    EXPECT_EQ(cors.allow_origin("http://localhost:3001"), "");
    EXPECT_EQ(cors.allow_origin("HTTP://LOCALHOST:3000"), "");  // exact comparison
    EXPECT_EQ(cors.allow_origin(""), "");
    EXPECT_EQ(cors.allow_origin("*"), "");
}

TEST(cors_policy, list_decorates_listed_origin_with_vary)
{
    cors_policy cors({"http://localhost:3000"});
    reply r;
    cors.decorate(with_origin("http://localhost:3000"), r);
    EXPECT_EQ(r.get("Access-Control-Allow-Origin"), "http://localhost:3000");
    EXPECT_EQ(r.get("Vary"), "Origin");
}

TEST(cors_policy, list_leaves_unlisted_origin_undecorated)
{
    cors_policy cors({"http://localhost:3000"});
    for (const char* origin : {"http://evil.example", ""}) {
        reply r;
        cors.decorate(with_origin(origin), r);
        EXPECT_EQ(r.get("Access-Control-Allow-Origin"), "") << origin;
        EXPECT_EQ(r.get("Access-Control-Expose-Headers"), "") << origin;
        EXPECT_TRUE(r.headers.empty()) << origin;
    }
}

TEST(cors_policy, empty_entries_are_ignored_and_star_in_a_list_allows_all)
{
    cors_policy none({"", ""});
    EXPECT_EQ(none.allow_origin("http://a"), "");
    cors_policy mixed({"http://a", "*"});
    EXPECT_EQ(mixed.allow_origin("http://b"), "http://b");
}

TEST(cors_policy, preflight_headers)
{
    cors_policy cors({"*"});
    reply r = cors.preflight(with_origin("http://localhost:3000", "OPTIONS"), {"GET", "HEAD"});
    EXPECT_TRUE(r.status == 204 || r.status == 200) << r.status;
    EXPECT_EQ(r.get("Access-Control-Allow-Origin"), "http://localhost:3000");
    EXPECT_EQ(r.get("Access-Control-Allow-Methods"), "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    std::string allow_headers(r.get("Access-Control-Allow-Headers"));
    for (const char* h : {"Authorization", "Content-Type", "Accept", "Cache-Control", "X-Requested-With", "Range"})
        EXPECT_NE(allow_headers.find(h), std::string::npos) << h;
    EXPECT_EQ(r.get("Access-Control-Max-Age"), "86400");
    EXPECT_EQ(r.get("Allow"), "GET, HEAD, OPTIONS");
    EXPECT_TRUE(r.body.empty());
}

TEST(cors_policy, preflight_for_unknown_path_has_no_allow_header)
{
    cors_policy cors({"*"});
    reply r = cors.preflight(with_origin("http://localhost:3000", "OPTIONS"), {});
    EXPECT_EQ(r.get("Allow"), "");
    EXPECT_EQ(r.get("Access-Control-Max-Age"), "86400");
}

TEST(cors_policy, preflight_from_unlisted_origin_has_no_allow_origin)
{
    cors_policy cors({"http://localhost:3000"});
    reply r = cors.preflight(with_origin("http://evil.example", "OPTIONS"), {"GET"});
    EXPECT_EQ(r.get("Access-Control-Allow-Origin"), "");
    EXPECT_EQ(r.get("Vary"), "");
}

TEST(security_headers, sets_the_five_headers)
{
    reply r;
    add_security_headers(r);
    EXPECT_EQ(r.get("X-Frame-Options"), "DENY");
    EXPECT_EQ(r.get("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r.get("X-XSS-Protection"), "1; mode=block");
    EXPECT_EQ(r.get("Referrer-Policy"), "strict-origin-when-cross-origin");
    EXPECT_EQ(r.get("Content-Security-Policy"),
              "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'");
    EXPECT_EQ(r.headers.size(), 5u);
}

TEST(security_headers, applying_twice_does_not_duplicate)
{
    reply r;
    r.set("x-frame-options", "SAMEORIGIN");
    add_security_headers(r);
    add_security_headers(r);
    EXPECT_EQ(r.headers.size(), 5u);
    EXPECT_EQ(r.get("X-Frame-Options"), "DENY");
}

}  // namespace
}  // namespace spotik::http
