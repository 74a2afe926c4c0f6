// UUID and random-hex generation on OpenSSL RAND_bytes.
#include "util/ids.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <stdexcept>

namespace spotik::util {
namespace {

void fill_random(unsigned char* out, std::size_t n)
{
    if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("random source unavailable");
}

std::string to_hex(const unsigned char* data, std::size_t n)
{
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(k_hex[data[i] >> 4]);
        out.push_back(k_hex[data[i] & 0x0f]);
    }
    return out;
}

}  // namespace

std::string new_uuid()
{
    std::array<unsigned char, 16> b{};
    fill_random(b.data(), b.size());
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    std::string hex = to_hex(b.data(), b.size());
    return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' + hex.substr(16, 4) + '-' +
           hex.substr(20);
}

bool is_uuid(std::string_view t)
{
    if (t.size() != 36) return false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (t[i] != '-') return false;
        } else if (!std::isxdigit(static_cast<unsigned char>(t[i]))) {
            return false;
        }
    }
    return true;
}

std::string normalize_uuid(std::string_view t)
{
    std::string out(t);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string fast_hex64()
{
    thread_local std::uint64_t state = [] {
        std::uint64_t seed = 0;
        fill_random(reinterpret_cast<unsigned char*>(&seed), sizeof seed);
        return seed;
    }();
    // splitmix64
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(z >> (8 * i));
    return to_hex(bytes, 8);
}

std::string random_hex(std::size_t n_bytes)
{
    std::string buf(n_bytes, '\0');
    fill_random(reinterpret_cast<unsigned char*>(buf.data()), n_bytes);
    return to_hex(reinterpret_cast<const unsigned char*>(buf.data()), n_bytes);
}

inline_id::inline_id(std::string_view text)
{
    if (text.size() > capacity) throw std::length_error("an id of more than 36 characters");
    std::copy(text.begin(), text.end(), chars_.begin());
    size_ = static_cast<std::uint8_t>(text.size());
}

}  // namespace spotik::util
