// Multi-replica glue.
#include "app/cluster.hpp"

#include "config/redis_endpoint.hpp"
#include "obs/log.hpp"
#include "util/ids.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace spotik::app {
namespace asio = boost::asio;

namespace {

// A backstop only: playback events from other replicas re-arm timers at once.
constexpr auto k_sweep_period = std::chrono::seconds(15);
// A room's turn lasts a write and the publishing of its events (milliseconds). The bounds only
// matter when a replica dies holding it: the others go ahead after the wait, and the turn
// itself expires.
constexpr std::int64_t k_turn_ttl_ms = 3000;
constexpr std::int64_t k_turn_wait_ms = 3000;

bool changes_playback(const std::string& type)
{
    return type == "playback_started" || type == "playback_paused" || type == "playback_resumed" ||
           type == "playback_stopped" || type == "track_skipped" || type == "room_deleted";
}

}  // namespace

cluster::cluster(const config::config& cfg, realtime::hub& hub, const util::clock& clock, std::string replica_id)
    : hub_(hub)
{
    std::string problem;
    auto endpoint = config::redis_endpoint_of(cfg.redis, problem);
    if (!problem.empty()) throw std::runtime_error(problem);
    if (!endpoint) {
        // One process: its rooms' numbering starts anew with it (see hub::set_first_seq). On the
        // bus, Redis numbers the events and keeps the numbering across restarts.
        hub.set_first_seq([&clock] { return std::uint64_t(std::max<std::int64_t>(0, clock.now_ms())) * 1000; });
        return;
    }
    realtime::redis_bus::options o;
    o.endpoint = *endpoint;
    o.prefix = cfg.redis.key_prefix;
    o.timeout_ms = cfg.redis.timeout_ms;
    o.history_size = std::size_t(cfg.websocket.history_size);
    o.history_max_bytes = std::size_t(cfg.websocket.history_max_bytes);
    o.replica_id = std::move(replica_id) + "-" + util::random_hex(4);
    bus_ = std::make_unique<realtime::redis_bus>(std::move(o), hub, clock);
    hub.set_history_source(bus_.get());
}

cluster::~cluster()
{
    stop();
}

realtime::event_sink& cluster::sink()
{
    if (bus_) return *bus_;
    return hub_;
}

// While Redis was down each replica told its own sockets its own changes, numbered on its
// own; the outbox forwarded since reaches the others in the order the replicas came back, not
// the order of the changes. So every room with sockets here is told its stored state once
// more, after everything forwarded, and a client applying events in order ends where the
// database is. Events missed meanwhile may also have moved playback on: the timers are looked
// at again.
void cluster::recover()
{
    try {
        playback_->restore_timers();
    } catch (const std::exception& e) {
        obs::warn("timer sweep failed", {{"detail", e.what()}});
    }
    std::size_t told = 0;
    for (const auto& [room_id, sockets] : hub_.stats().sockets_per_room) {
        try {
            auto turn = events_->turn(room_id);
            events_->room_state_updated(room_id);
            ++told;
        } catch (const std::exception& e) {
            obs::warn("room state not told after the reconnect", {{"room_id", room_id}, {"detail", e.what()}});
        }
    }
    obs::info("redis bus recovered", {{"rooms_told", told}});
}

void cluster::start(service::playback_service& playback, service::room_events& events, asio::io_context& ioc,
                    asio::thread_pool& pool)
{
    if (!bus_) return;
    playback_ = &playback;
    events_ = &events;
    pool_ = &pool;
    playback.set_lease(this);
    events.set_order(this);
    bus_->on_remote_event([this](const std::string& room_id, const std::string& type) {
        if (!changes_playback(type)) return;
        asio::post(*pool_, [this, room_id] {
            try {
                playback_->refresh_timer(room_id);
            } catch (const std::exception& e) {
                obs::warn("timer refresh failed", {{"room_id", room_id}, {"detail", e.what()}});
            }
        });
    });
    bus_->on_connected([this] {
        if (bus_->status().reconnects > 0) asio::post(*pool_, [this] { recover(); });
    });
    sweep_ = std::make_unique<asio::steady_timer>(ioc);
    arm_sweep();
    bus_->start();
}

void cluster::arm_sweep()
{
    sweep_->expires_after(k_sweep_period);
    sweep_->async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        asio::post(*pool_, [this] {
            try {
                playback_->restore_timers();
            } catch (const std::exception& e) {
                obs::warn("timer sweep failed", {{"detail", e.what()}});
            }
        });
        arm_sweep();
    });
}

void cluster::stop()
{
    if (sweep_) sweep_->cancel();
    if (bus_) bus_->stop();
}

service::advance_lease::outcome cluster::try_acquire(const std::string& name, std::int64_t ttl_ms)
{
    if (!bus_) return outcome::unavailable;
    switch (bus_->try_lease(name, ttl_ms)) {
        case realtime::redis_bus::lease::acquired:
            return outcome::acquired;
        case realtime::redis_bus::lease::taken:
            return outcome::taken;
        default:
            return outcome::unavailable;
    }
}

std::string cluster::take(const std::string& room_id)
{
    return bus_ ? bus_->take_turn(room_id, k_turn_ttl_ms, k_turn_wait_ms) : std::string();
}

void cluster::give_back(const std::string& room_id, const std::string& token)
{
    if (bus_) bus_->give_turn(room_id, token);
}

}  // namespace spotik::app
