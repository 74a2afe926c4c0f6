// Unit tests for service/auth_service on a real SQLite store: a token verified once (a
// WebSocket's handshake token) is checked again from its subject, id and expiry alone, with the
// same outcomes as checking the token itself.
#include "service/auth_service.hpp"

#include "storage/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace spotik::service {
namespace {

namespace fs = std::filesystem;

class auth_service_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "spotik_auth_XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        store_ = std::make_unique<storage::sqlite_store>((dir_ / "spotik.db").string(), 5000);
        store_->migrate();
        settings_.bcrypt_cost = 4;
        auth_ = std::make_unique<auth_service>(*store_, codec_, settings_, clock_);
        auto reg = auth_->register_user("ada", "ada@example.com", "secret-password");
        ASSERT_TRUE(reg.session);
        token_ = reg.session->token;
        auto who = auth_->authenticate(token_);
        ASSERT_TRUE(who);
        claims_ = who->claims;
    }
    void TearDown() override
    {
        auth_.reset();
        store_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    auto again() { return auth_->authenticate_verified(claims_.sub, claims_.jti, claims_.exp); }

    fs::path dir_;
    util::manual_clock clock_;
    auth::jwt_codec codec_{"a-secret-long-enough-for-the-tests-0123", "spotik", clock_};
    config::auth_settings settings_;
    std::unique_ptr<storage::sqlite_store> store_;
    std::unique_ptr<auth_service> auth_;
    std::string token_;
    auth::jwt_claims claims_;
};

TEST_F(auth_service_test, a_verified_token_names_its_user_while_the_token_is_good)
{
    auto who = again();
    ASSERT_TRUE(who);
    EXPECT_EQ(who->user.id, claims_.sub);
    EXPECT_EQ(who->user.username, "ada");
    EXPECT_EQ(who->claims.jti, claims_.jti);
    EXPECT_EQ(who->claims.exp, claims_.exp);
}

TEST_F(auth_service_test, a_verified_token_ends_at_its_expiry_like_the_token)
{
    clock_.set(claims_.exp * 1000 - 1);
    EXPECT_TRUE(again());
    clock_.set(claims_.exp * 1000);
    ASSERT_FALSE(again());
    EXPECT_EQ(again().error(), auth_failure::expired);
    EXPECT_EQ(auth_->authenticate(token_).error(), auth_failure::expired);
}

TEST_F(auth_service_test, a_verified_token_ends_when_the_token_is_revoked)
{
    auth_->logout(token_);
    ASSERT_FALSE(again());
    EXPECT_EQ(again().error(), auth_failure::revoked);
    EXPECT_EQ(auth_->authenticate(token_).error(), auth_failure::revoked);
}

TEST_F(auth_service_test, a_verified_token_of_an_unknown_user_is_refused)
{
    auto who = auth_->authenticate_verified("00000000-0000-4000-8000-000000000000", claims_.jti, claims_.exp);
    ASSERT_FALSE(who);
    EXPECT_EQ(who.error(), auth_failure::user_missing);
}

}  // namespace
}  // namespace spotik::service
