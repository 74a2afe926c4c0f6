// IP address and CIDR parsing with inet_pton.
#include "util/ip_range.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace spotik::util {

bool is_unspecified(std::string_view host)
{
    return host == "0.0.0.0" || host == "::";
}

std::string url_authority(std::string_view host, unsigned short port)
{
    const bool v6 = host.find(':') != std::string_view::npos;
    return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

std::optional<ip_address> parse_ip(std::string_view text)
{
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() > 45) return std::nullopt;
    std::string s(text);
    ip_address out;
    in_addr v4{};
    if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        out.bytes[10] = out.bytes[11] = 0xff;
        std::memcpy(out.bytes.data() + 12, &v4, 4);
        out.v4 = true;
        return out;
    }
    in6_addr v6{};
    if (::inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::nullopt;
    std::memcpy(out.bytes.data(), &v6, 16);
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    out.v4 = std::memcmp(out.bytes.data(), mapped, 12) == 0;
    return out;
}

bool ip_range::contains(const ip_address& a) const
{
    int bits = prefix;
    for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
        std::uint8_t mask = bits >= 8 ? 0xff : std::uint8_t(0xff << (8 - bits));
        if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
    }
    return true;
}

std::optional<ip_range> parse_ip_range(std::string_view text)
{
    auto slash = text.find('/');
    auto addr = parse_ip(text.substr(0, slash));
    if (!addr) return std::nullopt;
    ip_range r{*addr, 128};
    if (slash == std::string_view::npos) return r;
    auto digits = text.substr(slash + 1);
    int bits = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    int max = addr->v4 ? 32 : 128;
    if (bits < 0 || bits > max) return std::nullopt;
    r.prefix = addr->v4 ? bits + 96 : bits;
    return r;
}

std::optional<std::string> ip_range_list::parse(std::string_view text, ip_range_list& out)
{
    ip_range_list list;
    std::size_t i = 0;
    while (i < text.size()) {
        auto end = text.find_first_of(", \t", i);
        if (end == std::string_view::npos) end = text.size();
        auto item = text.substr(i, end - i);
        i = end + 1;
        if (item.empty()) continue;
        auto r = parse_ip_range(item);
        if (!r) return "\"" + std::string(item.substr(0, 64)) + "\" is not an IP address or CIDR range";
        list.ranges_.push_back(*r);
    }
    out = std::move(list);
    return std::nullopt;
}

bool ip_range_list::contains(const ip_address& a) const
{
    for (const auto& r : ranges_)
        if (r.contains(a)) return true;
    return false;
}

bool ip_range_list::contains(std::string_view address) const
{
    auto a = parse_ip(address);
    return a && contains(*a);
}

}  // namespace spotik::util
