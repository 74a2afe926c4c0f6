// Structured logging: one JSON object per line (timestamp, level, message, instance,
// request_id and any fields) on stdout or LOG_FILE, written by an asynchronous spdlog
// logger. init_logging throws std::runtime_error if the log file cannot be opened.
#pragma once
#include "config/config.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace spotik::obs {

enum class level { trace, debug, info, warn, error, critical };

void init_logging(const config::log_settings& settings, std::string instance_id);
void shutdown_logging();
bool enabled(level lvl);
void write(level lvl, std::string_view message, boost::json::object fields = {});

inline void debug(std::string_view m, boost::json::object f = {}) { write(level::debug, m, std::move(f)); }
inline void info(std::string_view m, boost::json::object f = {}) { write(level::info, m, std::move(f)); }
inline void warn(std::string_view m, boost::json::object f = {}) { write(level::warn, m, std::move(f)); }
inline void error(std::string_view m, boost::json::object f = {}) { write(level::error, m, std::move(f)); }

const std::string& instance_id();

// Tags every line logged on this thread with a request id while it lives.
class request_scope {
public:
    explicit request_scope(std::string_view request_id);
    ~request_scope();
    request_scope(const request_scope&) = delete;
    request_scope& operator=(const request_scope&) = delete;

private:
    std::string previous_;
};

}  // namespace spotik::obs
