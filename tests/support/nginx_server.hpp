// The project's nginx (docker/nginx/nginx.conf, the file the production compose mounts) in
// front of the replicas of a cluster test, launched natively as its header describes:
//   nginx -p <tmp>/ -c <tmp>/conf/nginx.conf -e stderr -g 'daemon off;'
// with <tmp>/conf/spotik.d/site.conf (an upstream of the replicas' ports) and listen.conf (a free
// loopback port, access log to a file) written here. Stopped by the destructor. Throws
// std::runtime_error when nginx is not installed, the file is missing, or nginx does not start.
#pragma once
#include "support/child_process.hpp"

#include <string>
#include <vector>

namespace spotik::test {

struct nginx_options {
    std::vector<unsigned short> upstream_ports;
};

class nginx_server {
public:
    explicit nginx_server(nginx_options opts);
    ~nginx_server();
    nginx_server(const nginx_server&) = delete;
    nginx_server& operator=(const nginx_server&) = delete;

    unsigned short port() const { return port_; }
    std::string access_log() const;
    std::string error_log() const;  // nginx's stderr
    int stop();

    // docker/nginx/nginx.conf in the source tree.
    static std::string project_config();

private:
    nginx_options opts_;
    std::string binary_, dir_;
    unsigned short port_ = 0;
    child_process child_;
};

}  // namespace spotik::test
