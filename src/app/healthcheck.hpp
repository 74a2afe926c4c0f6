// `spotik healthcheck`: one HTTP GET of the server's /ready (or /live) probe, so container
// health checks need no curl. The address comes from SERVER_HOST/SERVER_PORT (environment
// over .env) without the full start-up validation, which a probe must not repeat.
#pragma once
#include "app/cli.hpp"

#include <iosfwd>
#include <map>
#include <string>

namespace spotik::app {

struct probe_result {
    int status = 0;      // HTTP status; 0 when no response arrived
    std::string detail;  // why no response arrived (connection refused, timeout, ...)
};

// GET http://host:port<target> with a deadline covering connect, write and read. Never throws.
probe_result http_probe(const std::string& host, unsigned short port, const std::string& target, int timeout_s);

// The probe URL for cmd: its --url, else http://<SERVER_HOST or 127.0.0.1>:<SERVER_PORT><path>.
// Reads SERVER_HOST and SERVER_PORT from env over dotenv; a bad value (or a --url port outside
// 1-65535) is reported in error. An IPv6 host comes without its brackets.
struct probe_target {
    std::string host;
    unsigned short port = 0;
    std::string path;
    std::string error;
};
probe_target resolve_probe_target(const command& cmd, const std::map<std::string, std::string>& env,
                                  const std::map<std::string, std::string>& dotenv);

// Runs the probe for the process environment and ./.env; prints one line; returns 0 on 200
// and 1 on anything else, a bad setting included (Docker's HEALTHCHECK reserves 2).
int run_healthcheck(const command& cmd, std::ostream& out, std::ostream& err);

}  // namespace spotik::app
