// spdlog-backed JSON line logger.
#include "obs/log.hpp"

#include "util/clock.hpp"
#include "util/time_format.hpp"

#include <boost/json/serialize.hpp>
#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace spotik::obs {
namespace {

std::shared_ptr<spdlog::logger> g_logger;
std::string g_instance;
bool g_json = true;
thread_local std::string t_request_id;

spdlog::level::level_enum to_spd(level l)
{
    switch (l) {
    case level::trace: return spdlog::level::trace;
    case level::debug: return spdlog::level::debug;
    case level::info: return spdlog::level::info;
    case level::warn: return spdlog::level::warn;
    case level::error: return spdlog::level::err;
    case level::critical: return spdlog::level::critical;
    }
    return spdlog::level::info;
}

const char* level_name(level l)
{
    static constexpr const char* k_names[] = {"trace", "debug", "info", "warn", "error", "critical"};
    return k_names[static_cast<int>(l)];
}

}  // namespace

void init_logging(const config::log_settings& s, std::string instance)
{
    g_instance = std::move(instance);
    g_json = s.format != "text";
    spdlog::init_thread_pool(8192, 1);
    spdlog::sink_ptr sink;
    if (s.file.empty())
        sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    else
        sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(s.file);
    g_logger = std::make_shared<spdlog::async_logger>("spotik", sink, spdlog::thread_pool(),
                                                      spdlog::async_overflow_policy::block);
    g_logger->set_pattern("%v");
    g_logger->set_level(spdlog::level::from_str(s.level));
    g_logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(g_logger);
}

void shutdown_logging()
{
    if (g_logger) g_logger->flush();
    spdlog::shutdown();
    g_logger.reset();
}

bool enabled(level lvl) { return g_logger && g_logger->should_log(to_spd(lvl)); }

void write(level lvl, std::string_view message, boost::json::object fields)
{
    if (!enabled(lvl)) return;
    std::int64_t now = util::system_clock{}.now_ms();
    if (!g_json) {
        std::string line = util::iso8601_ms(now) + " " + level_name(lvl) + " " + std::string(message);
        if (!t_request_id.empty()) line += " request_id=" + t_request_id;
        if (!fields.empty()) line += " " + boost::json::serialize(fields);
        g_logger->log(to_spd(lvl), line);
        return;
    }
    boost::json::object line;
    line["timestamp"] = util::iso8601_ms(now);
    line["level"] = level_name(lvl);
    line["message"] = message;
    line["instance"] = g_instance;
    if (!t_request_id.empty()) line["request_id"] = t_request_id;
    for (auto& kv : fields) line[kv.key()] = std::move(kv.value());
    g_logger->log(to_spd(lvl), boost::json::serialize(line));
}

const std::string& instance_id() { return g_instance; }

request_scope::request_scope(std::string_view request_id) : previous_(std::move(t_request_id))
{
    t_request_id = std::string(request_id);
}

request_scope::~request_scope() { t_request_id = std::move(previous_); }

}  // namespace spotik::obs
