// Unit tests of configuration loading: defaults, precedence, every validation error but the
// secrets' (load_secrets_test.cpp). Each test works in its own temporary directory.
#include "config/load_test_fixture.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace spotik::config {
namespace {

namespace fs = std::filesystem;

TEST_F(config_load, defaults_load_without_errors_or_warnings)
{
    const auto result = load({});
    EXPECT_TRUE(result.ok()) << joined(result.errors);
    EXPECT_TRUE(result.warnings.empty()) << joined(result.warnings);
    const config& c = result.cfg;
    EXPECT_EQ(c.app.name, "Spotik");
    EXPECT_EQ(c.app.env, "development");
    EXPECT_FALSE(c.app.debug);
    EXPECT_EQ(c.server.host, "0.0.0.0");
    EXPECT_EQ(c.server.port, 3000);
    EXPECT_EQ(c.server.threads, 0);
    EXPECT_EQ(c.server.cors_origins, std::vector<std::string>{"*"});
    EXPECT_EQ(c.database.driver, "sqlite");
    EXPECT_EQ(c.database.pool_max, 8);
    EXPECT_EQ(c.storage.max_file_size_mb, 50);
    EXPECT_EQ(c.auth.jwt_ttl_min, 60);
    EXPECT_EQ(c.auth.jwt_refresh_ttl_min, 20160);
    EXPECT_EQ(c.auth.bcrypt_cost, 12);
    EXPECT_EQ(c.log.level, "info");
    EXPECT_EQ(c.log.format, "json");
    EXPECT_EQ(c.log.file, "");
}

TEST_F(config_load, derived_paths_sit_under_data_path_and_are_created)
{
    const auto result = load({});
    ASSERT_TRUE(result.ok()) << joined(result.errors);
    EXPECT_EQ(result.cfg.database.sqlite_path, dir_ + "/spotik.db");
    EXPECT_EQ(result.cfg.storage.audio_path, dir_ + "/storage/audio");
    EXPECT_EQ(result.cfg.storage.public_path, dir_ + "/storage/public");
    EXPECT_EQ(result.cfg.storage.temp_path, dir_ + "/storage/temp");
    EXPECT_TRUE(fs::is_directory(dir_ + "/storage/audio"));
    EXPECT_TRUE(fs::is_directory(dir_ + "/storage/temp"));
}

TEST_F(config_load, explicit_paths_are_kept)
{
    const auto result = load({{"DB_PATH", dir_ + "/db/x.db"}, {"AUDIO_STORAGE_PATH", dir_ + "/a"}});
    ASSERT_TRUE(result.ok()) << joined(result.errors);
    EXPECT_EQ(result.cfg.database.sqlite_path, dir_ + "/db/x.db");
    EXPECT_EQ(result.cfg.storage.audio_path, dir_ + "/a");
    EXPECT_EQ(result.cfg.storage.public_path, dir_ + "/storage/public");
    EXPECT_TRUE(fs::is_directory(dir_ + "/db"));
}

TEST_F(config_load, environment_wins_over_dotenv_and_unknown_names_are_ignored)
{
    const auto result = load({{"SERVER_PORT", "4000"}, {"SOME_OTHER_TOOL", "x"}},
                             {{"SERVER_PORT", "5000"}, {"LOG_LEVEL", "DEBUG"}, {"UNKNOWN", "?"}});
    ASSERT_TRUE(result.ok()) << joined(result.errors);
    EXPECT_EQ(result.cfg.server.port, 4000);
    EXPECT_EQ(result.cfg.log.level, "debug");
}

TEST_F(config_load, rate_limits_are_on_except_in_test_environments_unless_asked_for)
{
    EXPECT_TRUE(load({}).cfg.limits.enabled);
    EXPECT_TRUE(load({{"APP_ENV", "production"}, {"JWT_SECRET", k_strong_secret}}).cfg.limits.enabled);
    EXPECT_FALSE(load({{"APP_ENV", "test"}}).cfg.limits.enabled);
    EXPECT_TRUE(load({{"APP_ENV", "test"}}, {{"RATE_LIMITING_ENABLED", "true"}}).cfg.limits.enabled);
    EXPECT_FALSE(load({{"RATE_LIMITING_ENABLED", "off"}}).cfg.limits.enabled);
    const auto set = load({{"MAX_REQUESTS_PER_HOUR", "50"}, {"RATE_LIMIT_BURST", "7"}, {"LOGIN_MAX_ATTEMPTS", "3"}});
    ASSERT_TRUE(set.ok()) << joined(set.errors);
    EXPECT_EQ(set.cfg.limits.requests_per_window, 50);
    EXPECT_EQ(set.cfg.limits.burst, 7);
    EXPECT_EQ(set.cfg.limits.login_max_attempts, 3);
}

TEST_F(config_load, port_zero_and_limits_are_accepted)
{
    for (const char* port : {"0", "1", "65535", "08080"}) {
        const auto result = load({{"SERVER_PORT", port}});
        EXPECT_TRUE(result.ok()) << port << ": " << joined(result.errors);
    }
    EXPECT_EQ(load({{"SERVER_PORT", "0"}}).cfg.server.port, 0);
}

TEST_F(config_load, every_bad_value_is_an_error_naming_its_variable)
{
    const std::pair<const char*, const char*> cases[] = {
        {"SERVER_PORT", "abc"},
        {"SERVER_PORT", "3000abc"},
        {"SERVER_PORT", "70000"},
        {"SERVER_PORT", ""},
        {"SERVER_PORT", " "},
        {"SERVER_PORT", " 3000"},
        {"SERVER_PORT", "-1"},
        {"SERVER_PORT", "+80"},
        {"SERVER_PORT", "99999999999999999999999"},
        {"SERVER_THREADS", "-1"},
        {"SERVER_THREADS", "257"},
        {"HTTP_HEADER_TIMEOUT", "0"},
        {"HTTP_MAX_BODY_BYTES", "1e6"},
        {"APP_DEBUG", "maybe"},
        {"APP_DEBUG", ""},
        {"APP_ENV", "staging"},
        {"APP_URL", "localhost:3000"},
        {"APP_NAME", ""},
        {"SERVER_HOST", " "},
        {"DATA_PATH", ""},
        {"LOG_LEVEL", "verbose"},
        {"LOG_FORMAT", "xml"},
        {"DB_DRIVER", "mysql"},
        {"DB_POOL_MAX", "0"},
        {"DB_POOL_MAX", "257"},
        {"DB_POOL_MIN", "9"},
        {"DB_PORT", "0"},
        {"DB_HOST", ""},
        {"DB_NAME", " "},
        {"DB_USER", ""},
        {"DB_POOL_TIMEOUT", "0"},
        {"DB_CONNECT_TIMEOUT", "x"},
        {"DB_READ_TIMEOUT", "0"},
        {"DATABASE_URL", "mysql://u:p@h/db"},
        {"MAX_FILE_SIZE_MB", "0"},
        {"MAX_FILE_SIZE_MB", "2049"},
        {"JWT_TTL", "5"},
        {"JWT_LEEWAY", "31"},
        {"JWT_BLACKLIST_GRACE_PERIOD", "3601"},
        {"BCRYPT_COST", "3"},
        {"BCRYPT_COST", "32"},
        {"CORS_ORIGINS", "localhost:8080"},
        {"CORS_ORIGINS", "http://a.com/app"},
    };
    for (const auto& [name, value] : cases) {
        const auto result = load({{name, value}});
        EXPECT_EQ(result.errors.size(), 1u) << name << "=" << value << "\n" << joined(result.errors);
        EXPECT_TRUE(mentions(result.errors, std::string(name) + ":")) << name << "=\"" << value << "\"";
    }
}

TEST_F(config_load, postgres_is_chosen_by_driver_or_by_url)
{
    auto result = load({{"DB_DRIVER", "Postgres"},
                        {"DB_HOST", "db"},
                        {"DB_PORT", "6543"},
                        {"DB_DATABASE", "app"},
                        {"DB_USERNAME", "app_user"},
                        {"DB_PASSWORD", "pw"},
                        {"DB_POOL_MIN", "1"},
                        {"DB_POOL_MAX", "4"},
                        {"DB_POOL_TIMEOUT", "2"}});
    ASSERT_TRUE(result.ok()) << joined(result.errors);
    const auto& db = result.cfg.database;
    EXPECT_EQ(db.driver, "postgres");
    EXPECT_EQ(db.host, "db");
    EXPECT_EQ(db.port, 6543);
    EXPECT_EQ(db.name, "app");
    EXPECT_EQ(db.user, "app_user");
    EXPECT_EQ(db.password, "pw");
    EXPECT_EQ(db.pool_min, 1);
    EXPECT_EQ(db.pool_max, 4);
    EXPECT_EQ(db.pool_timeout_s, 2);
    // No SQLite file directory is made for a PostgreSQL configuration.
    EXPECT_FALSE(fs::exists(dir_ + "/db"));

    result = load({{"DATABASE_URL", "postgresql://u:secret-pw@h:5/d"}});
    ASSERT_TRUE(result.ok()) << joined(result.errors);
    EXPECT_EQ(result.cfg.database.driver, "postgres");
    EXPECT_EQ(result.cfg.database.url, "postgresql://u:secret-pw@h:5/d");
    EXPECT_TRUE(load({{"DATABASE_URL", "postgres://h/d"}, {"DB_DRIVER", "postgres"}}).ok());
    EXPECT_EQ(load({{"DB_DRIVER", "sqlite"}}).cfg.database.driver, "sqlite");
}

TEST_F(config_load, contradictory_database_settings_are_errors)
{
    auto result = load({{"DATABASE_URL", "postgres://u:secret-pw@h/d"}, {"DB_DRIVER", "sqlite"}});
    EXPECT_TRUE(mentions(result.errors, "DATABASE_URL:")) << joined(result.errors);
    result = load({{"DB_NAME", "a"}, {"DB_DATABASE", "b"}});
    EXPECT_TRUE(mentions(result.errors, "DB_DATABASE:")) << joined(result.errors);
    result = load({{"DB_USER", "a"}}, {{"DB_USERNAME", "b"}});
    EXPECT_TRUE(mentions(result.errors, "DB_USERNAME:")) << joined(result.errors);
    EXPECT_TRUE(load({{"DB_USER", "a"}, {"DB_USERNAME", "a"}}).ok());
    result = load({{"DB_POOL_MIN", "5"}, {"DB_POOL_MAX", "4"}});
    EXPECT_TRUE(mentions(result.errors, "DB_POOL_MIN:")) << joined(result.errors);
    // A URL with a password is a secret: never quoted, even when it is refused.
    result = load({{"DATABASE_URL", "mysql://u:secret-pw@h/d"}});
    ASSERT_FALSE(result.ok());
    EXPECT_FALSE(mentions(result.errors, "secret-pw")) << joined(result.errors);
}

TEST_F(config_load, booleans_accept_the_usual_spellings)
{
    for (const char* yes : {"true", "TRUE", "1", "yes", "Yes", "on", "ON"})
        EXPECT_TRUE(load({{"APP_DEBUG", yes}}).cfg.app.debug) << yes;
    for (const char* no : {"false", "False", "0", "no", "NO", "off", "Off"})
        EXPECT_FALSE(load({{"APP_DEBUG", no}, {"APP_ENV", "test"}}).cfg.app.debug) << no;
}

TEST_F(config_load, refresh_ttl_must_not_be_below_ttl)
{
    const auto result = load({{"JWT_TTL", "120"}, {"JWT_REFRESH_TTL", "60"}});
    EXPECT_TRUE(mentions(result.errors, "JWT_REFRESH_TTL:")) << joined(result.errors);
    EXPECT_TRUE(load({{"JWT_TTL", "120"}, {"JWT_REFRESH_TTL", "120"}}).ok());
}

TEST_F(config_load, ws_ping_interval_must_be_shorter_than_the_activity_timeout)
{
    // Otherwise every quiet socket is dropped before its first Ping.
    for (const auto& [ping, timeout] : {std::pair{"120", "120"}, {"60", "30"}, {"3600", "2"}}) {
        const auto result = load({{"WS_PING_INTERVAL", ping}, {"WS_ACTIVITY_TIMEOUT", timeout}});
        ASSERT_EQ(result.errors.size(), 1u) << ping << " / " << timeout << "\n" << joined(result.errors);
        EXPECT_NE(result.errors[0].find("WS_PING_INTERVAL:"), std::string::npos) << result.errors[0];
        EXPECT_NE(result.errors[0].find("WS_ACTIVITY_TIMEOUT"), std::string::npos) << result.errors[0];
    }
    EXPECT_TRUE(load({{"WS_ACTIVITY_TIMEOUT", "31"}}).ok());  // the default interval is 30 s
    EXPECT_FALSE(load({{"WS_ACTIVITY_TIMEOUT", "30"}}).ok());
    // What the WebSocket integration tests use.
    EXPECT_TRUE(load({{"WS_PING_INTERVAL", "1"}, {"WS_ACTIVITY_TIMEOUT", "3"}}).ok());
    EXPECT_TRUE(load({{"WS_PING_INTERVAL", "600"}, {"WS_ACTIVITY_TIMEOUT", "1200"}}).ok());
    config c;
    c.app.data_path = dir_;
    c.websocket.ping_interval_s = c.websocket.activity_timeout_s;
    fill_derived_defaults(c);
    std::vector<std::string> warnings;
    EXPECT_TRUE(mentions(validate(c, warnings), "WS_PING_INTERVAL:"));
}

TEST_F(config_load, validate_checks_configs_built_in_code)
{
    config c;
    c.app.data_path = dir_;
    c.auth.jwt_ttl_min = 5;
    c.auth.jwt_blacklist_grace_s = 0;
    fill_derived_defaults(c);
    std::vector<std::string> warnings;
    const auto errors = validate(c, warnings);
    EXPECT_TRUE(mentions(errors, "JWT_TTL:")) << joined(errors);
    EXPECT_TRUE(mentions(warnings, "JWT_BLACKLIST_GRACE_PERIOD:")) << joined(warnings);
}

TEST_F(config_load, unwritable_paths_are_errors_naming_the_variable)
{
    const std::string file = make_file("plain-file");
    const auto result = load({{"AUDIO_STORAGE_PATH", file + "/audio"},
                              {"PUBLIC_STORAGE_PATH", "/proc/spotik-config-test"},
                              {"TEMP_STORAGE_PATH", file},
                              {"DB_PATH", file + "/db/spotik.db"},
                              {"LOG_FILE", "/proc/spotik-config-test/log"}});
    for (const char* name :
         {"AUDIO_STORAGE_PATH:", "PUBLIC_STORAGE_PATH:", "TEMP_STORAGE_PATH:", "DB_PATH:", "LOG_FILE:"})
        EXPECT_TRUE(mentions(result.errors, name)) << name << "\n" << joined(result.errors);
    EXPECT_EQ(result.errors.size(), 5u) << joined(result.errors);
    EXPECT_TRUE(mentions(load({{"DATA_PATH", file}}).errors, "DATA_PATH:"));
}

TEST_F(config_load, check_writable_dir_creates_and_leaves_nothing_behind)
{
    const std::string nested = dir_ + "/a/b/c";
    EXPECT_EQ(check_writable_dir(nested), std::nullopt);
    EXPECT_TRUE(fs::is_directory(nested));
    EXPECT_TRUE(fs::is_empty(nested));
    EXPECT_EQ(check_writable_dir(nested + "/"), std::nullopt);
    EXPECT_NE(check_writable_dir(make_file("f")), std::nullopt);
    EXPECT_NE(check_writable_dir(""), std::nullopt);
    const auto proc = check_writable_dir("/proc/spotik-config-test");
    ASSERT_NE(proc, std::nullopt);
    EXPECT_NE(proc->find("/proc/spotik-config-test"), std::string::npos) << *proc;
}

TEST_F(config_load, cors_origins_are_split_and_trimmed)
{
    using list = std::vector<std::string>;
    EXPECT_EQ(load({{"CORS_ORIGINS", " http://a.com , https://b.com:8080/ ,,"}}).cfg.server.cors_origins,
              (list{"http://a.com", "https://b.com:8080"}));
    EXPECT_EQ(load({{"CORS_ORIGINS", "*"}}).cfg.server.cors_origins, list{"*"});
    EXPECT_EQ(load({{"CORS_ORIGINS", ""}}).cfg.server.cors_origins, list{});
    EXPECT_EQ(load({{"CORS_ORIGINS", "http://localhost:8080,*"}}).cfg.server.cors_origins,
              (list{"http://localhost:8080", "*"}));
}

TEST_F(config_load, startup_config_reports_dotenv_errors_with_the_file_name)
{
    const std::string path = dir_ + "/.env";
    std::ofstream(path) << "DATA_PATH=" << dir_ << "\nnot a variable\n";
    const auto result = load_startup_config(path);
    EXPECT_TRUE(mentions(result.errors, path + ": line 2:")) << joined(result.errors);
    // Without a .env file DATA_PATH must come from the process environment (kept out of the cwd).
    const char* saved = std::getenv("DATA_PATH");
    const std::string previous = saved != nullptr ? saved : "";
    ASSERT_EQ(::setenv("DATA_PATH", dir_.c_str(), 1), 0);
    const auto without_file = load_startup_config(dir_ + "/missing.env");
    if (saved != nullptr)
        ::setenv("DATA_PATH", previous.c_str(), 1);
    else
        ::unsetenv("DATA_PATH");
    EXPECT_FALSE(mentions(without_file.errors, "missing.env")) << joined(without_file.errors);
    EXPECT_EQ(without_file.cfg.app.data_path, dir_);
}

// A .env that is there but cannot be read as a file stops start-up: a link to nothing was
// ignored (the server started on its defaults) and a FIFO blocked start-up for good.
TEST_F(config_load, a_dotenv_that_is_no_readable_file_is_an_error)
{
    const std::string link = dir_ + "/link.env", fifo = dir_ + "/fifo.env";
    ASSERT_EQ(::symlink((dir_ + "/nowhere").c_str(), link.c_str()), 0);
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    for (const auto& path : {link, fifo})
        EXPECT_TRUE(mentions(load_startup_config(path).errors, path + ": cannot be read")) << path;
}

}  // namespace
}  // namespace spotik::config
