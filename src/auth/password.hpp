// bcrypt password hashing through libxcrypt (contract §4.7): writes $2b$, verifies $2a$/$2b$/$2y$.
// hash_password throws std::invalid_argument (NUL byte, cost outside 4..31) or std::runtime_error
// (libxcrypt failure); verify_password and is_supported_hash never throw on bad input.
#pragma once
#include <string>
#include <string_view>

namespace spotik::auth {

// A "$2b$<cost>$..." hash with a fresh random salt. bcrypt reads only the first 72 bytes of the
// password; longer passwords are accepted and truncated (as L and R do).
std::string hash_password(std::string_view password, int cost);

// True when password matches hash. False for a malformed or unsupported hash and for a password
// containing a NUL byte (such a password can never have been hashed). Thread-safe.
bool verify_password(std::string_view password, std::string_view hash);

// True for a well-formed 60-character "$2a$", "$2b$" or "$2y$" hash with cost 04..31.
bool is_supported_hash(std::string_view hash);

}  // namespace spotik::auth
