// Identifiers and random tokens: random v4 UUIDs (lower-case, 36 characters) and hex strings,
// both from OpenSSL's CSPRNG. Throws std::runtime_error if the CSPRNG fails.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
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

// An id of up to 36 characters (a UUID, a hex id) kept inside its owner rather than in a heap
// block of its own: each of 15 000 open WebSockets keeps a few for its whole life.
class inline_id {
public:
    static constexpr std::size_t capacity = 36;
    inline_id() = default;
    // Throws std::length_error for more than `capacity` characters.
    explicit inline_id(std::string_view text);
    std::string_view view() const { return {chars_.data(), size_}; }
    std::string str() const { return std::string(view()); }
    bool operator==(const inline_id& other) const { return view() == other.view(); }

private:
    std::array<char, capacity> chars_{};
    std::uint8_t size_ = 0;
};

}  // namespace spotik::util
