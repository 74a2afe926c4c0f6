// Room event payloads.
#include "service/room_events.hpp"

#include "api/json_number.hpp"
#include "api/views.hpp"
#include "util/time_format.hpp"

#include <algorithm>

namespace spotik::service {
namespace {

using boost::json::object;

// The rooms whose turn this thread holds (a turn taken again on the same room is a no-op).
thread_local std::vector<std::string> rooms_held;

object brief_user(const storage::user_record& u)
{
    return {{"id", u.id}, {"username", u.username}};
}

}  // namespace

room_events::room_events(realtime::event_sink& sink, room_service& rooms, const config::config& cfg,
                         const util::clock& clock)
    : sink_(sink), rooms_(rooms), cfg_(cfg), clock_(clock)
{
}

room_turn::room_turn(std::recursive_mutex& m, room_order* order, std::string_view room_id)
    : lock_(m), order_(order), room_id_(room_id)
{
    if (std::find(rooms_held.begin(), rooms_held.end(), room_id_) != rooms_held.end()) return;
    if (order_) token_ = order_->take(room_id_);
    rooms_held.push_back(room_id_);
    outermost_ = true;
}

void room_turn::unlock()
{
    if (!lock_.owns_lock()) return;
    if (outermost_) {
        try {
            if (!token_.empty()) order_->give_back(room_id_, token_);
        } catch (const std::exception&) {
            // Not given back (out of memory): the shared turn expires on its own.
        }
        std::erase(rooms_held, room_id_);
    }
    lock_.unlock();
}

room_turn room_events::turn(std::string_view room_id)
{
    return room_turn(turns_[std::hash<std::string_view>{}(room_id) % turns_.size()], order_, room_id);
}

object room_events::track(const storage::track_record& t) const
{
    auto o = api::track_json(t, cfg_.storage.public_path);
    // Relative to a viewer; broadcasts have none. at(): the key is there, and operator[] would
    // grow the full table first.
    o.at("user_has_voted") = false;
    return o;
}

void room_events::emit(const std::string& room_id, std::string type, object data, std::vector<std::string> exclude)
{
    std::int64_t now = clock_.now_ms();
    data.reserve(data.size() + 4);  // the three below and the hub's seq
    data["room_id"] = room_id;
    if (!data.contains("server_time")) data["server_time"] = util::iso8601_ms(now);
    data["server_time_ms"] = now;
    sink_.publish(realtime::room_event{room_id, std::move(type), std::move(data), std::move(exclude)});
}

void room_events::user_joined(const std::string& room_id, const storage::participant_record& p)
{
    auto participants = rooms_.participants(room_id);
    std::size_t count = participants ? participants->size() : 0;
    object user{{"id", p.user_id},
                {"user_id", p.user_id},
                {"username", p.user.username},
                {"joined_at", util::iso8601_ms(p.joined_at)},
                {"is_administrator", false}};
    emit(room_id, "user_joined",
         {{"user", std::move(user)}, {"participant_count", count}, {"message", p.user.username + " joined the room"}});
}

void room_events::user_left(const std::string& room_id, const storage::user_record& u)
{
    auto participants = rooms_.participants(room_id);
    std::size_t count = participants ? participants->size() : 0;
    emit(room_id, "user_left",
         {{"user", {{"id", u.id}, {"user_id", u.id}, {"username", u.username}}},
          {"participant_count", count},
          {"message", u.username + " left the room"}});
}

void room_events::track_added(const storage::track_record& t)
{
    emit(t.room_id, "track_added",
         {{"track", track(t)},
          {"uploader", {{"id", t.uploader_id}, {"username", t.uploader_username}}},
          {"message", t.uploader_username + " added \"" + t.original_name + "\""}});
}

void room_events::track_removed(const std::string& room_id, const std::string& track_id)
{
    emit(room_id, "track_removed", {{"track_id", track_id}});
}

void room_events::track_voted(const storage::track_record& t, const storage::user_record& voter, bool added)
{
    emit(t.room_id, "track_voted",
         {{"track", track(t)},
          {"voter", brief_user(voter)},
          {"user", brief_user(voter)},
          {"vote_added", added},
          {"new_vote_score", t.vote_score},
          {"message", voter.username + (added ? " voted for \"" : " removed a vote for \"") + t.original_name + "\""}},
         {voter.id});
}

void room_events::playback_started(const std::string& room_id, const storage::track_record& t, std::int64_t s,
                                   bool auto_started)
{
    auto iso = util::iso8601_ms(s);
    emit(room_id, "playback_started",
         {{"is_playing", true},
          {"track", track(t)},
          {"current_track", track(t)},
          {"playback_started_at", iso},
          {"started_at", iso},
          {"playback_paused_at", nullptr},
          {"current_position", 0},
          {"position", 0},
          {"auto_started", auto_started},
          {"message", "Now playing \"" + t.original_name + "\""}});
}

void room_events::playback_paused(const std::string& room_id, const storage::track_record& t,
                                  const storage::playback_columns& c)
{
    double position = double(c.paused_at.value_or(0) - c.started_at.value_or(0)) / 1000.0;
    auto p = util::iso8601_ms(c.paused_at.value_or(0));
    emit(room_id, "playback_paused",
         {{"is_playing", false},
          {"track", track(t)},
          {"current_track", track(t)},
          {"playback_started_at", util::iso8601_ms(c.started_at.value_or(0))},
          {"playback_paused_at", p},
          {"paused_at", p},
          {"current_position", api::seconds_value(position)},
          {"position", api::seconds_value(position)}});
}

void room_events::playback_resumed(const std::string& room_id, const storage::track_record& t, std::int64_t resumed_at,
                                   const storage::playback_columns& c, double position_s)
{
    auto r = util::iso8601_ms(resumed_at);
    emit(room_id, "playback_resumed",
         {{"is_playing", true},
          {"track", track(t)},
          {"current_track", track(t)},
          {"playback_started_at", r},  // the resume instant: V adds (now - this) to its paused position
          {"resumed_at", r},
          {"effective_started_at", util::iso8601_ms(c.started_at.value_or(0))},
          {"playback_paused_at", nullptr},
          {"current_position", api::seconds_value(position_s)},
          {"position", api::seconds_value(position_s)}});
}

void room_events::track_skipped(const std::string& room_id, const std::optional<storage::track_record>& skipped,
                                const std::optional<storage::track_record>& next, std::int64_t server_time,
                                const std::string& reason)
{
    boost::json::value skipped_json = skipped ? boost::json::value(track(*skipped)) : nullptr;
    boost::json::value next_json = next ? boost::json::value(track(*next)) : nullptr;
    object data{{"skipped_track", skipped_json},
                {"previous_track", skipped_json},
                {"next_track", next_json},
                {"new_track", next_json},
                {"is_playing", next.has_value()},
                {"server_time", util::iso8601_ms(server_time)},
                {"position", 0}};
    if (!reason.empty()) data["reason"] = reason;
    emit(room_id, "track_skipped", std::move(data));
}

void room_events::playback_stopped(const std::string& room_id, const std::optional<storage::track_record>& previous,
                                   const std::string& reason)
{
    emit(room_id, "playback_stopped",
         {{"is_playing", false},
          {"previous_track", previous ? boost::json::value(track(*previous)) : nullptr},
          {"reason", reason},
          {"stopped_at", util::iso8601_ms(clock_.now_ms())}});
}

void room_events::room_state_updated(const std::string& room_id)
{
    auto view = rooms_.show(room_id, "", false);
    if (!view) return;
    emit(room_id, "room_state_updated",
         {{"room", api::room_json(*view, nullptr, cfg_.storage.public_path, clock_.now_ms())}});
}

void room_events::room_deleted(const std::string& room_id, const std::string& name)
{
    emit(room_id, "room_deleted", {{"room_name", name}, {"reason", "deleted_by_administrator"}});
}

}  // namespace spotik::service
