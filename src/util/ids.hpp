// Identifiers and random tokens: random v4 UUIDs (lower-case, 36 characters) and hex strings,
// both from OpenSSL's CSPRNG. Throws std::runtime_error if the CSPRNG fails.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace spotik::util {

std::string new_uuid();
// True for a canonical 8-4-4-4-12 hex UUID (either case).
bool is_uuid(std::string_view text);
// Lower-cases a UUID for lookup; callers check is_uuid first.
std::string normalize_uuid(std::string_view text);
// n random bytes as 2n lower-case hex characters.
std::string random_hex(std::size_t n_bytes);
// 16 hex characters from a per-thread generator seeded by the CSPRNG: unique enough for
// request and connection ids, cheap enough for every request; never for secrets.
std::string fast_hex64();

}  // namespace spotik::util
