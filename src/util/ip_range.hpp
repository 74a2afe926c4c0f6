// Addresses and CIDR ranges (IPv4 and IPv6) for TRUSTED_PROXIES: parsing a comma-separated list
// and testing whether a textual address falls in one of the ranges; and listening addresses as
// URLs show them. IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d) match IPv4 ranges. Nothing here throws except std::bad_alloc.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spotik::util {

struct ip_address {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as ::ffff:a.b.c.d
    bool v4 = false;
};

struct ip_range {
    ip_address base;
    int prefix = 128;  // over the 16-byte form (an IPv4 /24 is stored as /120)
    bool contains(const ip_address& a) const;
};

// 0.0.0.0 or ::, a listening address that stands for every interface.
bool is_unspecified(std::string_view host);
// "host:port" as a URL or a Host header writes it: an IPv6 address in brackets.
std::string url_authority(std::string_view host, unsigned short port);

// "1.2.3.4", "::1", "[::1]", "::ffff:1.2.3.4"; nullopt when not an address.
std::optional<ip_address> parse_ip(std::string_view text);
// "10.0.0.0/8", "fd00::/8" or a single address; nullopt when malformed (bits beyond the prefix
// are allowed and ignored).
std::optional<ip_range> parse_ip_range(std::string_view text);

class ip_range_list {
public:
    // Comma or space separated entries; returns the first bad entry's problem, or nullopt.
    static std::optional<std::string> parse(std::string_view text, ip_range_list& out);
    bool contains(std::string_view address) const;
    bool contains(const ip_address& a) const;
    bool empty() const { return ranges_.empty(); }

private:
    std::vector<ip_range> ranges_;
};

}  // namespace spotik::util
