// HS256 JSON Web Tokens (contract §4.6): signing and strict, constant-time verification.
// Verification failures are values (jwt_error); the constructor and sign() throw
// std::invalid_argument for unusable input and std::runtime_error if OpenSSL fails.
#pragma once
#include "util/clock.hpp"

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace spotik::auth {

// Times are seconds since the Unix epoch. username and email are optional (empty = absent).
struct jwt_claims {
    std::string sub;
    std::string jti;
    std::int64_t iat = 0, nbf = 0, exp = 0;
    std::string iss;
    std::string username;
    std::string email;

    bool operator==(const jwt_claims&) const = default;
};

enum class jwt_error {
    none,
    malformed,       // not three canonical base64url segments, bad JSON, too long
    bad_signature,   // HMAC does not match
    bad_header,      // header not an object, alg not exactly HS256, typ not JWT, crit present
    bad_issuer,      // iss differs from the configured issuer
    expired,         // exp <= now - leeway
    not_yet_valid,   // nbf > now + leeway
    missing_claims,  // sub/jti/iss/iat/nbf/exp absent, empty or of the wrong type
};

std::string_view to_string(jwt_error e) noexcept;

// Found by ADL when result<..., jwt_error>::value() is called on an error; throws std::runtime_error.
[[noreturn]] void throw_exception_from_error(const jwt_error& e, const boost::source_location& loc);

using jwt_result = boost::system::result<jwt_claims, jwt_error>;

// Tokens longer than this are rejected by verify() and refused by sign().
inline constexpr std::size_t k_max_token_bytes = 8192;

class jwt_codec {
public:
    // secret must be non-empty and leeway_s in [0, 300]; the clock must outlive the codec.
    jwt_codec(std::string secret, std::string issuer, const util::clock& clk, int leeway_s = 0);

    // Header {"alg":"HS256","typ":"JWT"}. The payload's iss is always the configured issuer
    // (claims.iss is ignored). Throws std::invalid_argument if sub or jti is empty, a string is
    // not valid UTF-8, or the token would exceed k_max_token_bytes.
    std::string sign(const jwt_claims& claims) const;

    // Full validation: structure, header, signature, claims, issuer, exp and nbf with leeway.
    jwt_result verify(std::string_view token) const;

    // As verify() but an expired exp is accepted; the caller checks the refresh window (iat).
    jwt_result decode_for_refresh(std::string_view token) const;

private:
    jwt_result check(std::string_view token, bool allow_expired) const;
    std::string mac(std::string_view signing_input) const;

    std::string secret_;
    std::string issuer_;
    const util::clock& clock_;
    std::int64_t leeway_s_;
    // HMAC-SHA256 keyed with the secret once; each signature works on a copy of it, so threads
    // share it and no call fetches the algorithm or hashes the key again.
    std::shared_ptr<const evp_mac_ctx_st> keyed_;
};

// A fresh token id: 32 lower-case hex characters (128 random bits).
std::string new_jti();

}  // namespace spotik::auth
