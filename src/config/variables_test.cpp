// Unit tests of the table of environment variables and what is rendered from it: every default
// parses back to itself, --help lists every variable, and the description for health checks
// hides secrets and paths.
#include "config/variables.hpp"
#include "config/load.hpp"

#include <gtest/gtest.h>

namespace spotik::config {
namespace {

TEST(config_variables, every_default_is_a_valid_value)
{
    for (const auto& v : variables()) {
        config c;
        const std::string text = v.get(config{});
        if (text.empty()) continue;
        EXPECT_EQ(v.set(c, text), std::nullopt) << v.name;
        EXPECT_EQ(v.get(c), text) << v.name;
    }
}

TEST(config_variables, help_lists_every_variable_with_its_default)
{
    const std::string help = help_text();
    EXPECT_TRUE(help.starts_with("Configuration comes from environment variables"));
    const char* required[] = {"APP_NAME",
                              "APP_ENV",
                              "APP_DEBUG",
                              "APP_URL",
                              "DATA_PATH",
                              "SERVER_HOST",
                              "SERVER_PORT",
                              "SERVER_THREADS",
                              "HTTP_HEADER_TIMEOUT",
                              "HTTP_BODY_TIMEOUT",
                              "HTTP_IDLE_TIMEOUT",
                              "HTTP_MAX_HEADER_BYTES",
                              "HTTP_MAX_BODY_BYTES",
                              "SHUTDOWN_TIMEOUT",
                              "CORS_ORIGINS",
                              "DB_DRIVER",
                              "DB_PATH",
                              "DB_POOL_MAX",
                              "DB_BUSY_TIMEOUT_MS",
                              "DB_CACHE_MB",
                              "DATABASE_URL",
                              "DB_HOST",
                              "DB_PORT",
                              "DB_NAME",
                              "DB_USER",
                              "DB_PASSWORD",
                              "DB_POOL_MIN",
                              "DB_POOL_TIMEOUT",
                              "DB_CONNECT_TIMEOUT",
                              "DB_READ_TIMEOUT",
                              "AUDIO_STORAGE_PATH",
                              "PUBLIC_STORAGE_PATH",
                              "TEMP_STORAGE_PATH",
                              "MAX_FILE_SIZE_MB",
                              "JWT_SECRET",
                              "JWT_TTL",
                              "JWT_REFRESH_TTL",
                              "JWT_LEEWAY",
                              "JWT_BLACKLIST_GRACE_PERIOD",
                              "BCRYPT_COST",
                              "LOG_LEVEL",
                              "LOG_FORMAT",
                              "LOG_FILE"};
    for (const char* name : required) EXPECT_NE(find_variable(name), nullptr) << name;
    for (const auto& v : variables()) {
        EXPECT_NE(help.find("  " + std::string(v.name) + " "), std::string::npos) << v.name;
        EXPECT_NE(help.find("default: " + default_text(v)), std::string::npos) << v.name;
        EXPECT_NE(help.find(v.description), std::string::npos) << v.name;
        EXPECT_EQ(find_variable(v.name), &v);
    }
    EXPECT_EQ(find_variable("NOPE"), nullptr);
}

TEST(config_variables, describe_hides_secrets_and_paths)
{
    config c;
    c.auth.jwt_secret = "Zq-very-secret-value";
    c.storage.audio_path = "/srv/spotik/audio";
    c.database.url = "postgres://u:Zq-db-password@h/d";
    c.database.password = "Zq-db-password";
    c.database.host = "/srv/spotik/pg-socket";
    const auto pairs = describe(c);
    ASSERT_EQ(pairs.size(), variables().size());
    const env_map shown(pairs.begin(), pairs.end());
    EXPECT_EQ(shown.at("JWT_SECRET"), "(set)");
    EXPECT_EQ(shown.at("AUDIO_STORAGE_PATH"), "(set)");
    EXPECT_EQ(shown.at("TEMP_STORAGE_PATH"), "(not set)");
    EXPECT_EQ(shown.at("SERVER_PORT"), "3000");
    EXPECT_EQ(shown.at("CORS_ORIGINS"), "*");
    EXPECT_EQ(shown.at("DATABASE_URL"), "(set)");
    EXPECT_EQ(shown.at("DB_PASSWORD"), "(set)");
    EXPECT_EQ(shown.at("DB_HOST"), "(set)");
    for (const auto& [name, value] : pairs) {
        EXPECT_EQ(value.find("Zq"), std::string::npos) << name;
        EXPECT_EQ(value.find("/srv/"), std::string::npos) << name;
    }
    EXPECT_EQ(describe(config{})[0].first, "APP_NAME");
    const auto defaults = describe(config{});
    EXPECT_EQ(env_map(defaults.begin(), defaults.end()).at("JWT_SECRET"), "(not set)");
    EXPECT_EQ(env_map(defaults.begin(), defaults.end()).at("DB_HOST"), "localhost");
}

// The text of SERVER_HOST once set, or the problem.
std::string server_host(std::string_view text)
{
    config c;
    if (auto problem = find_variable("SERVER_HOST")->set(c, text)) return "error: " + *problem;
    return c.server.host;
}

TEST(config_variables, server_host_is_an_ip_address_the_listener_can_bind)
{
    EXPECT_EQ(server_host("0.0.0.0"), "0.0.0.0");
    EXPECT_EQ(server_host("127.0.0.1"), "127.0.0.1");
    EXPECT_EQ(server_host("::"), "::");
    EXPECT_EQ(server_host("[::]"), "::");  // brackets as in a URL are accepted and dropped
    EXPECT_EQ(server_host("[::1]"), "::1");
    EXPECT_EQ(server_host("fd00::2"), "fd00::2");
    // A host name would pass here and fail only after the database was opened and migrated.
    for (std::string_view bad : {"localhost", "example.com", "", " ", "[]", "[127.0.0.1", "1.2.3.4:80", "256.0.0.1"}) {
        const auto shown = server_host(bad);
        EXPECT_TRUE(shown.starts_with("error: expected an IPv4 or IPv6 address")) << bad << ": " << shown;
        EXPECT_EQ(shown.find('\n'), std::string::npos) << shown;
    }
}

// An entry that no browser's Origin can equal would silently allow nothing: it is refused.
TEST(config_variables, cors_origins_are_only_what_an_origin_header_can_be)
{
    const auto* cors = find_variable("CORS_ORIGINS");
    for (std::string_view good : {"https://a.com", "http://localhost:8080", "https://a.com/", "http://[::1]:3000",
                                  "http://127.0.0.1:65535", "*", "https://a.com, http://b.org:1"}) {
        config c;
        EXPECT_EQ(cors->set(c, good), std::nullopt) << good;
    }
    for (std::string_view bad :
         {"https://*.a.com", "https://a.com?x", "https://a.com:99999", "https://a.com:0",
          "https://a.com:", "https://a.com:8o", "https://u@a.com", "https://a.com/app", "https://a.com#x",
          "http://[::1", "http://[]:80", "http://:80", "http://[::1]x", "https://a.com:+80"}) {
        config c;
        EXPECT_NE(cors->set(c, bad), std::nullopt) << bad;
    }
}

// The stored DATABASE_URL once set, or the problem.
std::string database_url(std::string_view text)
{
    config c;
    if (auto problem = find_variable("DATABASE_URL")->set(c, text)) return "error: " + *problem;
    return c.database.url;
}

TEST(config_variables, database_url_is_read_by_libpq_and_never_quoted)
{
    // libpq's parser quotes the whole URL, password included, in this complaint.
    const auto broken = database_url("postgres://sp:MyS3cretPw@[db/spotik");
    EXPECT_TRUE(broken.starts_with("error: libpq cannot read this URL")) << broken;
    EXPECT_EQ(broken.find("MyS3cretPw"), std::string::npos) << broken;
    EXPECT_NE(broken.find("\"]\""), std::string::npos) << "the reason stays: " << broken;
    for (std::string_view bad :
         {"postgres://sp:MyS3cretPw@db/spotik?MyS3cretPw", "postgres://sp:MyS3cretPw@db/spotik?sslmode=MyS3cretPw=x",
          "postgres://sp:MyS3cretPw%zz@db/spotik", "mysql://sp:MyS3cretPw@db/spotik", "sp:MyS3cretPw@db/spotik"}) {
        const auto shown = database_url(bad);
        EXPECT_TRUE(shown.starts_with("error: ")) << bad << " accepted";
        EXPECT_EQ(shown.find("MyS3cretPw"), std::string::npos) << shown;
    }
    // libpq reads only lower-case schemes; any other spelling would become a database name.
    EXPECT_EQ(database_url("Postgres://sp:pw@db:5432/spotik"), "postgres://sp:pw@db:5432/spotik");
    EXPECT_EQ(database_url("POSTGRESQL://sp:pw@db/Spotik"), "postgresql://sp:pw@db/Spotik");
    EXPECT_EQ(database_url("postgresql://[::1]:5432/spotik?sslmode=disable"),
              "postgresql://[::1]:5432/spotik?sslmode=disable");
    EXPECT_EQ(database_url(""), "");
}

}  // namespace
}  // namespace spotik::config
