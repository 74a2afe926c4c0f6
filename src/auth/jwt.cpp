// HS256 JWT signing and verification on OpenSSL HMAC and Boost.JSON, with a strict, canonical
// base64url codec so that every distinct token string is a distinct (header, payload, signature).
// Throws std::invalid_argument for unusable configuration or claims, std::runtime_error if
// OpenSSL fails; verification outcomes are values.
#include "auth/jwt.hpp"

#include "util/ids.hpp"
#include "util/utf8.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <boost/json.hpp>

#include <array>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace spotik::auth {
namespace {

namespace json = boost::json;

constexpr std::size_t k_sig_bytes = 32;  // SHA-256
constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr unsigned char k_invalid = 0xff;

constexpr std::array<unsigned char, 256> make_decode_table()
{
    std::array<unsigned char, 256> t{};
    for (auto& v : t) v = k_invalid;
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(k_alphabet[i])] = static_cast<unsigned char>(i);
    return t;
}
constexpr auto k_decode = make_decode_table();

std::string b64url_encode(std::string_view in)
{
    std::string out;
    out.reserve((in.size() * 4 + 2) / 3);
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

// Unpadded base64url. Rejects foreign characters, impossible lengths and non-zero trailing bits,
// so each byte string has exactly one accepted encoding.
std::optional<std::string> b64url_decode(std::string_view in)
{
    if (in.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(in.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        const unsigned char v = k_decode[static_cast<unsigned char>(c)];
        if (v == k_invalid) return std::nullopt;
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xffu));
        }
        acc &= (1u << bits) - 1u;
    }
    if (acc != 0) return std::nullopt;
    return out;
}

std::optional<json::object> parse_object(std::string_view text)
{
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

bool header_ok(const json::object& h)
{
    const auto* alg = h.if_contains("alg");
    if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS256") return false;
    if (const auto* typ = h.if_contains("typ"); typ != nullptr && (!typ->is_string() || typ->get_string() != "JWT"))
        return false;
    // RFC 7515 §4.1.11: we understand no extensions, so any "crit" is fatal.
    return !h.contains("crit");
}

bool read_string(const json::object& o, std::string_view key, std::string& out, bool required)
{
    const auto* v = o.if_contains(key);
    if (v == nullptr) return !required;
    if (!v->is_string()) return false;
    out.assign(v->get_string().data(), v->get_string().size());
    return true;
}

bool read_int(const json::object& o, std::string_view key, std::int64_t& out)
{
    const auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_int64()) return false;
    out = v->get_int64();
    return true;
}

bool read_claims(const json::object& o, jwt_claims& c)
{
    return read_string(o, "sub", c.sub, true) && !c.sub.empty() && read_string(o, "jti", c.jti, true) &&
           !c.jti.empty() && read_string(o, "iss", c.iss, true) && read_int(o, "iat", c.iat) &&
           read_int(o, "nbf", c.nbf) && read_int(o, "exp", c.exp) && read_string(o, "username", c.username, false) &&
           read_string(o, "email", c.email, false);
}

const std::string& encoded_header()
{
    static const std::string h = b64url_encode(R"({"alg":"HS256","typ":"JWT"})");
    return h;
}

}  // namespace

std::string_view to_string(jwt_error e) noexcept
{
    switch (e) {
        case jwt_error::none:
            return "none";
        case jwt_error::malformed:
            return "malformed";
        case jwt_error::bad_signature:
            return "bad_signature";
        case jwt_error::bad_header:
            return "bad_header";
        case jwt_error::bad_issuer:
            return "bad_issuer";
        case jwt_error::expired:
            return "expired";
        case jwt_error::not_yet_valid:
            return "not_yet_valid";
        case jwt_error::missing_claims:
            return "missing_claims";
    }
    return "unknown";
}

void throw_exception_from_error(const jwt_error& e, const boost::source_location& /*loc*/)
{
    throw std::runtime_error("jwt: " + std::string(to_string(e)));
}

namespace {

using mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)>;

std::shared_ptr<const EVP_MAC_CTX> keyed_hmac_sha256(const std::string& secret)
{
    std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr), &EVP_MAC_free);
    if (!hmac) throw std::runtime_error("HMAC unavailable");
    mac_ctx_ptr ctx(EVP_MAC_CTX_new(hmac.get()), &EVP_MAC_CTX_free);  // keeps its own reference to hmac
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (!ctx ||
        EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params) != 1)
        throw std::runtime_error("HMAC-SHA256 set-up failed");
    return {ctx.release(), &EVP_MAC_CTX_free};
}

}  // namespace

jwt_codec::jwt_codec(std::string secret, std::string issuer, const util::clock& clk, int leeway_s)
    : secret_(std::move(secret)), issuer_(std::move(issuer)), clock_(clk), leeway_s_(leeway_s)
{
    if (secret_.empty()) throw std::invalid_argument("jwt secret must not be empty");
    if (issuer_.empty()) throw std::invalid_argument("jwt issuer must not be empty");
    if (leeway_s < 0 || leeway_s > 300) throw std::invalid_argument("jwt leeway must be within [0, 300] s");
    keyed_ = keyed_hmac_sha256(secret_);
}

std::string jwt_codec::mac(std::string_view signing_input) const
{
    mac_ctx_ptr ctx(EVP_MAC_CTX_dup(keyed_.get()), &EVP_MAC_CTX_free);
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    std::size_t len = 0;
    if (!ctx ||
        EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) !=
            1 ||
        EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != k_sig_bytes)
        throw std::runtime_error("HMAC-SHA256 failed");
    return {reinterpret_cast<const char*>(out.data()), len};
}

std::string jwt_codec::sign(const jwt_claims& c) const
{
    if (c.sub.empty() || c.jti.empty()) throw std::invalid_argument("jwt sub and jti must not be empty");
    // Checked at signing time so that a signed token always verifies (Boost.JSON's parser
    // demands strict UTF-8).
    for (const auto* s : {&c.sub, &c.jti, &c.username, &c.email})
        if (!util::is_valid_utf8(*s)) throw std::invalid_argument("jwt claim is not valid UTF-8");
    json::object p;
    p["sub"] = c.sub;
    p["jti"] = c.jti;
    p["iss"] = issuer_;
    p["iat"] = c.iat;
    p["nbf"] = c.nbf;
    p["exp"] = c.exp;
    if (!c.username.empty()) p["username"] = c.username;
    if (!c.email.empty()) p["email"] = c.email;
    std::string token = encoded_header() + '.' + b64url_encode(json::serialize(p));
    token += '.' + b64url_encode(mac(token));
    if (token.size() > k_max_token_bytes) throw std::invalid_argument("jwt would exceed the size limit");
    return token;
}

jwt_result jwt_codec::verify(std::string_view token) const
{
    return check(token, false);
}

jwt_result jwt_codec::decode_for_refresh(std::string_view token) const
{
    return check(token, true);
}

jwt_result jwt_codec::check(std::string_view token, bool allow_expired) const
{
    if (token.empty() || token.size() > k_max_token_bytes) return jwt_error::malformed;
    const auto d1 = token.find('.');
    const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) return jwt_error::malformed;
    const auto header = b64url_decode(token.substr(0, d1));
    const auto payload = b64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
    const auto sig = b64url_decode(token.substr(d2 + 1));
    if (!header || !payload || !sig) return jwt_error::malformed;

    const auto h = parse_object(*header);
    if (!h || !header_ok(*h)) return jwt_error::bad_header;
    // Constant-time compare over the exact bytes received (decoding above is canonical).
    const std::string expected = mac(token.substr(0, d2));
    if (sig->size() != expected.size() || CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0)
        return jwt_error::bad_signature;

    const auto p = parse_object(*payload);
    if (!p) return jwt_error::malformed;
    jwt_claims claims;
    if (!read_claims(*p, claims)) return jwt_error::missing_claims;
    if (claims.iss != issuer_) return jwt_error::bad_issuer;
    const std::int64_t now = clock_.now_s();
    if (!allow_expired && claims.exp <= now - leeway_s_) return jwt_error::expired;
    if (claims.nbf > now + leeway_s_) return jwt_error::not_yet_valid;
    return claims;
}

std::string new_jti()
{
    return util::random_hex(16);
}

}  // namespace spotik::auth
