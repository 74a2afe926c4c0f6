// Unit tests for util/ids: new_uuid yields distinct lower-case RFC 4122 version-4 UUIDs,
// is_uuid accepts exactly the 8-4-4-4-12 hex form in either case, normalize_uuid lower-cases
// and random_hex has the requested length and alphabet.
#include "util/ids.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace spotik::util {
namespace {

const std::string k_valid = "123e4567-e89b-42d3-a456-426614174000";

TEST(new_uuid, is_lower_case_v4_of_36_characters)
{
    for (int i = 0; i < 500; ++i) {
        const std::string u = new_uuid();
        ASSERT_EQ(u.size(), 36u) << u;
        EXPECT_TRUE(is_uuid(u)) << u;
        EXPECT_EQ(u[8], '-');
        EXPECT_EQ(u[13], '-');
        EXPECT_EQ(u[18], '-');
        EXPECT_EQ(u[23], '-');
        EXPECT_EQ(u[14], '4') << u;                                          // version nibble
        EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;  // RFC 4122 variant
        EXPECT_EQ(u.find_first_not_of("0123456789abcdef-"), std::string::npos) << u;
        EXPECT_EQ(normalize_uuid(u), u);
    }
}

TEST(new_uuid, ten_thousand_are_unique)
{
    std::set<std::string> seen;
    for (int i = 0; i < 10'000; ++i) seen.insert(new_uuid());
    EXPECT_EQ(seen.size(), 10'000u);
}

TEST(new_uuid, variant_nibble_takes_all_four_values)
{
    // 2 random bits: over 400 draws, missing any of 8, 9, a, b has probability ~4 * 0.75^400.
    std::set<char> variants;
    for (int i = 0; i < 400; ++i) variants.insert(new_uuid()[19]);
    EXPECT_EQ(variants, (std::set<char>{'8', '9', 'a', 'b'}));
}

TEST(is_uuid, accepts_canonical_forms)
{
    EXPECT_TRUE(is_uuid(k_valid));
    EXPECT_TRUE(is_uuid("00000000-0000-0000-0000-000000000000"));
    EXPECT_TRUE(is_uuid("ffffffff-ffff-ffff-ffff-ffffffffffff"));
    EXPECT_TRUE(is_uuid("123E4567-E89B-42D3-A456-426614174000"));  // upper-case
    EXPECT_TRUE(is_uuid("123e4567-E89b-42D3-a456-426614174000"));  // mixed
    // Any version and variant: only the textual form is checked.
    EXPECT_TRUE(is_uuid("123e4567-e89b-12d3-0456-426614174000"));
}

TEST(is_uuid, rejects_wrong_length)
{
    EXPECT_FALSE(is_uuid(""));
    EXPECT_FALSE(is_uuid(k_valid.substr(0, 35)));
    EXPECT_FALSE(is_uuid(k_valid + "0"));
    EXPECT_FALSE(is_uuid("{" + k_valid + "}"));
    EXPECT_FALSE(is_uuid("123e4567e89b42d3a456426614174000"));  // 32 hex, no dashes
    EXPECT_FALSE(is_uuid(" " + k_valid));
}

TEST(is_uuid, rejects_misplaced_dashes)
{
    EXPECT_FALSE(is_uuid("123e456-7e89b-42d3-a456-426614174000"));
    EXPECT_FALSE(is_uuid("123e4567-e89b42d3--a456-426614174000"));
    EXPECT_FALSE(is_uuid("123e4567-e89b-42d3-a4564-26614174000"));
    EXPECT_FALSE(is_uuid("123e4567xe89b-42d3-a456-426614174000"));
    EXPECT_FALSE(is_uuid("------------------------------------"));
    std::string extra_dash = k_valid;
    extra_dash[0] = '-';
    EXPECT_FALSE(is_uuid(extra_dash));
}

TEST(is_uuid, rejects_non_hex)
{
    for (char bad : {'g', 'G', 'z', ' ', '.', '_', '\0', '\xff'}) {
        std::string s = k_valid;
        s[35] = bad;
        EXPECT_FALSE(is_uuid(s)) << int(static_cast<unsigned char>(bad));
    }
    EXPECT_FALSE(is_uuid("../../../../../../etc/passwd/aaaaaaa"));
}

TEST(normalize_uuid, lower_cases)
{
    EXPECT_EQ(normalize_uuid("123E4567-E89B-42D3-A456-426614174000"), k_valid);
    EXPECT_EQ(normalize_uuid(k_valid), k_valid);
    EXPECT_EQ(normalize_uuid(""), "");
}

TEST(random_hex, length_and_alphabet)
{
    for (std::size_t n : {0u, 1u, 8u, 16u, 32u, 100u}) {
        const std::string h = random_hex(n);
        EXPECT_EQ(h.size(), 2 * n);
        EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos) << h;
    }
}

TEST(random_hex, values_differ_and_cover_the_alphabet)
{
    std::set<std::string> seen;
    std::set<char> chars;
    for (int i = 0; i < 100; ++i) {
        std::string h = random_hex(16);
        seen.insert(h);
        chars.insert(h.begin(), h.end());
    }
    EXPECT_EQ(seen.size(), 100u);
    EXPECT_EQ(chars.size(), 16u);
}

TEST(inline_id, keeps_up_to_36_characters_and_refuses_more)
{
    std::string uuid = new_uuid();
    inline_id id(uuid);
    EXPECT_EQ(id.view(), uuid);
    EXPECT_EQ(id.str(), uuid);
    EXPECT_EQ(inline_id().view(), "");
    EXPECT_EQ(inline_id(uuid), inline_id(uuid));
    EXPECT_FALSE(inline_id(uuid) == inline_id(random_hex(16)));
    EXPECT_THROW(inline_id(std::string(37, 'a')), std::length_error);
}

}  // namespace
}  // namespace spotik::util
