// Unit tests for auth/jwt: round trips, header attacks built by hand (own base64url + HMAC),
// tampering, issuer, time windows with leeway, malformed structure and decode_for_refresh.
#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace spotik::auth {
namespace {

constexpr std::int64_t k_now = 1'700'000'000;
const std::string k_secret = "test-secret-of-reasonable-length";
const std::string k_issuer = "spotik";

// Independent encoder (OpenSSL's standard base64, then made URL-safe and unpadded).
std::string b64url(std::string_view in)
{
    std::vector<unsigned char> out(4 * ((in.size() + 2) / 3) + 1);
    const int n =
        EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    std::string s(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
    std::replace(s.begin(), s.end(), '+', '-');
    std::replace(s.begin(), s.end(), '/', '_');
    s.erase(s.find_last_not_of('=') + 1);
    return s;
}

std::string hmac256(std::string_view key, std::string_view data)
{
    unsigned char out[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return {reinterpret_cast<const char*>(out), len};
}

std::string good_payload(std::int64_t exp = k_now + 3600)
{
    return R"({"sub":"u-1","jti":"j-1","iss":"spotik","iat":1700000000,"nbf":1700000000,"exp":)" + std::to_string(exp) +
           "}";
}

// A token from raw header and payload JSON, signed with HMAC-SHA256.
std::string forge(std::string_view header, std::string_view payload, std::string_view secret = k_secret)
{
    std::string input = b64url(header) + '.' + b64url(payload);
    return input + '.' + b64url(hmac256(secret, input));
}

const std::string k_std_header = R"({"alg":"HS256","typ":"JWT"})";

class jwt_test : public ::testing::Test {
protected:
    util::manual_clock clock_{k_now * 1000};
    jwt_codec codec_{k_secret, k_issuer, clock_};

    jwt_claims claims(std::int64_t exp_offset = 3600) const
    {
        return jwt_claims{"user-uuid", new_jti(), k_now, k_now, k_now + exp_offset, k_issuer, "alice", "a@x.io"};
    }
    jwt_error error_of(std::string_view token) const
    {
        auto r = codec_.verify(token);
        return r ? jwt_error::none : r.error();
    }
};

TEST_F(jwt_test, round_trip_preserves_all_claims)
{
    const auto c = claims();
    const auto r = codec_.verify(codec_.sign(c));
    ASSERT_TRUE(r.has_value()) << to_string(r.error());
    EXPECT_EQ(*r, c);
}

TEST_F(jwt_test, optional_claims_are_omitted_when_empty)
{
    auto c = claims();
    c.username.clear();
    c.email.clear();
    const std::string token = codec_.sign(c);
    const std::string payload_b64 = token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
    EXPECT_EQ(payload_b64, b64url(R"({"sub":"user-uuid","jti":")" + c.jti +
                                  R"(","iss":"spotik","iat":1700000000,"nbf":1700000000,"exp":1700003600})"));
    EXPECT_EQ(*codec_.verify(token), c);
}

TEST_F(jwt_test, sign_uses_standard_header_and_configured_issuer)
{
    auto c = claims();
    c.iss = "someone-else";
    const std::string token = codec_.sign(c);
    EXPECT_EQ(token.substr(0, token.find('.')), b64url(k_std_header));
    const auto r = codec_.verify(token);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->iss, k_issuer);
}

TEST_F(jwt_test, sign_rejects_unusable_claims)
{
    auto c = claims();
    c.sub.clear();
    EXPECT_THROW(codec_.sign(c), std::invalid_argument);
    c = claims();
    c.jti.clear();
    EXPECT_THROW(codec_.sign(c), std::invalid_argument);
    c = claims();
    c.username = "bad\xff";
    EXPECT_THROW(codec_.sign(c), std::invalid_argument);
    c = claims();
    c.email = std::string(k_max_token_bytes, 'e');
    EXPECT_THROW(codec_.sign(c), std::invalid_argument);
}

TEST_F(jwt_test, constructor_rejects_bad_configuration)
{
    EXPECT_THROW(jwt_codec("", k_issuer, clock_), std::invalid_argument);
    EXPECT_THROW(jwt_codec(k_secret, "", clock_), std::invalid_argument);
    EXPECT_THROW(jwt_codec(k_secret, k_issuer, clock_, -1), std::invalid_argument);
    EXPECT_THROW(jwt_codec(k_secret, k_issuer, clock_, 301), std::invalid_argument);
}

TEST_F(jwt_test, hand_built_token_verifies)
{
    // Guards the helpers below: a correct forged token must pass, so the attacks test one thing.
    EXPECT_EQ(error_of(forge(k_std_header, good_payload())), jwt_error::none);
    EXPECT_EQ(error_of(forge(R"({"alg":"HS256"})", good_payload())), jwt_error::none);
    EXPECT_EQ(error_of(forge(R"({"typ":"JWT","alg":"HS256","kid":"k1"})", good_payload())), jwt_error::none);
}

TEST_F(jwt_test, rejects_wrong_or_missing_algorithm)
{
    for (const char* h : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"None"})", R"({"alg":"HS512","typ":"JWT"})",
                          R"({"alg":"RS256","typ":"JWT"})", R"({"alg":"hs256"})", R"({"alg":"HS256 "})",
                          R"({"typ":"JWT"})", R"({"alg":null})", R"({"alg":["HS256"]})", R"({})"}) {
        EXPECT_EQ(error_of(forge(h, good_payload())), jwt_error::bad_header) << h;
    }
    // alg none with an empty signature, the classic attack.
    const std::string none = b64url(R"({"alg":"none"})") + '.' + b64url(good_payload()) + '.';
    EXPECT_NE(error_of(none), jwt_error::none);
}

TEST_F(jwt_test, rejects_bad_typ_crit_and_non_object_headers)
{
    for (const char* h :
         {R"({"alg":"HS256","typ":"JWS"})", R"({"alg":"HS256","typ":1})", R"({"alg":"HS256","crit":["exp"]})",
          R"(["HS256"])", R"("HS256")", "null", "{", R"({"alg":"HS256"} x)", ""}) {
        EXPECT_EQ(error_of(forge(h, good_payload())), jwt_error::bad_header) << h;
    }
}

TEST_F(jwt_test, rejects_tampering_in_every_part)
{
    const std::string token = codec_.sign(claims());
    const auto d1 = token.find('.'), d2 = token.rfind('.');
    for (std::size_t pos : {std::size_t{0}, d1 - 1, d1 + 1, d2 - 1, d2 + 1, token.size() - 1}) {
        std::string t = token;
        t[pos] = t[pos] == 'A' ? 'B' : 'A';
        EXPECT_NE(error_of(t), jwt_error::none) << pos;
    }
    // Same header and a different, well-formed payload under the original signature.
    auto other = claims();
    other.sub = "admin";
    const std::string resigned = codec_.sign(other);
    const std::string spliced = token.substr(0, d1) + resigned.substr(d1, resigned.rfind('.') - d1) + token.substr(d2);
    EXPECT_EQ(error_of(spliced), jwt_error::bad_signature);
}

TEST_F(jwt_test, rejects_non_canonical_signature_encoding)
{
    // 32 bytes encode to 43 characters with 2 unused trailing bits; setting them must not verify.
    const std::string token = codec_.sign(claims());
    std::string t = token;
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const auto v = alphabet.find(t.back());
    t.back() = alphabet[v | 1u];
    ASSERT_NE(t, token);
    EXPECT_EQ(error_of(t), jwt_error::malformed);
}

TEST_F(jwt_test, rejects_wrong_secret_and_wrong_issuer)
{
    EXPECT_EQ(error_of(forge(k_std_header, good_payload(), "another-secret")), jwt_error::bad_signature);
    const jwt_codec other(k_secret, "spotik-ruby", clock_);
    EXPECT_EQ(error_of(other.sign(claims())), jwt_error::bad_issuer);
    const jwt_codec other_secret("different", k_issuer, clock_);
    EXPECT_EQ(error_of(other_secret.sign(claims())), jwt_error::bad_signature);
}

TEST_F(jwt_test, reports_missing_or_mistyped_claims)
{
    const char* payloads[] = {
        R"({"jti":"j","iss":"spotik","iat":1,"nbf":1,"exp":9999999999})",
        R"({"sub":"","jti":"j","iss":"spotik","iat":1,"nbf":1,"exp":9999999999})",
        R"({"sub":"u","iss":"spotik","iat":1,"nbf":1,"exp":9999999999})",
        R"({"sub":"u","jti":"j","iat":1,"nbf":1,"exp":9999999999})",
        R"({"sub":"u","jti":"j","iss":"spotik","nbf":1,"exp":9999999999})",
        R"({"sub":"u","jti":"j","iss":"spotik","iat":1,"exp":9999999999})",
        R"({"sub":"u","jti":"j","iss":"spotik","iat":1,"nbf":1})",
        R"({"sub":7,"jti":"j","iss":"spotik","iat":1,"nbf":1,"exp":9999999999})",
        R"({"sub":"u","jti":"j","iss":"spotik","iat":"1","nbf":1,"exp":9999999999})",
        R"({"sub":"u","jti":"j","iss":"spotik","iat":1,"nbf":1,"exp":9999999999.0})",
        R"({"sub":"u","jti":"j","iss":"spotik","iat":1,"nbf":1,"exp":18446744073709551615})",
        R"({"sub":"u","jti":"j","iss":"spotik","iat":1,"nbf":1,"exp":9999999999,"email":null})",
    };
    for (const char* p : payloads) EXPECT_EQ(error_of(forge(k_std_header, p)), jwt_error::missing_claims) << p;
    for (const char* p : {"[]", "\"x\"", "{", ""})
        EXPECT_EQ(error_of(forge(k_std_header, p)), jwt_error::malformed) << p;
}

TEST_F(jwt_test, expiry_and_not_before_without_leeway)
{
    EXPECT_EQ(error_of(codec_.sign(claims(1))), jwt_error::none);
    EXPECT_EQ(error_of(codec_.sign(claims(0))), jwt_error::expired);
    EXPECT_EQ(error_of(codec_.sign(claims(-10))), jwt_error::expired);
    auto c = claims();
    c.nbf = k_now + 1;
    EXPECT_EQ(error_of(codec_.sign(c)), jwt_error::not_yet_valid);
    c.nbf = k_now;
    EXPECT_EQ(error_of(codec_.sign(c)), jwt_error::none);
    // Time moves: the same token expires once the clock reaches exp.
    const std::string token = codec_.sign(claims(60));
    clock_.advance(59'999);
    EXPECT_EQ(error_of(token), jwt_error::none);
    clock_.advance(1);
    EXPECT_EQ(error_of(token), jwt_error::expired);
}

TEST_F(jwt_test, leeway_boundaries)
{
    const jwt_codec lenient(k_secret, k_issuer, clock_, 30);
    auto c = claims();
    auto err = [&](const jwt_claims& x) {
        auto r = lenient.verify(lenient.sign(x));
        return r ? jwt_error::none : r.error();
    };
    c.exp = k_now - 29;
    EXPECT_EQ(err(c), jwt_error::none);
    c.exp = k_now - 30;
    EXPECT_EQ(err(c), jwt_error::expired);
    c.exp = k_now + 3600;
    c.nbf = k_now + 30;
    EXPECT_EQ(err(c), jwt_error::none);
    c.nbf = k_now + 31;
    EXPECT_EQ(err(c), jwt_error::not_yet_valid);
}

TEST_F(jwt_test, rejects_malformed_structure)
{
    const std::string token = codec_.sign(claims());
    const auto d1 = token.find('.'), d2 = token.rfind('.');
    const std::vector<std::string> bad = {
        "",
        ".",
        "..",
        "...",
        token.substr(0, d2),                 // two segments
        token + ".",                         // four segments (empty)
        token + "." + token.substr(d2 + 1),  // four segments
        token + "=",                         // padding
        token.substr(0, d1) + "=" + token.substr(d1),
        token.substr(0, d2 + 1),  // empty signature
        " " + token,
        token + "\n",
        token.substr(0, d2 + 5) + "+" + token.substr(d2 + 6),
        token.substr(0, d2 + 5) + "/" + token.substr(d2 + 6),
        token.substr(0, 3) + std::string(1, '\0') + token.substr(4),
        token.substr(0, d1) + ".." + token.substr(d1 + 1),
        std::string(1 << 20, 'A'),
        std::string(5000, 'a') + "." + std::string(5000, 'b') + "." + std::string(43, 'c'),
        "eyJhbGciOiJIUzI1NiJ9.e30.\xff\xfe",
    };
    for (const auto& t : bad) {
        EXPECT_NE(error_of(t), jwt_error::none) << t.substr(0, 80);
        EXPECT_FALSE(codec_.decode_for_refresh(t).has_value()) << t.substr(0, 80);
    }
    EXPECT_EQ(error_of(token + "="), jwt_error::malformed);
    EXPECT_EQ(error_of(token.substr(0, d2)), jwt_error::malformed);
    EXPECT_EQ(error_of(std::string(1 << 20, 'A')), jwt_error::malformed);
}

TEST_F(jwt_test, decode_for_refresh_accepts_expired_but_nothing_else)
{
    const auto c = claims(-86400);
    const std::string token = codec_.sign(c);
    EXPECT_EQ(error_of(token), jwt_error::expired);
    const auto r = codec_.decode_for_refresh(token);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, c);

    std::string tampered = token;
    tampered[token.find('.') + 3] ^= 1;
    EXPECT_FALSE(codec_.decode_for_refresh(tampered).has_value());
    EXPECT_EQ(codec_.decode_for_refresh(forge(R"({"alg":"none"})", good_payload(1))).error(), jwt_error::bad_header);
    EXPECT_EQ(codec_.decode_for_refresh(forge(k_std_header, good_payload(1), "x")).error(), jwt_error::bad_signature);
    const jwt_codec other(k_secret, "other", clock_);
    EXPECT_EQ(codec_.decode_for_refresh(other.sign(c)).error(), jwt_error::bad_issuer);
    auto future = c;
    future.nbf = k_now + 100;
    EXPECT_EQ(codec_.decode_for_refresh(codec_.sign(future)).error(), jwt_error::not_yet_valid);
}

TEST_F(jwt_test, value_on_error_throws)
{
    const auto r = codec_.verify("nope");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), jwt_error::malformed);
    EXPECT_THROW((void)r.value(), std::runtime_error);
}

TEST(jwt_jti, is_32_lower_hex_and_unique)
{
    const std::string a = new_jti(), b = new_jti();
    EXPECT_EQ(a.size(), 32u);
    EXPECT_TRUE(
        std::all_of(a.begin(), a.end(), [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); }));
    EXPECT_NE(a, b);
}

TEST(jwt_error_names, are_distinct)
{
    EXPECT_EQ(to_string(jwt_error::expired), "expired");
    EXPECT_EQ(to_string(jwt_error::bad_signature), "bad_signature");
    EXPECT_NE(to_string(jwt_error::malformed), to_string(jwt_error::missing_claims));
}

}  // namespace
}  // namespace spotik::auth
