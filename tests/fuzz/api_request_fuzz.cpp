// Fuzz target: HTTP requests through the router and every handler that reads a body or a
// path parameter (api/*: auth, rooms, tracks and uploads, votes, playback), over the real
// services and a SQLite store (app_fixture.hpp), plus the request plumbing the session applies
// to every request (request ids, CORS, client address, body framing and Host checks).
// Input: up to 4 requests separated by a line "%%", each written like HTTP/1.1:
//   POST /api/rooms/{room}/playback/seek
//   authorization: Bearer {admin_token}
//   content-type: application/json
//
//   {"position": 12.5}
// Placeholders are those of app_fixture. The state is reset before every input.
// Invariants: no exception escapes a handler (the server would answer 500), every status is
// one the contract uses, every body is a JSON object, no header value carries CR, LF or NUL.
#include "app_fixture.hpp"
#include "http/client_address.hpp"
#include "http/middleware.hpp"
#include "support.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>

using namespace spotik;

namespace {

constexpr std::size_t k_max_requests = 4;

// "METHOD path?query" line, header lines, a blank line, the body.
http::request parse_request(std::string_view text)
{
    http::request req;
    auto next_line = [&] {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (line.ends_with('\r')) line.remove_suffix(1);
        return line;
    };
    const std::string_view first = next_line();
    const auto space = first.find(' ');
    req.method = std::string(first.substr(0, space));
    req.target = space == std::string_view::npos ? "/" : std::string(first.substr(space + 1));
    const auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) {
        std::string_view query = std::string_view(req.target).substr(q + 1);
        while (!query.empty()) {
            const auto amp = query.find('&');
            const auto pair = query.substr(0, amp);
            const auto eq = pair.find('=');
            req.query.emplace(std::string(pair.substr(0, eq)),
                              eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
            query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        }
    }
    while (!text.empty()) {
        const std::string_view line = next_line();
        if (line.empty()) break;
        const auto colon = line.find(':');
        std::string name(line.substr(0, colon));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
        while (value.starts_with(' ')) value.remove_prefix(1);
        req.headers.emplace_back(std::move(name), std::string(value));
    }
    req.body = std::string(text);
    req.remote_addr = "10.1.2.3";
    req.received_at_ms = 1'700'000'000'000;
    return req;
}

void check_reply(const http::reply& r, std::string_view request)
{
    static constexpr std::array k_statuses{200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 422, 507};
    fuzz::check(std::find(k_statuses.begin(), k_statuses.end(), r.status) != k_statuses.end(),
                "a status the contract does not use: " + std::to_string(r.status), request);
    fuzz::check(!r.file, "a JSON route answered with a file", request);
    fuzz::check(fuzz::is_json_object(r.body), "a body that is not a JSON object", r.body);
    for (const auto& [name, value] : r.headers)
        fuzz::check(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos,
                    "a header value with CR, LF or NUL", name);
}

// What the session does around the handler, on the same untrusted headers.
void session_plumbing(const http::request& req, http::reply& r)
{
    static const http::cors_policy cors{{"https://app.fuzz.test", "http://localhost:5173"}};
    static const util::ip_range_list trusted = [] {
        util::ip_range_list list;
        util::ip_range_list::parse("10.0.0.0/8,::1", list);
        return list;
    }();
    const std::string id = http::choose_request_id(req.header("x-request-id"), 1'700'000'000);
    fuzz::check(!id.empty() && id.size() <= 128, "a request id out of bounds", id);
    r.set("X-Request-ID", id);
    cors.decorate(req, r);
    http::add_security_headers(r);
    const std::string client =
        http::client_address(req.remote_addr, req.header("x-forwarded-for"), req.header("x-real-ip"), trusted);
    fuzz::check(!client.empty(), "no client address");
    (void)http::ambiguous_body_framing(req);
    (void)http::bad_host_field(req, 11);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static fuzz::app_fixture app;
    app.reset();
    std::string_view input = fuzz::as_text(data, size);
    for (std::size_t n = 0; n < k_max_requests && !input.empty(); ++n) {
        const auto sep = input.find("\n%%\n");
        const std::string text = app.substitute(std::string(input.substr(0, sep)));
        input = sep == std::string_view::npos ? std::string_view{} : input.substr(sep + 4);
        http::request req = parse_request(text);
        http::reply r;
        try {
            r = app.handle(req);
        } catch (const std::exception& e) {
            fuzz::fail(std::string("a handler threw (the server would answer 500): ") + e.what(), text);
        }
        if (fuzz::tracing()) fuzz::trace(req.method + " " + req.target, std::to_string(r.status) + " " + r.body);
        session_plumbing(req, r);
        check_reply(r, text);
    }
    return 0;
}
