// nginx launcher and the stand-in configuration.
#include "support/nginx_server.hpp"

#include "support/raw_connection.hpp"
#include "support/service_binary.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#ifndef SPOTIK_SOURCE_DIR
#error "SPOTIK_SOURCE_DIR must name the source tree"
#endif

namespace spotik::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string slurp(const std::string& path)
{
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The rules issue 5 asks of the real file, for as long as it does not exist.
constexpr const char* k_stand_in = R"(
events { worker_connections 1024; }
http {
    access_log @DIR@/access.log;
    client_body_temp_path @DIR@/client_body;
    proxy_temp_path @DIR@/proxy;
    fastcgi_temp_path @DIR@/fastcgi;
    uwsgi_temp_path @DIR@/uwsgi;
    scgi_temp_path @DIR@/scgi;
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    upstream spotik { @UPSTREAMS@ keepalive 16; }
    server {
        listen 127.0.0.1:@PORT@;
        client_max_body_size 60m;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_connect_timeout 2s;
        location /ws {
            proxy_pass http://spotik;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 300s;
            proxy_buffering off;
        }
        location / {
            proxy_pass http://spotik;
            proxy_set_header Connection "";
            proxy_request_buffering off;
            proxy_buffering off;
        }
    }
}
)";

std::string replace_all(std::string s, const std::string& from, const std::string& to)
{
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
    return s;
}

}  // namespace

std::string nginx_server::project_config()
{
    std::string path = std::string(SPOTIK_SOURCE_DIR) + "/docker/nginx/nginx.conf";
    return fs::exists(path) ? path : std::string();
}

nginx_server::nginx_server(nginx_options opts) : opts_(std::move(opts))
{
    binary_ = find_service_binary("nginx", "nginx-light");
    dir_ = make_temp_dir("spotik-nginx-");
    port_ = pick_free_port();
    write_config();
    std::vector<std::string> args{"-p", dir_, "-c", dir_ + "/nginx.conf", "-e", dir_ + "/error.log", "-g",
                                  "daemon off; pid " + dir_ + "/nginx.pid;"};
    child_ = child_process(child_spec{binary_, args, {"PATH=/usr/sbin:/usr/bin"}, dir_, dir_ + "/output.log"});
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
        try {
            raw_connection probe("127.0.0.1", port_, 500ms);
            return;
        } catch (const std::exception&) {
        }
        if (!child_.running() || std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("nginx_server: nginx did not start (" + config_used_ + " config). Output:\n" +
                                     slurp(dir_ + "/output.log") + slurp(dir_ + "/error.log"));
        std::this_thread::sleep_for(20ms);
    }
}

nginx_server::~nginx_server()
{
    try {
        if (child_.running()) child_.stop(SIGQUIT, 5s);
        if (::testing::Test::HasFailure()) std::cerr << "---- nginx error log ----\n" << error_log() << "\n----\n";
    } catch (...) {
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void nginx_server::write_config()
{
    std::string upstreams;
    for (auto p : opts_.upstream_ports) upstreams += "server 127.0.0.1:" + std::to_string(p) + " max_fails=1 fail_timeout=2s; ";
    std::string source = opts_.config_source.empty() ? project_config() : opts_.config_source;
    std::string text;
    if (source.empty()) {
        config_used_ = "stand-in";
        text = replace_all(replace_all(replace_all(k_stand_in, "@DIR@", dir_), "@UPSTREAMS@", upstreams), "@PORT@",
                           std::to_string(port_));
    } else {
        config_used_ = "project";
        text = slurp(source);
        // The project's file includes these two beside itself (see its header comment).
        std::ofstream(dir_ + "/upstreams.conf") << upstreams << "\n";
        std::ofstream(dir_ + "/listen.conf") << "listen 127.0.0.1:" << port_ << ";\n";
    }
    std::ofstream(dir_ + "/nginx.conf") << text;
}

std::string nginx_server::access_log() const { return slurp(dir_ + "/access.log"); }
std::string nginx_server::error_log() const { return slurp(dir_ + "/error.log"); }
int nginx_server::stop() { return child_.stop(SIGQUIT, 5s); }

}  // namespace spotik::test
