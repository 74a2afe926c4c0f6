// Integration tests of /api/auth/* against the real binary (CONTRACT §4): shapes, status
// codes, validation, token tampering, expiry, refresh window, logout revocation.
#include "auth/jwt.hpp"
#include "support/server_process.hpp"
#include "support/test_util.hpp"
#include "util/clock.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <thread>

namespace spotik::test {
namespace {

namespace json = boost::json;

json::object reg_body(const std::string& username, const std::string& email, const std::string& password)
{
    return {{"username", username}, {"email", email}, {"password", password}, {"password_confirmation", password}};
}

void expect_family_a(const http_response& r, int status, const std::string& message)
{
    EXPECT_EQ(r.status, status) << r.body;
    auto v = r.json().as_object();
    EXPECT_EQ(v.at("success"), false);
    EXPECT_EQ(v.at("message"), message.c_str()) << r.body;
    EXPECT_TRUE(v.at("error").is_string());
}

class auth_api : public ::testing::Test {
protected:
    server_process server_;
    http_client client_ = server_.client();
};

TEST_F(auth_api, register_returns_the_contract_shape)
{
    auto name = unique_name("alice");
    auto r = client_.post_json("/api/auth/register", reg_body(name, "  " + name + "@Example.COM ", "secret123"));
    ASSERT_EQ(r.status, 201) << r.body;
    auto body = r.json().as_object();
    EXPECT_EQ(body.at("success"), true);
    EXPECT_EQ(body.at("message"), "User registered successfully");
    auto data = body.at("data").as_object();
    auto user = data.at("user").as_object();
    EXPECT_EQ(user.at("username"), name.c_str());
    EXPECT_EQ(user.at("email"), (name + "@example.com").c_str());  // trimmed and lower-cased
    EXPECT_EQ(user.at("id").as_string().size(), 36u);
    EXPECT_EQ(user.at("created_at").as_string().size(), 24u);
    EXPECT_FALSE(user.contains("password_hash"));
    EXPECT_EQ(data.at("token_type"), "bearer");
    EXPECT_EQ(data.at("expires_in"), 3600);
    EXPECT_FALSE(data.at("token").as_string().empty());
    EXPECT_EQ(r.body.find("$2"), std::string::npos) << "no hash in the response";
}

TEST_F(auth_api, register_validation_errors_are_422_with_errors)
{
    auto r = client_.post_json("/api/auth/register", json::object{});
    ASSERT_EQ(r.status, 422) << r.body;
    auto body = r.json().as_object();
    EXPECT_EQ(body.at("success"), false);
    EXPECT_EQ(body.at("message"), "Validation failed");
    auto errors = body.at("errors").as_object();
    EXPECT_EQ(errors.at("username").as_array()[0], "The username field is required.");
    EXPECT_EQ(errors.at("email").as_array()[0], "The email field is required.");
    EXPECT_EQ(errors.at("password").as_array()[0], "The password field is required.");

    r = client_.post_json("/api/auth/register", reg_body("bob", "not-an-email", "short"));
    ASSERT_EQ(r.status, 422);
    errors = r.json().at("errors").as_object();
    EXPECT_EQ(errors.at("email").as_array()[0], "The email field must be a valid email address.");
    EXPECT_EQ(errors.at("password").as_array()[0], "The password field must be at least 8 characters.");

    auto b = reg_body(unique_name("carol"), unique_name("c") + "@x.io", "password1");
    b["password_confirmation"] = "password2";
    r = client_.post_json("/api/auth/register", b);
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(r.json().at("errors").at("password").as_array()[0], "The password field confirmation does not match.");

    r = client_.post_json("/api/auth/register", reg_body(std::string(10000, 'u'), "long@x.io", "password1"));
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(r.json().at("errors").at("username").as_array()[0],
              "The username field must not be greater than 50 characters.");

    r = client_.post_json("/api/auth/register", json::object{{"username", 42}, {"email", "a@b.c"}});
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(r.json().at("errors").at("username").as_array()[0], "The username field must be a string.");
}

TEST_F(auth_api, duplicates_are_rejected_case_insensitively)
{
    auto name = unique_name("dup");
    ASSERT_EQ(client_.post_json("/api/auth/register", reg_body(name, name + "@x.io", "password1")).status, 201);
    auto r = client_.post_json("/api/auth/register", reg_body(name, "other" + name + "@x.io", "password1"));
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(r.json().at("errors").at("username").as_array()[0], "The username has already been taken.");
    r = client_.post_json("/api/auth/register", reg_body(name + "2", name + "@X.IO", "password1"));
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(r.json().at("errors").at("email").as_array()[0], "The email has already been taken.");
}

TEST_F(auth_api, non_ascii_and_sql_metacharacters_round_trip)
{
    std::string name = "Zoë'; DROP TABLE users;--" + unique_name("x").substr(0, 8);
    auto r = client_.post_json("/api/auth/register", reg_body(name, unique_name("q") + "@ex.io", "pässwörd'\"--"));
    ASSERT_EQ(r.status, 201) << r.body;
    auto token = std::string(r.json().at("data").at("token").as_string());
    auto me = client_.get_auth("/api/auth/me", token);
    ASSERT_EQ(me.status, 200);
    EXPECT_EQ(me.json().at("data").at("user").at("username"), name.c_str());
    auto email = std::string(me.json().at("data").at("user").at("email").as_string());
    auto login = client_.post_json("/api/auth/login", json::object{{"email", email}, {"password", "pässwörd'\"--"}});
    EXPECT_EQ(login.status, 200) << login.body;
}

// The longest password registration allows (1 024 characters, here 2 048 bytes) is a password
// like any other: it used to be a 500 from 512 bytes on.
TEST_F(auth_api, the_longest_allowed_password_registers_and_logs_in)
{
    std::string password;
    for (int i = 0; i < 1024; ++i) password += "é";
    auto email = unique_name("long") + "@ex.io";
    auto r = client_.post_json("/api/auth/register", reg_body(unique_name("long").substr(0, 20), email, password));
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(client_.post_json("/api/auth/login", json::object{{"email", email}, {"password", password}}).status, 200);
    auto wrong = password.substr(0, 70) + "e";  // the 36th character differs
    EXPECT_EQ(client_.post_json("/api/auth/login", json::object{{"email", email}, {"password", wrong}}).status, 401);
}

TEST_F(auth_api, login_me_and_the_same_401_for_unknown_email_and_wrong_password)
{
    auto u = register_user(client_);
    auto ok =
        client_.post_json("/api/auth/login", json::object{{"email", " " + u.email + " "}, {"password", u.password}});
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.json().at("message"), "Login successful");
    EXPECT_EQ(ok.json().at("data").at("user").at("id"), u.id.c_str());

    auto wrong = client_.post_json("/api/auth/login", json::object{{"email", u.email}, {"password", "nope-nope"}});
    auto unknown =
        client_.post_json("/api/auth/login", json::object{{"email", "ghost@x.io"}, {"password", "nope-nope"}});
    expect_family_a(wrong, 401, "Invalid credentials");
    EXPECT_EQ(wrong.body, unknown.body);
    EXPECT_EQ(client_.post_json("/api/auth/login", json::object{}).status, 422);

    auto me = client_.get_auth("/api/auth/me", u.token);
    ASSERT_EQ(me.status, 200);
    EXPECT_EQ(me.json().at("message"), "User retrieved successfully");
    EXPECT_TRUE(me.json().at("data").at("user").as_object().contains("updated_at"));
}

TEST_F(auth_api, missing_invalid_and_tampered_tokens_get_401)
{
    auto u = register_user(client_);
    expect_family_a(client_.get("/api/auth/me"), 401, "Token not provided");
    expect_family_a(client_.get_auth("/api/auth/me", "garbage"), 401, "Token is invalid");
    std::string tampered = u.token;
    tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
    expect_family_a(client_.get_auth("/api/auth/me", tampered), 401, "Token is invalid");
    // alg "none" with the original payload.
    auto dot = u.token.find('.');
    std::string none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0" + u.token.substr(dot, u.token.rfind('.') - dot) + ".";
    expect_family_a(client_.get_auth("/api/auth/me", none), 401, "Token is invalid");
    // The ?token= fallback works too.
    EXPECT_EQ(client_.get("/api/auth/me?token=" + u.token).status, 200);
}

TEST_F(auth_api, logout_revokes_the_token_and_always_answers_200)
{
    auto u = register_user(client_);
    auto out = client_.post_json("/api/auth/logout", json::object{}, u.token);
    ASSERT_EQ(out.status, 200);
    EXPECT_EQ(out.json().at("message"), "Successfully logged out");
    expect_family_a(client_.get_auth("/api/auth/me", u.token), 401, "Token has been revoked");
    EXPECT_EQ(client_.post_json("/api/auth/refresh", json::object{}, u.token).status, 401);
    EXPECT_EQ(client_.post_json("/api/auth/logout", json::object{}).status, 200);
    EXPECT_EQ(client_.post_json("/api/auth/logout", json::object{}, "garbage").status, 200);
}

TEST_F(auth_api, refresh_issues_a_new_token)
{
    auto u = register_user(client_);
    auto r = client_.post_json("/api/auth/refresh", json::object{}, u.token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json().at("message"), "Token refreshed successfully");
    auto fresh = std::string(r.json().at("data").at("token").as_string());
    EXPECT_NE(fresh, u.token);
    EXPECT_EQ(r.json().at("data").at("expires_in"), 3600);
    EXPECT_EQ(client_.get_auth("/api/auth/me", fresh).status, 200);
    // The old token keeps a grace period for in-flight requests and streams.
    EXPECT_EQ(client_.get_auth("/api/auth/me", u.token).status, 200);
    expect_family_a(client_.post_json("/api/auth/refresh", json::object{}), 401, "Token not provided");
    expect_family_a(client_.post_json("/api/auth/refresh", json::object{}, "x.y.z"), 401, "Token is invalid");
}

// CONTRACT §0.6: the old backends also read `token` from a JSON or form body.
TEST_F(auth_api, refresh_and_logout_take_the_token_from_the_body_too)
{
    auto u = register_user(client_);
    auto r = client_.post_json("/api/auth/refresh", json::object{{"token", u.token}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto fresh = std::string(r.json().at("data").at("token").as_string());
    auto out = client_.post_body("/api/auth/logout", "token=" + fresh, "application/x-www-form-urlencoded");
    ASSERT_EQ(out.status, 200) << out.body;
    expect_family_a(client_.get_auth("/api/auth/me", fresh), 401, "Token has been revoked");
}

// Tokens from the past are signed here with the server's own secret, so expiry and the
// refresh window are checked without waiting.
std::string token_at(const server_process& server, const std::string& user_id, std::int64_t iat_s, std::int64_t now_s,
                     std::int64_t ttl_s)
{
    util::manual_clock clk{now_s * 1000};
    auth::jwt_codec codec{server.env("JWT_SECRET"), "spotik", clk};
    auth::jwt_claims c{.sub = user_id, .jti = auth::new_jti(), .iat = iat_s, .nbf = now_s, .exp = now_s + ttl_s};
    return codec.sign(c);
}

TEST(auth_expiry, expired_tokens_are_refused_but_refreshable_within_the_window)
{
    server_process server{{.env = {{"JWT_TTL", "60"}, {"JWT_REFRESH_TTL", "120"}}}};
    auto client = server.client();
    auto u = register_user(client);
    std::int64_t now = util::system_clock{}.now_s();
    // Issued 90 minutes ago: expired, still inside the 120-minute refresh window.
    auto old_token = token_at(server, u.id, now - 5400, now - 5400, 3600);
    expect_family_a(client.get_auth("/api/auth/me", old_token), 401, "Token has expired");
    auto r = client.post_json("/api/auth/refresh", json::object{}, old_token);
    ASSERT_EQ(r.status, 200) << r.body;
    auto fresh = std::string(r.json().at("data").at("token").as_string());
    EXPECT_EQ(client.get_auth("/api/auth/me", fresh).status, 200);
    // Issued 3 hours ago: past the refresh window.
    auto ancient = token_at(server, u.id, now - 10800, now - 10800, 3600);
    expect_family_a(client.post_json("/api/auth/refresh", json::object{}, ancient), 401,
                    "Token has expired and cannot be refreshed");
    // Not yet valid.
    auto future = token_at(server, u.id, now + 600, now + 600, 3600);
    expect_family_a(client.get_auth("/api/auth/me", future), 401, "Token is invalid");
    // A token for a user that does not exist.
    auto orphan = token_at(server, "00000000-0000-4000-8000-000000000000", now, now, 3600);
    expect_family_a(client.get_auth("/api/auth/me", orphan), 404, "User not found");
}

TEST(auth_restart, users_and_tokens_survive_a_restart)
{
    server_process server;
    auto client = server.client();
    auto u = register_user(client);
    server.restart();
    auto again = server.client();
    EXPECT_EQ(again.get_auth("/api/auth/me", u.token).status, 200);
    auto login = again.post_json("/api/auth/login", json::object{{"email", u.email}, {"password", u.password}});
    EXPECT_EQ(login.status, 200) << login.body;
}

}  // namespace
}  // namespace spotik::test
