// The Redis event bus between replicas. publish() queues an event; the bus thread numbers it
// with a Lua script that, atomically, takes the room's next seq, appends the message to the
// room's shared history (within WS_HISTORY_SIZE events and WS_HISTORY_MAX_BYTES) and
// PUBLISHes it; every replica (this one included) receives it on its subscription and hands it
// to its hub, so every socket on every replica sees the same seq. While Redis is unreachable,
// events are delivered to local sockets with a provisional seq and kept in an outbox that is
// forwarded after the reconnect (with backoff; the subscription and the histories are caught
// up first). No io thread ever waits on Redis: the bus has its own thread, and the blocking
// calls (catch_up, try_lease) are for the blocking pool. Never throws out of publish(); the
// constructor throws on a bad endpoint.
#pragma once
#include "config/redis_endpoint.hpp"
#include "realtime/bus_message.hpp"
#include "realtime/bus_status.hpp"
#include "realtime/hub.hpp"
#include "realtime/recent_ids.hpp"
#include "realtime/redis_connection.hpp"
#include "util/clock.hpp"

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

namespace spotik::realtime {

class redis_bus final : public event_sink, public history_source, public bus_monitor {
public:
    struct options {
        config::redis_endpoint endpoint;
        std::string prefix = "spotik";
        int timeout_ms = 2000;
        std::size_t history_size = 256;
        std::size_t history_max_bytes = 1 << 20;           // the newest event is kept whatever its size
        std::string replica_id;                            // tells this replica's own events apart
        std::size_t outbox_limit = 10000;                  // events kept for forwarding while Redis is down
        std::int64_t key_ttl_ms = 7LL * 24 * 3600 * 1000;  // an idle room's seq and history expire
    };
    enum class lease { acquired, taken, unavailable };
    using remote_event_handler = std::function<void(const std::string& room_id, const std::string& type)>;

    redis_bus(options opts, hub& h, const util::clock& clock);
    ~redis_bus() override;
    // Handlers are set before start(); they run on the bus thread and must not block.
    void on_remote_event(remote_event_handler fn) { remote_handler_ = std::move(fn); }
    void on_connected(std::function<void()> fn) { connected_handler_ = std::move(fn); }
    void start();
    void stop();

    void publish(room_event e) override;
    void catch_up(const std::string& room_id) override;
    bus_status status() const override;
    // SET <prefix>:lease:<name> NX PX ttl: one holder at a time, for ttl_ms at most.
    lease try_lease(const std::string& name, std::int64_t ttl_ms);
    // A room's turn across replicas (<prefix>:room:<id>:turn, held ttl_ms at most): waits up
    // to wait_ms for it and returns the holder's token, or "" when Redis is unreachable or the
    // wait ran out. give_turn() queues its release behind the events published before it, so
    // the turn ends only once they are in Redis (while Redis is down, the release waits in the
    // outbox with them).
    std::string take_turn(const std::string& room_id, std::int64_t ttl_ms, std::int64_t wait_ms);
    void give_turn(const std::string& room_id, const std::string& token);
    bool connected() const { return up_; }

private:
    struct pending {
        room_event event;        // for local delivery while Redis is down
        std::string turn_token;  // set: not an event but the release of the room's turn
        std::string id;
        envelope_template envelope;
        message_template message;
    };

    enum class claim { acquired, taken, failed, refused };
    void enqueue(pending p);
    claim claim_turn(const std::string& turn_key, const std::string& token, std::int64_t ttl_ms, bool& sent);
    void run();
    bool connect();
    void disconnect(const std::string& why);
    void wait_backoff();
    std::deque<pending> take_queue();
    void publish_batch(std::deque<pending>& batch, bool from_outbox);
    void deliver_local(pending& p);
    void read_subscription();
    void handle_message(std::string_view payload, bool live);
    void raise_floors();
    void catch_up_all();
    void flush_outbox();
    void check_liveness();
    void set_state(const char* state, const std::string& error = {});
    std::string key(const std::string& room_id, const char* what) const;

    options opts_;
    hub& hub_;
    const util::clock& clock_;
    std::string channel_;
    std::thread thread_;
    int wake_fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> up_{false};
    remote_event_handler remote_handler_;
    std::function<void()> connected_handler_;

    std::mutex queue_mutex_;
    std::deque<pending> queue_;

    // Bus thread only.
    std::unique_ptr<redis_connection> pub_, sub_;
    std::string publish_sha_, raise_sha_, give_turn_sha_;
    std::deque<pending> outbox_;
    recent_ids seen_{16384};                     // ids received from the channel
    std::unordered_set<std::string> local_ids_;  // delivered locally while down, not yet back
    int backoff_ms_ = 0;
    std::int64_t last_input_ms_ = 0, ping_sent_ms_ = 0;
    bool ever_connected_ = false;

    // Blocking-pool calls share one more connection.
    bool query_ready();
    void query_failed();
    std::mutex query_mutex_;
    std::unique_ptr<redis_connection> query_;
    std::uint64_t query_generation_ = 0;
    std::int64_t query_failed_ms_ = -1;         // steady ms of the last failed query
    std::atomic<std::uint64_t> generation_{0};  // bus connections made so far
    std::atomic<std::int64_t> heard_ms_{0};     // steady ms of the bus's last input from Redis

    mutable std::mutex status_mutex_;
    std::string state_ = "connecting", last_error_;
    std::int64_t state_since_ms_ = 0;
    std::atomic<std::uint64_t> published_{0}, received_{0}, local_only_{0}, dropped_{0}, reconnects_{0};
    std::atomic<std::uint64_t> outbox_size_{0};
};

}  // namespace spotik::realtime
