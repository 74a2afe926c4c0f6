// Route matching. Literal segments win over parameters, so /api/rooms/manager/status is
// never taken for a room id, whatever the registration order.
#include "http/router.hpp"

#include "util/utf8.hpp"

#include <algorithm>
#include <stdexcept>

namespace spotik::http {
namespace {

std::vector<std::string> split_path(std::string_view path)
{
    std::vector<std::string> out;
    std::size_t pos = 0;
    if (!path.empty() && path.front() == '/') pos = 1;
    while (pos <= path.size()) {
        auto next = path.find('/', pos);
        if (next == std::string_view::npos) next = path.size();
        out.emplace_back(path.substr(pos, next - pos));
        pos = next + 1;
    }
    return out;
}

bool is_param(const std::string& s) { return s.size() > 2 && s.front() == '{' && s.back() == '}'; }
bool is_tail(const std::string& s) { return is_param(s) && s.size() > 5 && s.ends_with("...}"); }
std::string param_name(const std::string& s)
{
    return is_tail(s) ? s.substr(1, s.size() - 5) : s.substr(1, s.size() - 2);
}

// Returns -1 if the pattern does not match, else the number of literal segments matched.
int match_segments(const route& r, const std::vector<std::string>& parts,
                   std::map<std::string, std::string, std::less<>>& params)
{
    const auto& segs = r.segments;
    int literals = 0;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        if (is_tail(segs[i])) {
            if (i >= parts.size()) return -1;
            std::string rest;
            for (std::size_t j = i; j < parts.size(); ++j) rest += (j == i ? "" : "/") + parts[j];
            if (rest.empty()) return -1;
            params[param_name(segs[i])] = rest;
            return literals;
        }
        if (i >= parts.size()) return -1;
        if (is_param(segs[i])) {
            if (parts[i].empty()) return -1;
            params[param_name(segs[i])] = parts[i];
        } else if (segs[i] == parts[i]) {
            ++literals;
        } else {
            return -1;
        }
    }
    return parts.size() == segs.size() ? literals : -1;
}

}  // namespace

void router::add(std::string method, std::string pattern, handler fn, route_options options)
{
    if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument("route pattern must start with /");
    route r{std::move(method), pattern, split_path(pattern), std::move(fn), std::move(options)};
    routes_.push_back(std::move(r));
}

match_result router::match(std::string_view method, std::string_view path) const
{
    auto parts = split_path(path);
    match_result best;
    int best_score = -1;
    int best_any_score = -1;
    std::vector<std::string> allowed;
    for (const auto& r : routes_) {
        std::map<std::string, std::string, std::less<>> params;
        int score = match_segments(r, parts, params);
        if (score < 0) continue;
        if (score > best_any_score) {
            best_any_score = score;
            allowed.clear();
        }
        if (score == best_any_score) allowed.push_back(r.method);
    }
    // Only routes of the most specific matching pattern count.
    for (const auto& r : routes_) {
        std::map<std::string, std::string, std::less<>> params;
        int score = match_segments(r, parts, params);
        if (score != best_any_score || score < 0) continue;
        bool ok = r.method == method || (method == "HEAD" && r.method == "GET");
        if (ok && (best.found == nullptr || r.method == method) && score >= best_score) {
            best.found = &r;
            best.params = std::move(params);
            best_score = score;
        }
    }
    if (std::find(allowed.begin(), allowed.end(), "GET") != allowed.end() &&
        std::find(allowed.begin(), allowed.end(), "HEAD") == allowed.end())
        allowed.push_back("HEAD");
    best.allowed = std::move(allowed);
    best.method_not_allowed = best.found == nullptr && best_any_score >= 0;
    return best;
}

reply unrouted(const request& req, const match_result& m)
{
    const std::string path = util::valid_utf8(req.path);
    if (m.method_not_allowed) {
        std::string allow;
        for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
        auto rep =
            json(405, {{"success", false},
                       {"message", "The " + util::valid_utf8(req.method) + " method is not supported for route " +
                                       path + ". Supported methods: " + allow + "."},
                       {"error", "Method not allowed"}});
        rep.set("Allow", allow);
        return rep;
    }
    std::string route_name = path.size() > 1 && path.front() == '/' ? path.substr(1) : path;
    return json(404, {{"message", "The route " + route_name + " could not be found."},
                      {"error", "Endpoint not found"},
                      {"path", path}});
}

}  // namespace spotik::http
