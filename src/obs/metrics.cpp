// Request metrics registry.
#include "obs/metrics.hpp"

#include <algorithm>
#include <cmath>

namespace spotik::obs {
namespace {
double round1(double v)
{
    return std::round(v * 10.0) / 10.0;
}
}  // namespace

boost::json::object ws_counters::json() const
{
    return {{"open_sockets", open.load()},
            {"opened_total", opened_total.load()},
            {"messages_in", messages_in.load()},
            {"messages_out", messages_out.load()},
            {"bytes_out", bytes_out.load()},
            {"slow_consumer_closes", slow_consumer_closes.load()},
            {"handshake_failures", handshake_failures.load()},
            {"rate_limited", rate_limited.load()},
            {"oversize_closes", oversize_closes.load()},
            {"queued_bytes", queued_bytes.load()}};
}

void metrics::record_request(const std::string& route_key, int status, double duration_ms)
{
    std::lock_guard lock(mutex_);
    ++total_;
    total_ms_ += duration_ms;
    max_ms_ = std::max(max_ms_, duration_ms);
    ++statuses_[status];
    auto& r = routes_[route_key];
    ++r.count;
    r.total_ms += duration_ms;
    r.max_ms = std::max(r.max_ms, duration_ms);
}

void metrics::connection_opened()
{
    std::lock_guard lock(mutex_);
    ++open_connections_;
}

void metrics::connection_closed()
{
    std::lock_guard lock(mutex_);
    --open_connections_;
}

boost::json::object metrics::request_summary() const
{
    std::lock_guard lock(mutex_);
    boost::json::object statuses;
    for (const auto& [code, n] : statuses_) statuses[std::to_string(code)] = n;
    boost::json::object routes;
    for (const auto& [key, s] : routes_)
        routes[key] = {
            {"count", s.count}, {"avg_time", round1(s.total_ms / double(s.count))}, {"max_time", round1(s.max_ms)}};
    return {{"requests",
             {{"total", total_},
              {"avg_response_time", total_ == 0 ? 0.0 : round1(total_ms_ / double(total_))},
              {"max_response_time", round1(max_ms_)}}},
            {"status_codes", std::move(statuses)},
            {"routes", std::move(routes)},
            {"websocket", websocket.json()}};
}

std::int64_t metrics::open_connections() const
{
    std::lock_guard lock(mutex_);
    return open_connections_;
}

std::int64_t metrics::total_requests() const
{
    std::lock_guard lock(mutex_);
    return total_;
}

}  // namespace spotik::obs
