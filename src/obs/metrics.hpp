// In-process request metrics for /api/metrics and /api/monitoring/performance: totals,
// response times, counts per status code and per route pattern (bounded by the route table,
// so the map cannot grow with user input). Thread-safe.
#pragma once
#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace spotik::obs {

// WebSocket counters, updated lock-free by the sessions.
struct ws_counters {
    std::atomic<std::int64_t> open{0};
    std::atomic<std::int64_t> opened_total{0};
    std::atomic<std::int64_t> messages_in{0};
    std::atomic<std::int64_t> messages_out{0};
    std::atomic<std::int64_t> bytes_out{0};
    std::atomic<std::int64_t> slow_consumer_closes{0};
    std::atomic<std::int64_t> handshake_failures{0};
    std::atomic<std::int64_t> rate_limited{0};
    std::atomic<std::int64_t> oversize_closes{0};  // closed with 1009 (WS_MAX_MESSAGE_BYTES)
    std::atomic<std::int64_t> queued_bytes{0};     // frames waiting in every socket's queue
    boost::json::object json() const;
};

class metrics {
public:
    ws_counters websocket;

    void record_request(const std::string& route_key, int status, double duration_ms);
    void connection_opened();
    void connection_closed();
    // The contract's /api/metrics "metrics" object.
    boost::json::object request_summary() const;
    std::int64_t open_connections() const;
    std::int64_t total_requests() const;

private:
    struct route_stats {
        std::int64_t count = 0;
        double total_ms = 0;
        double max_ms = 0;
    };
    mutable std::mutex mutex_;
    std::int64_t total_ = 0;
    double total_ms_ = 0;
    double max_ms_ = 0;
    std::int64_t open_connections_ = 0;
    std::map<int, std::int64_t> statuses_;
    std::map<std::string, route_stats> routes_;
};

}  // namespace spotik::obs
