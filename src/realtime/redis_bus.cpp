// Redis bus: the bus thread (connect, subscribe, catch up, forward the outbox, publish, read
// the subscription, reconnect with backoff).
#include "realtime/redis_bus.hpp"

#include "obs/log.hpp"
#include "realtime/redis_scripts.hpp"
#include "util/clock.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <random>

namespace spotik::realtime {
namespace {

constexpr int k_tick_ms = 250;         // poll period: liveness checks and stop requests
constexpr int k_ping_after_ms = 1000;  // PING the subscription after this much silence
constexpr int k_max_backoff_ms = 5000;
constexpr std::size_t k_batch = 256;  // events pipelined per round trip

}  // namespace

redis_bus::redis_bus(options opts, hub& h, const util::clock& clock)
    : opts_(std::move(opts)), hub_(h), clock_(clock), channel_(opts_.prefix + ":events")
{
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) throw std::runtime_error("redis bus: eventfd failed");
    state_since_ms_ = clock_.now_ms();
}

redis_bus::~redis_bus()
{
    stop();
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

void redis_bus::start()
{
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void redis_bus::stop()
{
    stopping_ = true;
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    if (thread_.joinable()) thread_.join();
}

std::string redis_bus::key(const std::string& room_id, const char* what) const
{
    return opts_.prefix + ":room:" + room_id + ":" + what;
}

void redis_bus::set_state(const char* state, const std::string& error)
{
    std::lock_guard lock(status_mutex_);
    if (state_ != state) state_since_ms_ = clock_.now_ms();
    state_ = state;
    if (!error.empty()) last_error_ = error;
}

void redis_bus::run()
{
    while (!stopping_) {
        if (!up_ && !connect()) {
            wait_backoff();
            continue;
        }
        pollfd fds[2] = {{sub_->fd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        ::poll(fds, 2, k_tick_ms);
        if (fds[1].revents & POLLIN) {
            std::uint64_t n = 0;
            [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
        }
        try {
            for (auto batch = take_queue(); !batch.empty(); batch = take_queue()) publish_batch(batch, false);
            if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                sub_->read_input();
                last_input_ms_ = util::steady_ms();
                heard_ms_ = last_input_ms_;
                ping_sent_ms_ = 0;
            }
            read_subscription();
            check_liveness();
        } catch (const redis_error& e) {
            disconnect(e.what());
        }
    }
    // Shutting down: hand what is still queued to Redis if possible, else to local sockets.
    auto rest = take_queue();
    try {
        if (up_ && !rest.empty()) publish_batch(rest, false);
    } catch (const redis_error&) {
    }
    for (auto& p : rest) deliver_local(p);
}

void redis_bus::check_liveness()
{
    auto now = util::steady_ms();
    if (ping_sent_ms_ != 0) {
        if (now - ping_sent_ms_ > opts_.timeout_ms) throw redis_error("redis: no answer to PING");
        return;
    }
    if (now - last_input_ms_ >= k_ping_after_ms) {
        sub_->append({"PING"});
        sub_->flush();
        ping_sent_ms_ = now;
    }
}

bool redis_bus::connect()
{
    try {
        pub_ = std::make_unique<redis_connection>(opts_.endpoint, opts_.timeout_ms);
        auto sha = pub_->command({"SCRIPT", "LOAD", scripts::publish});
        auto raise = pub_->command({"SCRIPT", "LOAD", scripts::raise_floor});
        auto give_turn = pub_->command({"SCRIPT", "LOAD", scripts::give_turn});
        if (sha.is_error() || raise.is_error() || give_turn.is_error())
            throw redis_error("redis: SCRIPT LOAD failed: " + std::string(sha.text()));
        publish_sha_ = sha.text();
        raise_sha_ = raise.text();
        give_turn_sha_ = give_turn.text();
        sub_ = std::make_unique<redis_connection>(opts_.endpoint, opts_.timeout_ms);
        auto subscribed = sub_->command({"SUBSCRIBE", channel_});
        if (subscribed.size() < 1 || redis_reply::text_of(subscribed.element(0)) != "subscribe")
            throw redis_error("redis: SUBSCRIBE failed");
        last_input_ms_ = util::steady_ms();
        ping_sent_ms_ = 0;
        raise_floors();
        catch_up_all();
        flush_outbox();
    } catch (const redis_error& e) {
        pub_.reset();
        sub_.reset();
        set_state(ever_connected_ ? "disconnected" : "connecting", e.what());
        backoff_ms_ = backoff_ms_ == 0 ? 100 : std::min(k_max_backoff_ms, backoff_ms_ * 2);
        return false;
    }
    if (ever_connected_) ++reconnects_;
    ever_connected_ = true;
    ++generation_;
    heard_ms_ = util::steady_ms();
    backoff_ms_ = 0;
    // The state first: whoever sees connected() change finds the status already matching.
    set_state("connected");
    up_ = true;
    obs::info("redis bus connected", {{"channel", channel_}, {"replica", opts_.replica_id}});
    if (connected_handler_) connected_handler_();
    return true;
}

void redis_bus::disconnect(const std::string& why)
{
    set_state("disconnected", why);
    up_ = false;
    pub_.reset();
    sub_.reset();
    backoff_ms_ = 100;
    obs::warn("redis bus disconnected: delivering locally until Redis is back", {{"detail", why}});
}

void redis_bus::wait_backoff()
{
    static thread_local std::minstd_rand jitter{std::random_device{}()};
    auto until = util::steady_ms() + backoff_ms_ + std::int64_t(jitter() % std::uint32_t(backoff_ms_ / 5 + 1));
    // Local delivery goes on meanwhile.
    while (!stopping_) {
        for (auto& p : take_queue()) deliver_local(p);
        auto left = until - util::steady_ms();
        if (left <= 0) return;
        pollfd fd{wake_fd_, POLLIN, 0};
        if (::poll(&fd, 1, int(left)) > 0) {
            std::uint64_t n = 0;
            [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
        }
    }
}

std::deque<redis_bus::pending> redis_bus::take_queue()
{
    std::lock_guard lock(queue_mutex_);
    std::deque<pending> out;
    while (!queue_.empty() && out.size() < k_batch) {
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
    }
    return out;
}

void redis_bus::read_subscription()
{
    redis_reply r;
    while (sub_->next_buffered(r)) {
        if (r.size() >= 3 && redis_reply::text_of(r.element(0)) == "message")
            handle_message(redis_reply::text_of(r.element(2)), true);
        // "pong" and (re)subscribe confirmations need nothing more.
    }
}

void redis_bus::handle_message(std::string_view payload, bool live)
{
    auto m = decode_bus_message(payload);
    if (!m) {
        obs::warn("redis bus: ignored a malformed message");
        return;
    }
    if (live) ++received_;
    seen_.insert(m->event_id);
    // Delivered locally while Redis was down: its numbered copy only goes into the history.
    bool to_clients = local_ids_.erase(m->event_id) == 0;
    bool fresh = hub_.deliver(
        sequenced_event{m->room_id, m->seq, m->type, std::make_shared<const std::string>(std::move(m->envelope)),
                        std::move(m->exclude_user_ids)},
        to_clients);
    if (fresh && live && m->origin != opts_.replica_id && remote_handler_) remote_handler_(m->room_id, m->type);
}

}  // namespace spotik::realtime
