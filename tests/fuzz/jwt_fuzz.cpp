// Fuzz target: JWT decoding and verification (auth/jwt). Input, either
// - a token as a client sends it (no newline), or
// - "<header JSON>\n<payload JSON>": the harness encodes and signs these with the codec's secret,
//   so that the claim checks behind the signature are reached too.
// Invariants: an accepted token has every required claim, our issuer and a valid time window;
// decode_for_refresh accepts whatever verify accepts, with the same claims; re-signing the
// claims gives a token that verifies to the same claims.
#include "auth/jwt.hpp"
#include "support.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

using namespace spotik;

namespace {

constexpr std::string_view k_secret = "fuzz-secret-0123456789abcdef0123456789";
constexpr int k_leeway_s = 30;

std::string b64url(std::string_view in)
{
    static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : in) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(k_alphabet[(acc >> bits) & 63u]);
        }
        acc &= (1u << bits) - 1u;
    }
    if (bits > 0) out.push_back(k_alphabet[(acc << (6 - bits)) & 63u]);
    return out;
}

std::string signed_token(std::string_view header, std::string_view payload)
{
    std::string token = b64url(header) + "." + b64url(payload);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), k_secret.data(), static_cast<int>(k_secret.size()),
         reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac.data(), &len);
    return token + "." + b64url({reinterpret_cast<const char*>(mac.data()), len});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const util::manual_clock clock{1'700'000'000'000};
    static const auth::jwt_codec codec{std::string(k_secret), "spotik", clock, k_leeway_s};

    const std::string_view input = fuzz::as_text(data, size);
    const auto eol = input.find('\n');
    const std::string token =
        eol == std::string_view::npos ? std::string(input) : signed_token(input.substr(0, eol), input.substr(eol + 1));

    const auto verified = codec.verify(token);
    const auto for_refresh = codec.decode_for_refresh(token);
    if (!verified) {
        fuzz::check(verified.error() != auth::jwt_error::none, "an error of kind none");
        // Refresh skips only the expiry check: past it, the same error (or a later check's).
        if (verified.error() != auth::jwt_error::expired)
            fuzz::check(!for_refresh && for_refresh.error() == verified.error(), "verify and refresh disagree", token);
        else if (!for_refresh)
            fuzz::check(for_refresh.error() == auth::jwt_error::not_yet_valid, "refresh refuses an expired token",
                        token);
        return 0;
    }
    fuzz::check(for_refresh && *for_refresh == *verified, "refresh refuses what verify accepts", token);
    const auto& c = *verified;
    const std::int64_t now = clock.now_s();
    fuzz::check(!c.sub.empty() && !c.jti.empty(), "accepted without sub or jti", token);
    fuzz::check(c.iss == "spotik", "accepted with another issuer", token);
    fuzz::check(c.exp > now - k_leeway_s && c.nbf <= now + k_leeway_s, "accepted outside its time window", token);

    std::string again;
    try {
        again = codec.sign(c);
    } catch (const std::invalid_argument& e) {
        // Re-encoding may legitimately grow past the size limit (escapes); nothing else may fail.
        fuzz::check(std::string_view(e.what()).find("size limit") != std::string_view::npos,
                    "accepted claims cannot be signed again", e.what());
        return 0;
    }
    const auto round_trip = codec.verify(again);
    fuzz::check(round_trip && *round_trip == c, "re-signed claims differ", again);
    return 0;
}
