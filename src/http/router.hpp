// The route table: (method, path pattern) -> handler, with per-route options. Patterns are
// '/'-separated literals and {name} parameters; a final {name...} takes the rest of the path.
// match() tells a 404 (no path matches) from a 405 (path matches, method does not).
#pragma once
#include "http/reply.hpp"
#include "http/request.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spotik::http {

enum class auth_mode { none, optional, required };
// Where the handler runs: on the io thread (pure, non-blocking work only) or on the
// blocking pool (anything that touches the database, the disk or bcrypt).
enum class run_on { io, pool };
// How the request body is received: in memory (bounded by HTTP_MAX_BODY_BYTES) or
// streamed to a temporary file (uploads, bounded by the route's max_body).
enum class body_mode { memory, file };

using handler = std::function<reply(request&)>;
// A check of the header alone, before the body is read: a reply refuses the request.
using precheck = std::function<std::optional<reply>(request&)>;

struct route_options {
    auth_mode auth = auth_mode::required;
    run_on where = run_on::pool;
    body_mode body = body_mode::memory;
    std::uint64_t max_body = 0;  // 0: the server's default limit
    bool rate_limited = true;
    // Runs on the blocking pool before the body is read, so that a request refused anyway (a
    // caller without a valid token, or who may not upload here) is not received whole first.
    precheck before_body;
    std::string summary;
    std::string tag;
};

struct route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    handler fn;
    route_options options;
};

struct match_result {
    const route* found = nullptr;
    std::map<std::string, std::string, std::less<>> params;
    bool method_not_allowed = false;
    std::vector<std::string> allowed;  // methods accepted on the path (for 405 and OPTIONS)
};

class router {
public:
    void add(std::string method, std::string pattern, handler fn, route_options options = {});
    // HEAD falls back to the GET route of the same path.
    match_result match(std::string_view method, std::string_view path) const;
    const std::vector<route>& routes() const { return routes_; }

private:
    std::vector<route> routes_;
};

// The answer to a request that no route takes (OPTIONS aside): 405 with Allow when the path
// matches other methods, else 404 (CONTRACT §0.5). The path is percent-decoded client bytes, so
// it is quoted as valid UTF-8.
reply unrouted(const request& req, const match_result& m);

}  // namespace spotik::http
