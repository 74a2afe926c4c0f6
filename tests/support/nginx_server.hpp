// A private nginx in front of the replicas of a cluster test: `nginx -p <tmp> -c <tmp>/nginx.conf`
// on a free loopback port, the upstream list being the replicas' ports, logs in the temp
// dir, stopped by the destructor. The configuration is the project's docker/nginx/nginx.conf
// when the source tree has one (it takes its upstream list and listen port from include files
// written beside the copy), else a minimal stand-in with the same proxy rules (WebSocket
// upgrade, X-Forwarded-For, body size, no rate limit). Throws std::runtime_error when nginx is
// not installed or does not start; the destructor never throws.
#pragma once
#include "support/child_process.hpp"

#include <string>
#include <vector>

namespace spotik::test {

struct nginx_options {
    std::vector<unsigned short> upstream_ports;
    std::string config_source{};  // empty: the project's file if present, else the stand-in
};

class nginx_server {
public:
    explicit nginx_server(nginx_options opts);
    ~nginx_server();
    nginx_server(const nginx_server&) = delete;
    nginx_server& operator=(const nginx_server&) = delete;

    unsigned short port() const { return port_; }
    const std::string& config_used() const { return config_used_; }  // "project" or "stand-in"
    std::string access_log() const;
    std::string error_log() const;
    int stop();

    // docker/nginx/nginx.conf in the source tree ("" if absent).
    static std::string project_config();

private:
    void write_config();
    nginx_options opts_;
    std::string binary_, dir_, config_used_;
    unsigned short port_ = 0;
    child_process child_;
};

}  // namespace spotik::test
