// bcrypt via libxcrypt's re-entrant API (crypt_gensalt_rn / crypt_rn with a per-call crypt_data),
// so hashing and verification are thread-safe. Throws std::invalid_argument / std::runtime_error
// from hash_password only.
#include "auth/password.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <array>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace spotik::auth {
namespace {

constexpr std::size_t k_hash_length = 60;  // "$2b$12$" + 22 salt + 31 hash characters
constexpr int k_min_cost = 4;
constexpr int k_max_cost = 31;
// bcrypt keys on a password's first 72 bytes and ignores the rest (PHP's password_hash too);
// libxcrypt refuses passphrases of 512 bytes or more, so only those 72 are handed over.
constexpr std::size_t k_key_bytes = 72;

bool is_bcrypt_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
}

// crypt_rn into a heap crypt_data (it is ~32 KiB): the hash, or empty on failure.
std::string run_crypt(std::string_view password, const std::string& setting)
{
    const std::string phrase(password.substr(0, k_key_bytes));
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
    // libxcrypt signals failure with nullptr here; a leading '*' is the failure token of crypt_r.
    if (out == nullptr || out[0] == '*') return {};
    return {out};
}

}  // namespace

std::string hash_password(std::string_view password, int cost)
{
    if (password.find('\0') != std::string_view::npos)
        throw std::invalid_argument("password must not contain NUL bytes");
    if (cost < k_min_cost || cost > k_max_cost) throw std::invalid_argument("bcrypt cost must be within 4..31");
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
    if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt.data(),
                         static_cast<int>(salt.size())) == nullptr)
        throw std::runtime_error("bcrypt salt generation failed");
    std::string hash = run_crypt(password, std::string(salt.data()));
    if (hash.size() != k_hash_length) throw std::runtime_error("bcrypt hashing failed");
    return hash;
}

bool verify_password(std::string_view password, std::string_view hash)
{
    if (!is_supported_hash(hash) || password.find('\0') != std::string_view::npos) return false;
    const std::string computed = run_crypt(password, std::string(hash));
    // Lengths are public (always 60 for a good hash); the contents are compared in constant time.
    return computed.size() == hash.size() && CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

bool is_supported_hash(std::string_view hash)
{
    if (hash.size() != k_hash_length || hash.substr(0, 2) != "$2") return false;
    if ((hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$' || hash[6] != '$') return false;
    if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') return false;
    const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
    if (cost < k_min_cost || cost > k_max_cost) return false;
    for (char c : hash.substr(7))
        if (!is_bcrypt_char(c)) return false;
    return true;
}

}  // namespace spotik::auth
