// Client address from trusted proxy headers.
#include "http/client_address.hpp"

namespace spotik::http {
namespace {

std::string_view trim(std::string_view s)
{
    auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

}  // namespace

std::string client_address(std::string_view peer, std::string_view forwarded_for, std::string_view real_ip,
                           const util::ip_range_list& trusted)
{
    if (trusted.empty() || !trusted.contains(peer)) return std::string(peer);
    if (!trim(forwarded_for).empty()) {
        std::string_view current = peer;
        std::size_t end = forwarded_for.size();
        for (;;) {
            auto comma = forwarded_for.rfind(',', end == 0 ? 0 : end - 1);
            std::size_t start = comma == std::string_view::npos || end == 0 ? 0 : comma + 1;
            auto hop = trim(forwarded_for.substr(start, end - start));
            auto address = util::parse_ip(hop);
            if (!address) break;  // a malformed hop: keep the last address a trusted proxy vouched for
            current = hop;
            if (!trusted.contains(*address) || start == 0) break;
            end = comma;
        }
        if (current.size() > 2 && current.front() == '[') current = current.substr(1, current.size() - 2);
        return std::string(current);
    }
    auto real = trim(real_ip);
    if (util::parse_ip(real)) return std::string(real);
    return std::string(peer);
}

}  // namespace spotik::http
