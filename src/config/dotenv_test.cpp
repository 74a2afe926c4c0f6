// Unit tests of the .env parser and the process environment reader.
#include "config/dotenv.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace spotik::config {
namespace {

TEST(config_dotenv, parses_quotes_escapes_comments_and_export)
{
    const std::string text =
        "# comment\n"
        "\n"
        "PLAIN=hello world   # trailing comment\r\n"
        "export EXPORTED=yes\n"
        "  SPACED = value  \n"
        "HASH=abc#def\n"
        "EMPTY=\n"
        "DQ=\"line\\none \\\"q\\\" back\\\\slash # not a comment\" # comment\n"
        "SQ='raw \\n $x # kept'\n"
        "UNKNOWN_ESCAPE=\"a\\qb\"\n"
        "DUP=first\n"
        "DUP=second\n";
    std::vector<std::string> errors;
    const auto env = parse_dotenv(text, errors);
    EXPECT_TRUE(errors.empty()) << testing::PrintToString(errors);
    const env_map expected = {
        {"PLAIN", "hello world"},    {"EXPORTED", "yes"}, {"SPACED", "value"},
        {"HASH", "abc#def"},         {"EMPTY", ""},       {"DQ", "line\none \"q\" back\\slash # not a comment"},
        {"SQ", "raw \\n $x # kept"}, {"DUP", "second"},   {"UNKNOWN_ESCAPE", "a\\qb"},
    };
    EXPECT_EQ(env, expected);
}

TEST(config_dotenv, malformed_lines_are_reported_with_their_number)
{
    std::vector<std::string> errors;
    const auto env = parse_dotenv("GOOD=1\nno equals sign\n1BAD=x\nQ=\"open\nS='x' junk\nLAST=2", errors);
    ASSERT_EQ(errors.size(), 4u) << testing::PrintToString(errors);
    EXPECT_TRUE(errors[0].starts_with("line 2:")) << errors[0];
    EXPECT_TRUE(errors[1].starts_with("line 3:")) << errors[1];
    EXPECT_TRUE(errors[2].starts_with("line 4: Q:")) << errors[2];
    EXPECT_TRUE(errors[3].starts_with("line 5: S:")) << errors[3];
    EXPECT_EQ(env, (env_map{{"GOOD", "1"}, {"LAST", "2"}}));
}

TEST(config_dotenv, read_file_returns_nothing_for_a_missing_file)
{
    EXPECT_EQ(read_file("/nonexistent/spotik/.env"), std::nullopt);
}

TEST(config_dotenv, process_environment_is_read)
{
    ASSERT_EQ(::setenv("SPOTIK_CONFIG_TEST_VARIABLE", "a=b", 1), 0);
    const auto env = read_process_env();
    ::unsetenv("SPOTIK_CONFIG_TEST_VARIABLE");
    ASSERT_EQ(env.count("SPOTIK_CONFIG_TEST_VARIABLE"), 1u);
    EXPECT_EQ(env.at("SPOTIK_CONFIG_TEST_VARIABLE"), "a=b");
}

}  // namespace
}  // namespace spotik::config
