// Unit tests of the configuration's secret checks: production refuses weak, blank and
// placeholder secrets and credentials, elsewhere they are warnings, and no message shows one.
#include "config/load_test_fixture.hpp"

#include <gtest/gtest.h>

namespace spotik::config {
namespace {

TEST_F(config_load, production_requires_a_strong_secret)
{
    const char* bad[] = {"",
                         "0123456789",
                         "changeme-changeme-changeme-changeme",
                         "your_jwt_secret_key_goes_here_xxxxx",
                         "a-PLACEHOLDER-value-that-is-long-enough",
                         "example-example-example-example-ex"};
    for (const char* secret : bad) {
        const auto result = load({{"APP_ENV", "production"}, {"JWT_SECRET", secret}});
        EXPECT_TRUE(mentions(result.errors, "JWT_SECRET:")) << "secret #" << std::string_view(secret).size();
    }
    const auto good = load({{"APP_ENV", "production"}, {"JWT_SECRET", k_strong_secret}});
    EXPECT_TRUE(good.ok()) << joined(good.errors);
}

TEST_F(config_load, production_refuses_secrets_that_are_blank_or_of_few_characters)
{
    // Long enough, no placeholder word, but guessable.
    const std::string weak[] = {std::string(40, ' '), std::string(32, 'x'), std::string(36, '\t'),
                                std::string(40, 'k') + "Q9", "abcabcabcabcabcabcabcabcabcabcabcabc"};
    for (const auto& secret : weak) {
        const auto result = load({{"APP_ENV", "production"}, {"JWT_SECRET", secret}});
        EXPECT_TRUE(mentions(result.errors, "JWT_SECRET:")) << "\"" << secret << "\"\n" << joined(result.errors);
        for (const auto& m : result.errors) EXPECT_EQ(m.find(secret), std::string::npos) << "error leaks the secret";
        // Outside production such a secret is still allowed (test suites use them).
        EXPECT_TRUE(load({{"APP_ENV", "development"}, {"JWT_SECRET", secret}}).ok()) << secret;
    }
    // Eight different characters are enough.
    EXPECT_TRUE(load({{"APP_ENV", "production"}, {"JWT_SECRET", "abcdefgh" + std::string(32, 'a')}}).ok());
    EXPECT_FALSE(load({{"APP_ENV", "production"}, {"JWT_SECRET", "abcdefg" + std::string(32, 'a')}}).ok());
}

TEST_F(config_load, production_refuses_placeholder_credentials_of_other_services)
{
    const std::string jwt = k_strong_secret;
    const std::pair<const char*, const char*> bad[] = {
        {"DATABASE_URL", "postgresql://spotik:CHANGE_ME_db_password@postgres:5432/spotik"},
        {"DB_PASSWORD", "change-me"},
        {"REDIS_URL", "redis://:ChangeMe-Zq@redis:6379/0"},
        {"REDIS_PASSWORD", "your_password_here"},
    };
    for (const auto& [name, value] : bad) {
        const auto from_env = load({{"APP_ENV", "production"}, {"JWT_SECRET", jwt}, {name, value}});
        EXPECT_TRUE(mentions(from_env.errors, std::string(name) + ":")) << name << "\n" << joined(from_env.errors);
        for (const auto& m : from_env.errors) EXPECT_EQ(m.find(value), std::string::npos) << "error leaks the value";
        const auto from_file = load({{"APP_ENV", "production"}, {"JWT_SECRET", jwt}}, {{name, value}});
        EXPECT_TRUE(mentions(from_file.errors, std::string(name) + ":")) << name;
        // Outside production the same template values are fine (development stacks use them).
        EXPECT_TRUE(load({{"APP_ENV", "development"}, {name, value}}).ok()) << name;
    }
    const auto real = load({{"APP_ENV", "production"},
                            {"JWT_SECRET", jwt},
                            {"DATABASE_URL", "postgresql://spotik:9f2c4e1a7b@postgres:5432/spotik"},
                            {"REDIS_URL", "redis://:b71e0c9d2a@redis:6379/0"}});
    EXPECT_TRUE(real.ok()) << joined(real.errors);
}

TEST_F(config_load, outside_production_a_short_secret_is_only_a_warning)
{
    const auto result = load({{"JWT_SECRET", "short"}});
    EXPECT_TRUE(result.ok()) << joined(result.errors);
    EXPECT_TRUE(mentions(result.warnings, "JWT_SECRET:"));
}

TEST_F(config_load, no_message_contains_the_secret)
{
    const std::string secrets[] = {"s3cr3t-Zq", "changeme-Zq-0123456789", "Zq\"unterminated"};
    for (const auto& secret : secrets) {
        for (const char* env : {"production", "development"}) {
            const auto result = load({{"APP_ENV", env}, {"JWT_SECRET", secret}});
            for (const auto& m : result.errors) EXPECT_EQ(m.find("Zq"), std::string::npos) << "error leaks secret";
            for (const auto& m : result.warnings) EXPECT_EQ(m.find("Zq"), std::string::npos) << "warning leaks";
            EXPECT_FALSE(result.errors.empty() && result.warnings.empty()) << env;
        }
        std::vector<std::string> errors;
        const std::string text =
            "JWT_SECRET=\"" + secret + "\n" + secret + "\n" + "JWT_SECRET='" + secret + "' " + secret;
        parse_dotenv(text, errors);
        EXPECT_EQ(errors.size(), 3u) << joined(errors);
        for (const auto& m : errors) EXPECT_EQ(m.find("Zq"), std::string::npos) << ".env error leaks secret";
    }
}

}  // namespace
}  // namespace spotik::config
