// Unit tests for util/utf8: what counts as valid UTF-8, and how invalid bytes are replaced.
#include "util/utf8.hpp"

#include <gtest/gtest.h>

namespace spotik::util {
namespace {

TEST(utf8, valid_text_of_every_sequence_length)
{
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x8E\xB5"));  // é ✓ 🎵
    EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));                           // U+10FFFF
    EXPECT_TRUE(is_valid_utf8(std::string_view("a\0b", 3)));
}

TEST(utf8, invalid_sequences_are_refused)
{
    for (const char* bad : {"\xFF", "\xFE\xFF", "\x80", "\xC3", "\xC3(", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80",
                            "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "ok\xE2\x9C"}) {
        EXPECT_FALSE(is_valid_utf8(bad)) << testing::PrintToString(bad);
    }
}

TEST(utf8, repair_replaces_each_bad_byte_and_keeps_the_rest)
{
    EXPECT_EQ(valid_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
    EXPECT_EQ(valid_utf8("\xFF\xFE"
                         "b.wav"),
              "\xEF\xBF\xBD\xEF\xBF\xBD"
              "b.wav");
    EXPECT_EQ(valid_utf8("a\xC3"), "a\xEF\xBF\xBD");
    EXPECT_EQ(valid_utf8("\xED\xA0\x80x"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx") << "a surrogate, byte by byte";
    for (const char* s : {"\xFF", "\xE2\x9C", "x\xF0\x9F\x8E", "\xC0\xAF\xC3\xA9"})
        EXPECT_TRUE(is_valid_utf8(valid_utf8(s))) << testing::PrintToString(s);
}

}  // namespace
}  // namespace spotik::util
