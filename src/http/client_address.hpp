// The address of the client behind a request (TRUSTED_PROXIES): the TCP peer, unless the peer
// is a trusted proxy, in which case X-Forwarded-For is read from the right, skipping trusted
// hops, and the first untrusted hop is the client (X-Real-IP when there is no X-Forwarded-For).
// A header from an untrusted peer is ignored, so clients cannot choose their address.
#pragma once
#include "util/ip_range.hpp"

#include <string>
#include <string_view>

namespace spotik::http {

std::string client_address(std::string_view peer, std::string_view forwarded_for, std::string_view real_ip,
                           const util::ip_range_list& trusted);

}  // namespace spotik::http
