// A private redis-server for one test: loopback, a free port, a temp dir, no persistence
// (so a restart loses every key, the hard case for the bus), optional password. stop() and
// start() restart it on the same port. The constructor and start() throw std::runtime_error
// (with its output) when it does not answer PING within 10 s, or when redis-server is not
// installed; the destructor stops it and never throws.
#pragma once
#include "support/child_process.hpp"

#include <csignal>
#include <string>

namespace spotik::test {

struct redis_options {
    std::string password{};
};

class redis_server {
public:
    explicit redis_server(redis_options opts = {});
    ~redis_server();
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    unsigned short port() const { return port_; }
    // redis://[:password@]127.0.0.1:<port>
    std::string url() const;
    const std::string& password() const { return opts_.password; }
    void start();
    int stop(int signal = SIGTERM);
    // SIGSTOP / SIGCONT: a Redis that keeps its connections open and answers nothing.
    void freeze(bool frozen);
    bool running() { return child_.running(); }
    std::string output() const;
    // Runs one command and returns the reply as text (integers as decimal, nil as "(nil)").
    std::string command(const std::vector<std::string>& args) const;

private:
    redis_options opts_;
    std::string binary_;
    std::string dir_;
    unsigned short port_ = 0;
    child_process child_;
};

}  // namespace spotik::test
