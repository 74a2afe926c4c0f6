// Blocking HTTP/1.1 client for the integration tests: one keep-alive connection per client,
// reopened transparently when the server has closed it, with a deadline on every request.
// Every call may throw std::runtime_error (connect failure, timeout, malformed response);
// http_response::json() throws when the body is not JSON. Beast stays inside the .cpp.
#pragma once
#include "support/raw_connection.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spotik::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_response {
    int status = 0;
    std::map<std::string, std::string> headers;  // keys lower-cased; repeated fields joined by ", "
    std::string body;

    // The body parsed as JSON; throws std::runtime_error quoting the body when it is not JSON.
    boost::json::value json() const;
    // The value of a header (name matched case-insensitively), or "" when absent.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

class http_client {
public:
    http_client(std::string host, unsigned short port);
    ~http_client();
    http_client(http_client&&) noexcept;
    http_client& operator=(http_client&&) noexcept;
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    // Sends one request and reads the whole response. Adds Host and User-Agent unless given in
    // `headers`; Content-Length is computed unless `headers` names Content-Length or
    // Transfer-Encoding. Header names given by the caller replace the defaults.
    http_response request(std::string method, std::string target, std::string body = {},
                          header_list headers = {});

    http_response get(std::string target, header_list headers = {});
    // GET with `Authorization: Bearer <token>` and `Accept: application/json`.
    http_response get_auth(std::string target, const std::string& token);
    // JSON bodies: Content-Type and Accept application/json, plus the bearer token if not empty.
    http_response post_json(std::string target, const boost::json::value& body,
                            const std::string& token = {});
    http_response put_json(std::string target, const boost::json::value& body,
                           const std::string& token = {});
    http_response patch_json(std::string target, const boost::json::value& body,
                             const std::string& token = {});
    // DELETE with Accept: application/json, plus the bearer token if not empty.
    http_response del(std::string target, const std::string& token = {});
    // Any body with the given Content-Type (e.g. multipart), plus the bearer token if not empty.
    http_response post_body(std::string target, std::string body, std::string content_type,
                            const std::string& token = {});

    // Deadline for each whole request (connect + write + read); 30 s by default.
    void set_timeout(std::chrono::milliseconds timeout);
    // Closes the kept-alive connection; the next request opens a new one.
    void disconnect();
    // How many TCP connections this client has opened so far (to observe keep-alive).
    int connections_opened() const;
    const std::string& host() const;
    unsigned short port() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Adds `Authorization: Bearer <token>` to `headers` when the token is not empty.
void add_bearer(header_list& headers, const std::string& token);

}  // namespace spotik::test
