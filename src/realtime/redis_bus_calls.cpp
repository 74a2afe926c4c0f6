// Redis bus: publishing (queue, pipelined script calls, local delivery while down, outbox),
// catching up from the shared histories, leases, and the status report.
#include "realtime/redis_bus.hpp"

#include "obs/log.hpp"
#include "realtime/redis_scripts.hpp"
#include "util/ids.hpp"

#include <unistd.h>

#include <chrono>
#include <thread>

namespace spotik::realtime {
namespace {

constexpr const char* k_dedupe_ttl_ms = "600000";

}  // namespace

void redis_bus::publish(room_event e)
{
    pending p;
    p.id = util::fast_hex64() + util::fast_hex64();
    p.envelope = make_envelope_template(e, double(clock_.now_ms()) / 1000.0);
    p.message = make_message_template(e, opts_.replica_id, p.id, p.envelope);
    p.event = std::move(e);
    enqueue(std::move(p));
}

void redis_bus::give_turn(const std::string& room_id, const std::string& token)
{
    pending p;
    p.event.room_id = room_id;
    p.turn_token = token;
    enqueue(std::move(p));
}

void redis_bus::enqueue(pending p)
{
    {
        std::lock_guard lock(queue_mutex_);
        queue_.push_back(std::move(p));
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

// One pipelined round trip. On an I/O failure the events without a reply are delivered
// locally (and kept for forwarding) before the error propagates.
void redis_bus::publish_batch(std::deque<pending>& batch, bool from_outbox)
{
    std::string floor_text, history = std::to_string(opts_.history_size), ttl = std::to_string(opts_.key_ttl_ms);
    const std::string history_bytes = std::to_string(opts_.history_max_bytes);
    std::size_t answered = 0;
    try {
        for (auto& p : batch) {
            if (!p.turn_token.empty()) {
                pub_->append({"EVALSHA", give_turn_sha_, "1", key(p.event.room_id, "turn"), p.turn_token});
                continue;
            }
            auto seq_key = key(p.event.room_id, "seq"), history_key = key(p.event.room_id, "history");
            auto dedupe_key = opts_.prefix + ":event:" + p.id;
            floor_text = std::to_string(hub_.current_seq(p.event.room_id));
            pub_->append({"EVALSHA", publish_sha_, "4", seq_key, history_key, dedupe_key,
                          key(p.event.room_id, "history_bytes"), channel_, floor_text, history, history_bytes,
                          k_dedupe_ttl_ms, ttl, p.message.prefix, p.message.suffix, p.envelope.mid, p.envelope.tail});
        }
        for (; answered < batch.size(); ++answered) {
            auto r = pub_->read_reply();
            if (!batch[answered].turn_token.empty()) {
                if (r.is_error()) obs::warn("redis bus: turn not given back", {{"detail", std::string(r.text())}});
                continue;
            }
            if (r.is_error()) {
                if (r.text().starts_with("NOSCRIPT")) throw redis_error("redis: script missing (server restarted?)");
                obs::warn("redis bus: publish refused", {{"detail", std::string(r.text())}});
                // Sockets here got it already if it came from the outbox; otherwise they get it now.
                if (!from_outbox) deliver_local(batch[answered]);
                continue;
            }
            ++published_;
        }
    } catch (const redis_error&) {
        for (std::size_t i = answered; i < batch.size(); ++i)
            if (!from_outbox) deliver_local(batch[i]);
        throw;
    }
}

void redis_bus::deliver_local(pending& p)
{
    // An event seen already did reach Redis and came back. A turn's release is no event: it
    // waits in the outbox, behind the events of its turn.
    if (p.turn_token.empty()) {
        if (seen_.contains(p.id)) return;
        local_ids_.insert(p.id);
        ++local_only_;
        std::string room_id = p.event.room_id;
        hub_.publish(std::move(p.event));
        p.event.room_id = std::move(room_id);
    }
    outbox_.push_back(std::move(p));
    if (outbox_.size() > opts_.outbox_limit) {
        local_ids_.erase(outbox_.front().id);
        outbox_.pop_front();
        ++dropped_;
    }
    outbox_size_ = outbox_.size();
}

// After Redis lost its data (a restart without persistence), numbering must go on above the
// seqs replicas already handed out.
void redis_bus::raise_floors()
{
    std::vector<std::string> rooms = hub_.room_ids();
    std::string ttl = std::to_string(opts_.key_ttl_ms);
    std::size_t sent = 0;
    for (const auto& room : rooms) {
        auto seq = hub_.current_seq(room);
        if (seq == 0) continue;
        pub_->append({"EVALSHA", raise_sha_, "1", key(room, "seq"), std::to_string(seq), ttl});
        ++sent;
    }
    for (std::size_t i = 0; i < sent; ++i) pub_->read_reply();
}

// Events published while this replica was not subscribed (still in the shared histories).
void redis_bus::catch_up_all()
{
    std::vector<std::string> rooms = hub_.room_ids();
    for (const auto& room : rooms) pub_->append({"LRANGE", key(room, "history"), "0", "-1"});
    for (std::size_t i = 0; i < rooms.size(); ++i) {
        auto r = pub_->read_reply();
        for (std::size_t k = 0; k < r.size(); ++k) handle_message(redis_reply::text_of(r.element(k)), false);
    }
}

void redis_bus::flush_outbox()
{
    while (!outbox_.empty()) {
        std::deque<pending> batch;
        while (!outbox_.empty() && batch.size() < 256) {
            batch.push_back(std::move(outbox_.front()));
            outbox_.pop_front();
        }
        try {
            publish_batch(batch, true);
        } catch (const redis_error&) {
            for (auto it = batch.rbegin(); it != batch.rend(); ++it) outbox_.push_front(std::move(*it));
            outbox_size_ = outbox_.size();
            throw;
        }
        outbox_size_ = outbox_.size();
    }
}

void redis_bus::catch_up(const std::string& room_id)
{
    std::lock_guard lock(query_mutex_);
    if (!query_ready()) return;
    try {
        auto r = query_->command({"LRANGE", key(room_id, "history"), "0", "-1"});
        for (std::size_t k = 0; k < r.size(); ++k) {
            auto m = decode_bus_message(redis_reply::text_of(r.element(k)));
            if (!m) continue;
            hub_.deliver(sequenced_event{m->room_id, m->seq, m->type,
                                         std::make_shared<const std::string>(std::move(m->envelope)),
                                         std::move(m->exclude_user_ids)});
        }
    } catch (const redis_error& e) {
        query_failed();
        obs::warn("redis bus: history catch-up failed", {{"room_id", room_id}, {"detail", e.what()}});
    }
}

// Under query_mutex_. After a failed query none is tried until the bus has heard from Redis
// since: a Redis that stopped answering costs one caller the timeout, not every caller in
// turn. A connection from before the bus's last reconnect is replaced (Redis may have
// restarted under it).
bool redis_bus::query_ready()
{
    if (!up_ || query_failed_ms_ >= heard_ms_) return false;
    if (query_ && query_generation_ != generation_) query_.reset();
    try {
        if (!query_) {
            query_ = std::make_unique<redis_connection>(opts_.endpoint, opts_.timeout_ms);
            query_generation_ = generation_;
        }
        return true;
    } catch (const redis_error&) {
        query_failed();
        return false;
    }
}

void redis_bus::query_failed()
{
    query_.reset();
    query_failed_ms_ = util::steady_ms();
}

std::string redis_bus::take_turn(const std::string& room_id, std::int64_t ttl_ms, std::int64_t wait_ms)
{
    std::string token = opts_.replica_id + ":" + util::fast_hex64();
    const auto turn_key = key(room_id, "turn");
    const auto give_up_at = util::steady_ms() + wait_ms;
    bool sent = false;  // a try that got no answer may still take the turn in Redis
    // Another replica's turn lasts a write and a publish: poll finely at first. While Redis does
    // not answer, wait for the bus to hear from it again, or to find it gone.
    for (auto pause = std::chrono::microseconds(200); up_;
         pause = std::min(pause * 2, std::chrono::microseconds(2000))) {
        auto outcome = claim_turn(turn_key, token, ttl_ms, sent);
        if (outcome == claim::acquired) return token;
        if (outcome == claim::refused) break;
        if (util::steady_ms() >= give_up_at) {
            obs::warn("room turn not had within the wait: going ahead", {{"room_id", room_id}});
            break;
        }
        std::this_thread::sleep_for(pause);
    }
    if (sent) give_turn(room_id, token);  // after that late try, if it ever runs
    return {};
}

redis_bus::claim redis_bus::claim_turn(const std::string& turn_key, const std::string& token, std::int64_t ttl_ms,
                                       bool& sent)
{
    std::lock_guard lock(query_mutex_);
    if (!query_ready()) return claim::failed;
    try {
        auto r = query_->command({"EVAL", scripts::take_turn, "1", turn_key, token, std::to_string(ttl_ms)});
        if (r.is_error()) {
            obs::warn("redis bus: room turn refused", {{"detail", std::string(r.text())}});
            return claim::refused;
        }
        return r.is_integer() && r.integer() == 1 ? claim::acquired : claim::taken;
    } catch (const redis_error&) {
        sent = true;
        query_failed();
        return claim::failed;
    }
}

redis_bus::lease redis_bus::try_lease(const std::string& name, std::int64_t ttl_ms)
{
    std::lock_guard lock(query_mutex_);
    if (!query_ready()) return lease::unavailable;
    try {
        auto r = query_->command(
            {"SET", opts_.prefix + ":lease:" + name, opts_.replica_id, "NX", "PX", std::to_string(ttl_ms)});
        if (r.is_error()) return lease::unavailable;
        return r.is_nil() ? lease::taken : lease::acquired;
    } catch (const redis_error&) {
        query_failed();
        return lease::unavailable;
    }
}

bus_status redis_bus::status() const
{
    bus_status s;
    s.mode = "redis";
    s.connected = up_;
    {
        std::lock_guard lock(status_mutex_);
        s.state = state_;
        s.last_error = last_error_;
        s.state_since_ms = state_since_ms_;
    }
    s.published = published_;
    s.received = received_;
    s.local_only = local_only_;
    s.outbox = outbox_size_;
    s.outbox_dropped = dropped_;
    s.reconnects = reconnects_;
    return s;
}

}  // namespace spotik::realtime
