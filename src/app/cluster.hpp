// Multi-replica glue, built by the application: the Redis bus when REDIS_URL/REDIS_HOST is
// set (the hub itself otherwise, exactly as with one process), the auto-advance lease and the
// rooms' shared turns on the bus, timers re-armed from other replicas' playback events, and a periodic sweep of the
// playing rooms so a replica that dies leaves no room stuck. The constructor throws
// std::runtime_error on an invalid Redis configuration.
#pragma once
#include "config/config.hpp"
#include "realtime/bus_status.hpp"
#include "realtime/hub.hpp"
#include "realtime/redis_bus.hpp"
#include "service/advance_lease.hpp"
#include "service/playback_service.hpp"
#include "service/room_order.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <string>

namespace spotik::app {

class cluster final : public service::advance_lease, public service::room_order {
public:
    cluster(const config::config& cfg, realtime::hub& hub, const util::clock& clock, std::string replica_id);
    ~cluster() override;

    // Where use cases publish room events: the bus, or the hub in single-process mode.
    realtime::event_sink& sink();
    // nullptr in single-process mode.
    const realtime::bus_monitor* monitor() const { return bus_.get(); }
    bool enabled() const { return bus_ != nullptr; }

    // Wires the rooms' turns and auto-advance to the bus (lease, remote playback events,
    // reconnects, periodic sweep) and starts the bus thread. No-op in single-process mode.
    void start(service::playback_service& playback, service::room_events& events, boost::asio::io_context& ioc,
               boost::asio::thread_pool& pool);
    void stop();

    outcome try_acquire(const std::string& name, std::int64_t ttl_ms) override;
    std::string take(const std::string& room_id) override;
    void give_back(const std::string& room_id, const std::string& token) override;

private:
    void arm_sweep();
    // After a reconnect: the timers, and a room_state_updated for every room with sockets here.
    void recover();

    realtime::hub& hub_;
    std::unique_ptr<realtime::redis_bus> bus_;
    service::playback_service* playback_ = nullptr;
    service::room_events* events_ = nullptr;
    boost::asio::thread_pool* pool_ = nullptr;
    std::unique_ptr<boost::asio::steady_timer> sweep_;
};

}  // namespace spotik::app
