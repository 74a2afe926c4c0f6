// Where the Redis event bus connects: REDIS_URL (redis://[:password@]host[:port][/db]) or
// REDIS_HOST/REDIS_PORT, with REDIS_PASSWORD and REDIS_DB winning over the URL's. Parsing
// reports problems as messages (never quoting the password); nothing here throws.
#pragma once
#include "config/config.hpp"

#include <optional>
#include <string>

namespace spotik::config {

struct redis_endpoint {
    std::string host;
    int port = 6379;
    std::string password;  // empty: no AUTH
    int db = 0;
};

// nullopt with `problem` empty when Redis is not configured; nullopt with `problem` set when
// the settings are invalid.
std::optional<redis_endpoint> redis_endpoint_of(const redis_settings& s, std::string& problem);

}  // namespace spotik::config
