// Room hub.
#include "realtime/hub.hpp"

#include "util/clock.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace spotik::realtime {
namespace {

double epoch_seconds()
{
    return double(util::system_clock{}.now_ms()) / 1000.0;
}

// After room_deleted: a deleted room keeps no sockets, on every replica (after they got
// room_deleted), and no entry either: its seq and history would otherwise stay for the life of
// the process, up to history_size frames for every room ever deleted. Called with r's mutex
// held; nothing takes a room's mutex while holding the map's, so the order is safe.
template <class Map, class Room>
void forget(std::mutex& map_mutex, Map& rooms, const std::string& room_id, Room& r)
{
    r.clients.clear();
    r.raw.clear();
    r.history.clear();
    r.history_bytes = 0;
    std::lock_guard lock(map_mutex);
    auto it = rooms.find(room_id);
    if (it != rooms.end() && it->second.get() == &r) rooms.erase(it);
}

// The user whose membership a user_left event ends: data.user.id.
std::string leaver(const boost::json::object& data)
{
    const auto* user = data.if_contains("user");
    const auto* id = user && user->is_object() ? user->as_object().if_contains("id") : nullptr;
    return id && id->is_string() ? std::string(id->as_string()) : std::string();
}

std::string leaver_in_envelope(const std::string& envelope)
{
    boost::system::error_code ec;
    auto v = boost::json::parse(envelope, ec);
    const auto* data = !ec && v.is_object() ? v.as_object().if_contains("data") : nullptr;
    return data && data->is_object() ? leaver(data->as_object()) : std::string();
}

bool excluded(const std::vector<std::string>& user_ids, std::string_view user_id)
{
    return std::find(user_ids.begin(), user_ids.end(), user_id) != user_ids.end();
}

}  // namespace

hub::hub(std::size_t history_size, std::size_t history_max_bytes)
    : history_size_(std::max<std::size_t>(1, history_size)), history_max_bytes_(history_max_bytes)
{
}

void hub::trim_history(room& r) const
{
    while (r.history.size() > history_size_ || (r.history.size() > 1 && r.history_bytes > history_max_bytes_)) {
        r.history_bytes -= r.history.front().f->size();
        r.history.pop_front();
    }
}

frame hub::make_frame(std::string_view type, boost::json::object data)
{
    boost::json::object envelope{{"type", type}, {"data", std::move(data)}, {"timestamp", epoch_seconds()}};
    return std::make_shared<const std::string>(boost::json::serialize(envelope));
}

std::shared_ptr<hub::room> hub::find_or_create(const std::string& room_id)
{
    std::lock_guard lock(rooms_mutex_);
    auto& r = rooms_[room_id];
    if (!r) {
        r = std::make_shared<room>();
        if (first_seq_) r->seq = first_seq_();
    }
    return r;
}

std::shared_ptr<hub::room> hub::find(const std::string& room_id) const
{
    std::lock_guard lock(rooms_mutex_);
    auto it = rooms_.find(room_id);
    return it == rooms_.end() ? nullptr : it->second;
}

void hub::publish(room_event event)
{
    auto r = find_or_create(event.room_id);
    std::lock_guard lock(r->mutex);
    std::uint64_t seq = ++r->seq;
    std::string left = event.type == "user_left" ? leaver(event.data) : std::string();
    boost::json::object envelope{
        {"type", event.type}, {"data", std::move(event.data)}, {"timestamp", epoch_seconds()}, {"seq", seq}};
    envelope["data"].as_object()["seq"] = seq;
    auto f = std::make_shared<const std::string>(boost::json::serialize(envelope));
    r->history.push_back({seq, f, event.exclude_user_ids});
    r->history_bytes += f->size();
    trim_history(*r);
    ++published_;
    delivered_ += fan_out(*r, f, event.exclude_user_ids);
    if (!left.empty()) detach_user(*r, left);
    if (event.type == "room_deleted") forget(rooms_mutex_, rooms_, event.room_id, *r);
}

// After user_left: the user's sockets get no more of the room's events (they got this one).
void hub::detach_user(room& r, const std::string& user_id)
{
    for (std::size_t i = 0; i < r.clients.size();) {
        auto c = r.clients[i].lock();
        if (!c || c->user_id() == user_id) {
            r.clients.erase(r.clients.begin() + std::ptrdiff_t(i));
            r.raw.erase(r.raw.begin() + std::ptrdiff_t(i));
            continue;
        }
        ++i;
    }
}

std::size_t hub::fan_out(room& r, const frame& f, const std::vector<std::string>& exclude_user_ids)
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < r.clients.size();) {
        auto c = r.clients[i].lock();
        if (!c) {
            r.clients.erase(r.clients.begin() + std::ptrdiff_t(i));
            r.raw.erase(r.raw.begin() + std::ptrdiff_t(i));
            continue;
        }
        if (!excluded(exclude_user_ids, c->user_id())) {
            c->deliver(f);
            ++n;
        }
        ++i;
    }
    return n;
}

bool hub::deliver(const sequenced_event& e, bool to_clients)
{
    auto r = find_or_create(e.room_id);
    std::lock_guard lock(r->mutex);
    if (e.seq <= r->seq) {
        auto at = std::lower_bound(r->history.begin(), r->history.end(), e.seq,
                                   [](const auto& entry, std::uint64_t s) { return entry.seq < s; });
        if (at == r->history.end() || at->seq != e.seq) {
            if (r->history.size() < history_size_ || at != r->history.begin()) {
                r->history.insert(at, {e.seq, e.f, e.exclude_user_ids});
                r->history_bytes += e.f->size();
            }
            trim_history(*r);
        }
        return false;
    }
    r->seq = e.seq;
    r->history.push_back({e.seq, e.f, e.exclude_user_ids});
    r->history_bytes += e.f->size();
    trim_history(*r);
    ++published_;
    if (to_clients) delivered_ += fan_out(*r, e.f, e.exclude_user_ids);
    if (e.type == "user_left")
        if (auto left = leaver_in_envelope(*e.f); !left.empty()) detach_user(*r, left);
    if (e.type == "room_deleted") forget(rooms_mutex_, rooms_, e.room_id, *r);
    return true;
}

// Whether the events after last_seq are all in r's history. Not when last_seq is older than the
// history, nor when it is a seq the room never reached here: the numbering restarted (a server
// restart without the shared bus) or this replica lags behind the bus.
bool hub::replayable(const room& r, std::uint64_t last_seq)
{
    if (last_seq >= r.seq) return last_seq == r.seq;
    return !r.history.empty() && last_seq + 1 >= r.history.front().seq;
}

void hub::prepare_join(const std::string& room_id, std::optional<std::uint64_t> last_seq)
{
    if (!source_) return;
    bool needed = true;
    if (auto r = find(room_id)) {
        std::lock_guard lock(r->mutex);
        needed = last_seq && !replayable(*r, *last_seq);
    }
    if (needed) source_->catch_up(room_id);
}

std::vector<std::string> hub::room_ids() const
{
    std::lock_guard lock(rooms_mutex_);
    std::vector<std::string> out;
    out.reserve(rooms_.size());
    for (const auto& [id, r] : rooms_) out.push_back(id);
    return out;
}

join_result hub::join(const std::string& room_id, const std::shared_ptr<hub_client>& client,
                      const std::vector<frame>& first, std::optional<std::uint64_t> last_seq)
{
    auto r = find_or_create(room_id);
    std::lock_guard lock(r->mutex);
    join_result out;
    out.current_seq = r->seq;
    for (const auto& f : first) client->deliver(f);
    if (last_seq && !replayable(*r, *last_seq)) {
        out.recovered = false;
    } else if (last_seq) {
        // Replayed to the same sockets as it was delivered to: a voter's own still do not get
        // its track_voted.
        for (const auto& past : r->history)
            if (past.seq > *last_seq && !excluded(past.excluded, client->user_id())) {
                client->deliver(past.f);
                ++out.replayed;
            }
    }
    if (std::find(r->raw.begin(), r->raw.end(), client.get()) == r->raw.end()) {
        r->clients.push_back(client);
        r->raw.push_back(client.get());
    }
    return out;
}

void hub::leave(const std::string& room_id, const hub_client* client)
{
    auto r = find(room_id);
    if (!r) return;
    std::lock_guard lock(r->mutex);
    for (std::size_t i = 0; i < r->raw.size(); ++i) {
        if (r->raw[i] == client) {
            r->raw.erase(r->raw.begin() + std::ptrdiff_t(i));
            r->clients.erase(r->clients.begin() + std::ptrdiff_t(i));
            return;
        }
    }
}

void hub::close_room(const std::string& room_id)
{
    auto r = find(room_id);
    if (!r) return;
    std::lock_guard lock(r->mutex);
    r->clients.clear();
    r->raw.clear();
}

std::uint64_t hub::current_seq(const std::string& room_id)
{
    // Created if need be: the seq a join reports is the one the room's next events follow.
    auto r = find_or_create(room_id);
    std::lock_guard lock(r->mutex);
    return r->seq;
}

std::vector<std::pair<std::string, std::shared_ptr<hub::room>>> hub::all_rooms() const
{
    std::lock_guard lock(rooms_mutex_);
    return {rooms_.begin(), rooms_.end()};
}

hub_stats hub::stats() const
{
    hub_stats s;
    for (auto& [id, r] : all_rooms()) {
        std::lock_guard lock(r->mutex);
        s.history_bytes += r->history_bytes;
        if (r->clients.empty()) continue;
        s.sockets_per_room[id] = r->clients.size();
        s.sockets_in_rooms += r->clients.size();
        ++s.rooms;
    }
    s.events_published = published_;
    s.frames_delivered = delivered_;
    return s;
}

std::vector<std::string> hub::rooms_of(std::string_view user_id) const
{
    std::vector<std::string> found;
    for (auto& [id, r] : all_rooms()) {
        std::lock_guard lock(r->mutex);
        auto joined = std::any_of(r->clients.begin(), r->clients.end(), [&](const auto& weak) {
            auto c = weak.lock();
            return c && c->user_id() == user_id;
        });
        if (joined) found.push_back(id);
    }
    std::sort(found.begin(), found.end());
    return found;
}

}  // namespace spotik::realtime
