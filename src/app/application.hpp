// Composition of a running Spotik server: logging, store and migrations, services, routes,
// io threads and the blocking pool; run() serves until SIGTERM/SIGINT and then drains
// (stop accepting, finish in-flight requests, exit within SHUTDOWN_TIMEOUT).
#pragma once
#include "config/config.hpp"

#include <string>
#include <vector>

namespace spotik::app {

class application {
public:
    application(config::config cfg, std::vector<std::string> warnings);
    // Returns the process exit code.
    int run();

private:
    config::config cfg_;
    std::vector<std::string> warnings_;
};

// JWT_SECRET when configured; otherwise (outside production) a secret generated once and
// kept in <data_path>/jwt_secret so tokens survive restarts. Throws std::runtime_error when
// the file cannot be read or written.
std::string resolve_jwt_secret(const config::config& cfg, bool& generated);

}  // namespace spotik::app
