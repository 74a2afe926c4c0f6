// Unit tests for auth/password: $2b$ output, verification of $2a$/$2b$/$2y$ hashes (generated and
// fixed vectors from PHP and OpenBSD), NUL handling and malformed hashes. Cost 4 for speed.
#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <crypt.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>

namespace spotik::auth {
namespace {

// A hash with a chosen prefix straight from libxcrypt, independent of hash_password.
std::string libxcrypt_hash(const char* prefix, const char* password)
{
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
    if (crypt_gensalt_rn(prefix, 4, nullptr, 0, salt.data(), static_cast<int>(salt.size())) == nullptr) return {};
    auto data = std::make_unique<crypt_data>();
    const char* out = crypt_rn(password, salt.data(), data.get(), sizeof(crypt_data));
    return out == nullptr ? std::string{} : std::string(out);
}

TEST(password, hash_has_2b_prefix_cost_and_length)
{
    const std::string h = hash_password("correct horse", 4);
    EXPECT_EQ(h.substr(0, 7), "$2b$04$");
    EXPECT_EQ(h.size(), 60u);
    EXPECT_TRUE(is_supported_hash(h));
    EXPECT_EQ(hash_password("x", 5).substr(0, 7), "$2b$05$");
}

TEST(password, salts_are_random)
{
    EXPECT_NE(hash_password("same", 4), hash_password("same", 4));
}

TEST(password, verify_true_and_false)
{
    const std::string h = hash_password("correct horse", 4);
    EXPECT_TRUE(verify_password("correct horse", h));
    EXPECT_FALSE(verify_password("correct horsE", h));
    EXPECT_FALSE(verify_password("correct hors", h));
    EXPECT_FALSE(verify_password("", h));
    const std::string empty = hash_password("", 4);
    EXPECT_TRUE(verify_password("", empty));
    EXPECT_FALSE(verify_password(" ", empty));
}

TEST(password, unicode_password_round_trips)
{
    const std::string pw = "p\xc3\xa4ssw\xc3\xb6rd \xf0\x9f\x8e\xb5";
    EXPECT_TRUE(verify_password(pw, hash_password(pw, 4)));
}

TEST(password, verifies_generated_2a_2b_2y_hashes)
{
    for (const char* prefix : {"$2a$", "$2b$", "$2y$"}) {
        const std::string h = libxcrypt_hash(prefix, "hunter22");
        ASSERT_EQ(h.substr(0, 4), prefix);
        EXPECT_TRUE(verify_password("hunter22", h)) << h;
        EXPECT_FALSE(verify_password("hunter23", h)) << h;
    }
}

TEST(password, verifies_fixed_vectors)
{
    // From the PHP manual's password_verify example (PHP password_hash output, cost 10).
    EXPECT_TRUE(verify_password("rasmuslerdorf", "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"));
    EXPECT_FALSE(verify_password("rasmuslerdorF", "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"));
    // $2y$ cost 10, generated once with libxcrypt (the same format Laravel stores).
    EXPECT_TRUE(verify_password("correct horse battery staple",
                                "$2y$10$J1JvAtfgx22QuCwaIJWeUeqeWmKMybGjxB1ehhu2VEqpEWVjMvRQG"));
    // OpenBSD / John the Ripper test vector.
    EXPECT_TRUE(verify_password("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
    EXPECT_FALSE(verify_password("U*V", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
}

TEST(password, only_first_72_bytes_count)
{
    const std::string base(72, 'a');
    const std::string h = hash_password(base + "tail-one", 4);
    EXPECT_TRUE(verify_password(base + "tail-two", h));
    EXPECT_FALSE(verify_password(std::string(71, 'a'), h));
}

// Far past the 72 bytes that count, and past libxcrypt's 512-byte limit on what it is given:
// still a password like any other (registration allows 1 024 characters, up to 4 KiB).
TEST(password, long_passwords_hash_and_verify)
{
    for (std::size_t bytes : {511, 512, 600, 4096}) {
        const std::string long_one(bytes, 'x');
        const std::string h = hash_password(long_one, 4);
        EXPECT_TRUE(verify_password(long_one, h)) << bytes;
        EXPECT_TRUE(verify_password(std::string(72, 'x'), h)) << bytes << ": its first 72 bytes are what counts";
        EXPECT_FALSE(verify_password(std::string(71, 'x'), h)) << bytes;
    }
}

TEST(password, nul_bytes_are_rejected)
{
    using namespace std::string_literals;
    EXPECT_THROW(hash_password("abc\0def"s, 4), std::invalid_argument);
    const std::string h = hash_password("abc", 4);
    EXPECT_TRUE(verify_password("abc", h));
    EXPECT_FALSE(verify_password("abc\0def"s, h));
    EXPECT_FALSE(verify_password("abc\0"s, h));
}

TEST(password, cost_out_of_range_throws)
{
    EXPECT_THROW(hash_password("x", 3), std::invalid_argument);
    EXPECT_THROW(hash_password("x", 32), std::invalid_argument);
    EXPECT_THROW(hash_password("x", -1), std::invalid_argument);
}

TEST(password, malformed_hashes_are_false_not_errors)
{
    using namespace std::string_literals;
    const std::string good = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a";
    const std::string bad[] = {
        "",
        "$2y$",
        "$2y$10$",
        good.substr(0, 59),
        good + "a",
        "$1$saltsalt$abcdefghijklmnopqrstuv",
        "$6$rounds=5000$salt$hash",
        "$2x$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a",
        "$2$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1aa",
        "$2y$03$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a",
        "$2y$32$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a",
        "$2y$1a$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a",
        "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1!",
        "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1\0"s,
        "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"s.replace(10, 1, "\0"s),
        std::string(60, '$'),
        std::string(100000, 'x'),
        "rasmuslerdorf",
    };
    for (const auto& h : bad) {
        EXPECT_FALSE(is_supported_hash(h)) << h.substr(0, 70);
        EXPECT_FALSE(verify_password("rasmuslerdorf", h)) << h.substr(0, 70);
    }
    EXPECT_TRUE(is_supported_hash(good));
}

TEST(password, changing_any_hash_character_fails_verification)
{
    const std::string h = hash_password("pw", 4);
    for (std::size_t i = 7; i < h.size(); ++i) {
        std::string t = h;
        t[i] = t[i] == 'a' ? 'b' : 'a';
        EXPECT_FALSE(verify_password("pw", t)) << i;
    }
}

}  // namespace
}  // namespace spotik::auth
