// Property tests for auth/jwt (RapidCheck): arbitrary claims round-trip exactly; any single-byte
// change or truncation of a signed token fails verification; the time window follows the rule.
#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace spotik::auth {
namespace {

constexpr std::int64_t k_now = 1'700'000'000;
constexpr auto k_min = std::numeric_limits<std::int64_t>::min();
constexpr auto k_max = std::numeric_limits<std::int64_t>::max();
const std::string k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

void append_utf8(std::string& out, std::uint32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
        out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
}

// Valid UTF-8 biased towards what breaks JSON: quotes, backslashes, control characters, NUL.
rc::Gen<std::string> gen_text()
{
    const auto special = rc::gen::element<std::uint32_t>('"', '\\', '/', 0, '\n', '\t', 0x1f, 0x7f, 0xe9, 0x2028,
                                                         0xfeff, 0xffff, 0x1f3b5, 0x10ffff);
    const auto any_cp = rc::gen::suchThat(rc::gen::inRange<std::uint32_t>(0, 0x110000),
                                          [](std::uint32_t cp) { return cp < 0xd800 || cp > 0xdfff; });
    const auto cp = rc::gen::weightedOneOf<std::uint32_t>(
        {{4, rc::gen::inRange<std::uint32_t>(0x20, 0x7f)}, {2, special}, {2, any_cp}});
    return rc::gen::map(rc::gen::container<std::vector<std::uint32_t>>(cp), [](const std::vector<std::uint32_t>& cps) {
        std::string s;
        for (auto c : cps) append_utf8(s, c);
        return s;
    });
}

rc::Gen<std::string> gen_non_empty_text()
{
    return rc::gen::suchThat(gen_text(), [](const std::string& s) { return !s.empty(); });
}

rc::Gen<std::int64_t> gen_time(std::int64_t lo, std::int64_t hi)  // [lo, hi]
{
    return rc::gen::oneOf(rc::gen::element(lo, hi), rc::gen::inRange(lo, hi),
                          rc::gen::inRange(std::max(lo, k_now - 100'000), std::min(hi, k_now + 100'000)));
}

// Claims that verify at k_now: nbf <= now < exp.
jwt_claims arbitrary_valid_claims()
{
    jwt_claims c;
    c.sub = *gen_non_empty_text();
    c.jti = *rc::gen::oneOf(gen_non_empty_text(), rc::gen::exec([] { return new_jti(); }));
    c.iat = *gen_time(k_min, k_max);
    c.nbf = *gen_time(k_min, k_now);
    c.exp = *gen_time(k_now + 1, k_max);
    c.iss = "spotik";
    c.username = *gen_text();
    c.email = *gen_text();
    return c;
}

struct fixture {
    util::manual_clock clock{k_now * 1000};
    jwt_codec codec{"property-secret", "spotik", clock};
};

RC_GTEST_PROP(jwt_property, sign_then_verify_round_trips, ())
{
    const fixture f;
    const auto c = arbitrary_valid_claims();
    const auto r = f.codec.verify(f.codec.sign(c));
    RC_ASSERT(r.has_value());
    RC_ASSERT(*r == c);
}

// A byte different from original, chosen by seed: any other byte, another token-alphabet
// character, or the character whose 6-bit value differs in one bit (which probes the unused
// trailing bits at the end of each segment).
char replacement(char original, std::uint16_t seed)
{
    const auto value = k_alphabet.find(original);
    const unsigned pick = seed / 3u;  // up to 21845: every other byte value is reachable
    switch (seed % 3u) {
        case 0:
            return static_cast<char>(original ^ static_cast<char>(1 + pick % 255));
        case 1: {
            const char c = k_alphabet[pick % k_alphabet.size()];
            return c != original ? c : k_alphabet[(pick + 1) % k_alphabet.size()];
        }
        default:
            return value < 64 ? k_alphabet[value ^ (std::size_t{1} << (pick % 6))] : static_cast<char>(original ^ 1);
    }
}

RC_GTEST_PROP(jwt_property, any_single_byte_change_fails, ())
{
    const fixture f;
    // Smaller claims keep this O(token length) property quick under sanitizers.
    const std::string token = f.codec.sign(*rc::gen::resize(40, rc::gen::exec(arbitrary_valid_claims)));
    const auto seeds =
        *rc::gen::container<std::vector<std::uint16_t>>(token.size(), rc::gen::arbitrary<std::uint16_t>());
    // Every position of the token, each with its own replacement byte.
    for (std::size_t pos = 0; pos < token.size(); ++pos) {
        std::string changed = token;
        changed[pos] = replacement(token[pos], seeds[pos]);
        RC_ASSERT(changed[pos] != token[pos]);
        if (f.codec.verify(changed).has_value())
            RC_FAIL("accepted a change at position " + std::to_string(pos) + ": " + changed);
    }
}

RC_GTEST_PROP(jwt_property, truncation_fails, ())
{
    const fixture f;
    const std::string token = f.codec.sign(arbitrary_valid_claims());
    const auto len = *rc::gen::inRange<std::size_t>(0, token.size());
    RC_ASSERT_FALSE(f.codec.verify(token.substr(0, len)).has_value());
    RC_ASSERT_FALSE(f.codec.verify(token.substr(token.size() - len)).has_value());
    RC_ASSERT_FALSE(f.codec.decode_for_refresh(token.substr(0, len)).has_value());
}

RC_GTEST_PROP(jwt_property, time_window_follows_the_rule, ())
{
    util::manual_clock clock{k_now * 1000};
    const int leeway = *rc::gen::inRange(0, 31);
    const jwt_codec codec{"property-secret", "spotik", clock, leeway};
    const jwt_claims c{"sub",
                       new_jti(),
                       k_now,
                       *rc::gen::inRange(k_now - 50, k_now + 50),
                       *rc::gen::inRange(k_now - 50, k_now + 50),
                       "spotik",
                       "",
                       ""};
    const auto r = codec.verify(codec.sign(c));
    const bool expired = c.exp <= k_now - leeway;
    const bool early = c.nbf > k_now + leeway;
    RC_ASSERT(r.has_value() == (!expired && !early));
    if (expired)
        RC_ASSERT(r.error() == jwt_error::expired);
    else if (early)
        RC_ASSERT(r.error() == jwt_error::not_yet_valid);
    const auto refresh = codec.decode_for_refresh(codec.sign(c));
    RC_ASSERT(refresh.has_value() == !early);
}

}  // namespace
}  // namespace spotik::auth
