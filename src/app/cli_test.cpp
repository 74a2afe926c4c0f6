// Unit tests for app/cli: every subcommand, its options and the usage errors.
#include "app/cli.hpp"

#include <gtest/gtest.h>

namespace spotik::app {
namespace {

command ok(std::vector<std::string_view> args)
{
    auto r = parse_command_line(args);
    if (auto* e = std::get_if<std::string>(&r)) ADD_FAILURE() << "unexpected error: " << *e;
    auto* c = std::get_if<command>(&r);
    return c ? *c : command{.kind = command_kind::help};
}

std::string error(std::vector<std::string_view> args)
{
    auto r = parse_command_line(args);
    auto* e = std::get_if<std::string>(&r);
    return e ? *e : std::string("(accepted)");
}

TEST(parse_command_line, serve_is_the_default)
{
    EXPECT_EQ(ok({}).kind, command_kind::serve);
    EXPECT_EQ(ok({"serve"}).kind, command_kind::serve);
    EXPECT_EQ(ok({"--help"}).kind, command_kind::help);
    EXPECT_EQ(ok({"-h"}).kind, command_kind::help);
    EXPECT_EQ(ok({"--version"}).kind, command_kind::version);
    EXPECT_EQ(ok({"migrate"}).kind, command_kind::migrate);
    EXPECT_EQ(error({"serve", "now"}), "unexpected argument 'now'");
    EXPECT_EQ(error({"start"}), "unknown command 'start'");
}

TEST(parse_command_line, healthcheck_probes_ready_by_default)
{
    const auto c = ok({"healthcheck"});
    EXPECT_EQ(c.kind, command_kind::healthcheck);
    EXPECT_EQ(c.probe_path, "/ready");
    EXPECT_EQ(c.timeout_s, 5);
    EXPECT_TRUE(c.url.empty());
    EXPECT_EQ(ok({"healthcheck", "--live"}).probe_path, "/live");
    const auto custom = ok({"healthcheck", "--url", "http://10.0.0.2:8080/health", "--timeout", "2"});
    EXPECT_EQ(custom.url, "http://10.0.0.2:8080/health");
    EXPECT_EQ(custom.timeout_s, 2);
}

TEST(parse_command_line, healthcheck_rejects_bad_options)
{
    EXPECT_EQ(error({"healthcheck", "--url"}), "--url needs a value");
    EXPECT_EQ(error({"healthcheck", "--url", "https://x/ready"}), "--url must start with http://");
    EXPECT_NE(error({"healthcheck", "--timeout", "0"}).find("--timeout"), std::string::npos);
    EXPECT_NE(error({"healthcheck", "--timeout", "5s"}).find("--timeout"), std::string::npos);
    EXPECT_EQ(error({"healthcheck", "--verbose"}), "unknown healthcheck option '--verbose'");
}

TEST(parse_command_line, db_reset_and_seed)
{
    EXPECT_EQ(ok({"db", "reset"}).kind, command_kind::db_reset);
    const auto seed = ok({"db", "seed", "--room", "Friday mix", "--count", "12"});
    EXPECT_EQ(seed.kind, command_kind::db_seed);
    EXPECT_EQ(seed.room, "Friday mix");
    EXPECT_EQ(seed.count, 12);
    EXPECT_EQ(ok({"db", "seed", "--count", "1", "--room", "r"}).room, "r");
}

TEST(parse_command_line, db_usage_errors_name_the_problem)
{
    EXPECT_EQ(error({"db"}), "db needs a subcommand: reset or seed");
    EXPECT_EQ(error({"db", "drop"}), "unknown db subcommand 'drop'");
    EXPECT_EQ(error({"db", "reset", "--all"}), "unexpected argument '--all'");
    EXPECT_EQ(error({"db", "seed", "--count", "3"}), "db seed needs --room NAME-OR-ID");
    EXPECT_EQ(error({"db", "seed", "--room", "r"}), "db seed needs --count N");
    EXPECT_NE(error({"db", "seed", "--room", "r", "--count", "0"}).find("1 to 1000"), std::string::npos);
    EXPECT_NE(error({"db", "seed", "--room", "r", "--count", "1001"}).find("1 to 1000"), std::string::npos);
    EXPECT_EQ(error({"db", "seed", "--room"}), "--room needs a value");
    EXPECT_EQ(error({"db", "seed", "--room", "", "--count", "1"}), "--room must not be empty");
    EXPECT_EQ(error({"db", "seed", "--name", "x"}), "unknown db seed option '--name'");
}

TEST(parse_command_line, db_seed_applies_the_api_room_name_rules)
{
    const auto seed = [](std::string_view room) { return error({"db", "seed", "--room", room, "--count", "1"}); };
    EXPECT_EQ(seed("bad\xff\xfe"), "--room is not valid UTF-8");
    EXPECT_EQ(seed("   \t "), "--room must not be empty");
    EXPECT_EQ(seed(std::string(101, 'x')), "--room must not be longer than 100 characters");
    std::string long_accented;
    for (int i = 0; i < 101; ++i) long_accented += "\xc3\xa9";  // é: 101 characters, 202 bytes
    EXPECT_EQ(seed(long_accented), "--room must not be longer than 100 characters");
    for (std::string_view bad : {"two\nlines", "tab\tinside", "bell\x07", "del\x7f"})
        EXPECT_EQ(seed(bad), "--room must not contain control characters or line breaks") << bad;

    // What the API accepts is accepted, trimmed as the API stores it.
    EXPECT_EQ(ok({"db", "seed", "--room", "  Friday mix \n", "--count", "1"}).room, "Friday mix");
    EXPECT_EQ(ok({"db", "seed", "--room", std::string(100, 'x'), "--count", "1"}).room, std::string(100, 'x'));
    long_accented.resize(200);
    EXPECT_EQ(ok({"db", "seed", "--room", long_accented, "--count", "1"}).room, long_accented);
}

TEST(parse_command_line, healthcheck_usage_errors_exit_1_others_2)
{
    // Docker's HEALTHCHECK reserves exit status 2; every failed probe must be 1.
    EXPECT_EQ(usage_error_status({"healthcheck", "--timeout", "0"}), 1);
    EXPECT_EQ(usage_error_status({"healthcheck", "--url", "https://x/ready"}), 1);
    EXPECT_EQ(usage_error_status({"db", "seed"}), 2);
    EXPECT_EQ(usage_error_status({"bogus"}), 2);
}

}  // namespace
}  // namespace spotik::app
