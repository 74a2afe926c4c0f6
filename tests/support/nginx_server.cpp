// nginx launcher for the project's configuration.
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

}  // namespace

std::string nginx_server::project_config()
{
    return std::string(SPOTIK_SOURCE_DIR) + "/docker/nginx/nginx.conf";
}

nginx_server::nginx_server(nginx_options opts) : opts_(std::move(opts))
{
    binary_ = find_service_binary("nginx", "nginx-light");
    if (!fs::exists(project_config())) throw std::runtime_error("nginx_server: " + project_config() + " is missing");
    dir_ = make_temp_dir("spotik-nginx-");
    port_ = pick_free_port();
    fs::create_directories(dir_ + "/conf/spotik.d");
    fs::copy_file(project_config(), dir_ + "/conf/nginx.conf");
    {
        std::ofstream site(dir_ + "/conf/spotik.d/site.conf");
        // A zone shares the round robin between nginx's worker processes; without one each
        // worker keeps its own turn, and a test's sockets need not spread evenly.
        site << "upstream spotik_replicas {\n    zone spotik_replicas 64k;\n";
        for (auto p : opts_.upstream_ports) site << "    server 127.0.0.1:" << p << " max_fails=1 fail_timeout=2s;\n";
        site << "}\nmap $host $spotik_backend { default spotik_replicas; }\n"
             << "map $host $spotik_web_root { default " << dir_ << "/no-web-client; }\n";
        std::ofstream listen(dir_ + "/conf/spotik.d/listen.conf");
        listen << "listen 127.0.0.1:" << port_ << ";\naccess_log " << dir_ << "/access.log spotik_json;\n";
    }
    std::vector<std::string> args{"-p", dir_ + "/", "-c", dir_ + "/conf/nginx.conf",
                                  "-e", "stderr",   "-g", "daemon off;"};
    child_ = child_process(child_spec{binary_, args, {"PATH=/usr/sbin:/usr/bin"}, dir_, dir_ + "/output.log"});
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
        try {
            raw_connection probe("127.0.0.1", port_, 500ms);
            return;
        } catch (const std::exception&) {
        }
        if (!child_.running() || std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("nginx_server: nginx did not start with " + project_config() + ". Output:\n" +
                                     error_log());
        std::this_thread::sleep_for(20ms);
    }
}

nginx_server::~nginx_server()
{
    try {
        if (child_.running()) child_.stop(SIGQUIT, 5s);
        if (::testing::Test::HasFailure()) std::cerr << "---- nginx output ----\n" << error_log() << "\n----\n";
    } catch (...) {
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

std::string nginx_server::access_log() const
{
    return slurp(dir_ + "/access.log");
}
std::string nginx_server::error_log() const
{
    return slurp(dir_ + "/output.log");
}
int nginx_server::stop()
{
    return child_.stop(SIGQUIT, 5s);
}

}  // namespace spotik::test
