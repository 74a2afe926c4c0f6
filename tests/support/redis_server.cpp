// redis-server launcher; readiness and commands go through the server's own hiredis wrapper.
#include "support/redis_server.hpp"

#include "realtime/redis_connection.hpp"
#include "support/service_binary.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

extern char** environ;

namespace spotik::test {
namespace {

using namespace std::chrono_literals;

config::redis_endpoint endpoint(unsigned short port, const std::string& password)
{
    return {"127.0.0.1", port, password, 0};
}

}  // namespace

redis_server::redis_server(redis_options opts) : opts_(std::move(opts))
{
    binary_ = find_service_binary("redis-server", "redis-server");
    dir_ = make_temp_dir("spotik-redis-");
    port_ = pick_free_port();
    start();
}

redis_server::~redis_server()
{
    try {
        if (child_.running()) child_.stop(SIGTERM, 5s);
        if (::testing::Test::HasFailure()) std::cerr << "---- redis output ----\n" << output() << "\n----\n";
    } catch (...) {
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::string redis_server::url() const
{
    return "redis://" + (opts_.password.empty() ? std::string() : ":" + opts_.password + "@") +
           "127.0.0.1:" + std::to_string(port_);
}

void redis_server::start()
{
    std::vector<std::string> args{"--port",
                                  std::to_string(port_),
                                  "--bind",
                                  "127.0.0.1",
                                  "--save",
                                  "",
                                  "--appendonly",
                                  "no",
                                  "--dir",
                                  dir_,
                                  "--daemonize",
                                  "no",
                                  "--protected-mode",
                                  "no",
                                  "--logfile",
                                  ""};
    if (!opts_.password.empty()) args.insert(args.end(), {"--requirepass", opts_.password});
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    child_ = child_process(child_spec{binary_, args, env, dir_, dir_ + "/redis.log"});
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
        try {
            realtime::redis_connection c(endpoint(port_, opts_.password), 500);
            if (c.command({"PING"}).text() == "PONG") return;
        } catch (const realtime::redis_error&) {
        }
        if (!child_.running() || std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("redis_server: redis-server did not start on port " + std::to_string(port_) +
                                     ". Output:\n" + output());
        std::this_thread::sleep_for(20ms);
    }
}

int redis_server::stop(int signal)
{
    return child_.stop(signal, 5s);
}

void redis_server::freeze(bool frozen)
{
    ::kill(child_.pid(), frozen ? SIGSTOP : SIGCONT);
}

std::string redis_server::output() const
{
    std::ifstream in(dir_ + "/redis.log");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string redis_server::command(const std::vector<std::string>& args) const
{
    realtime::redis_connection c(endpoint(port_, opts_.password), 2000);
    std::vector<std::string_view> views(args.begin(), args.end());
    auto r = c.command(views);
    if (r.is_nil()) return "(nil)";
    if (r.is_integer()) return std::to_string(r.integer());
    return std::string(r.text());
}

}  // namespace spotik::test
