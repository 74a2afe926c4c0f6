// JSON representations.
#include "api/views.hpp"

#include "api/json_number.hpp"
#include "domain/playback.hpp"
#include "util/time_format.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>

namespace spotik::api {
namespace {

boost::json::value iso_or_null(const std::optional<std::int64_t>& ms)
{
    if (!ms) return nullptr;
    return boost::json::string(util::iso8601_ms(*ms));
}

std::string plural(std::int64_t n, const char* unit)
{
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

}  // namespace

boost::json::object user_json(const storage::user_record& u)
{
    return {{"id", u.id},
            {"username", u.username},
            {"email", u.email},
            {"created_at", util::iso8601_ms(u.created_at)},
            {"updated_at", util::iso8601_ms(u.updated_at)}};
}

std::string formatted_duration(std::int64_t seconds)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
    return buf;
}

std::string formatted_file_size(std::int64_t bytes)
{
    static constexpr const char* k_units[] = {"B", "KB", "MB", "GB"};
    double v = double(bytes);
    int i = 0;
    while (v > 1024 && i < 3) {
        v /= 1024;
        ++i;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", std::round(v * 100) / 100);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s + " " + k_units[i];
}

std::string duration_in_room(std::int64_t joined_at_ms, std::int64_t now_ms)
{
    std::int64_t s = std::max<std::int64_t>(0, (now_ms - joined_at_ms) / 1000);
    if (s >= 86400) return plural(s / 86400, "day");
    if (s >= 3600) return plural(s / 3600, "hour");
    if (s >= 60) return plural(s / 60, "minute");
    return "Just joined";
}

boost::json::value track_cover_url(const std::string& track_id, const std::string& public_path)
{
    std::error_code ec;
    for (const char* ext : {"jpg", "jpeg", "png", "webp"}) {
        std::string name = "track_covers/" + track_id + "." + ext;
        if (std::filesystem::is_regular_file(std::filesystem::path(public_path) / name, ec))
            return boost::json::string("/api/storage/" + name);
    }
    return nullptr;
}

boost::json::object track_json(const storage::track_record& t, const std::string& public_path)
{
    return {{"id", t.id},
            {"room_id", t.room_id},
            {"uploader_id", t.uploader_id},
            {"filename", t.filename},
            {"original_name", t.original_name},
            {"duration_seconds", t.duration_seconds},
            {"formatted_duration", formatted_duration(t.duration_seconds)},
            {"file_size_bytes", t.file_size_bytes},
            {"formatted_file_size", formatted_file_size(t.file_size_bytes)},
            {"mime_type", t.mime_type},
            {"vote_score", t.vote_score},
            {"votes_count", t.vote_score},
            {"uploader", {{"id", t.uploader_id}, {"username", t.uploader_username}}},
            {"user_has_voted", t.user_has_voted},
            {"file_url", "/api/tracks/" + t.id + "/stream"},
            {"cover_url", track_cover_url(t.id, public_path)},
            {"created_at", util::iso8601_ms(t.created_at)},
            {"updated_at", util::iso8601_ms(t.updated_at)}};
}

boost::json::object participant_json(const storage::participant_record& p, const std::string& admin_id,
                                     std::int64_t now_ms)
{
    return {{"id", p.user_id},
            {"participant_id", p.id},
            {"user_id", p.user_id},
            {"username", p.user.username},
            {"joined_at", util::iso8601_ms(p.joined_at)},
            {"duration_in_room", duration_in_room(p.joined_at, now_ms)},
            {"is_administrator", p.user_id == admin_id},
            {"user", user_json(p.user)}};
}

boost::json::object room_json(const service::room_view& v, const storage::user_record* viewer,
                              const std::string& public_path, std::int64_t now_ms)
{
    const auto& r = v.room;
    auto pb = domain::room_fields(r.playback);
    boost::json::array participants;
    bool viewer_is_participant = false;
    for (const auto& p : v.participants) {
        participants.push_back(participant_json(p, r.administrator_id, now_ms));
        if (viewer && p.user_id == viewer->id) viewer_is_participant = true;
    }
    boost::json::object o{
        {"id", r.id},
        {"name", r.name},
        {"description", r.description ? boost::json::value(*r.description) : boost::json::value(nullptr)},
        {"administrator_id", r.administrator_id},
        {"administrator", user_json(v.administrator)},
        {"current_track_id", v.current_track ? boost::json::value(v.current_track->id) : boost::json::value(nullptr)},
        {"current_track", v.current_track ? boost::json::value(track_json(*v.current_track, public_path))
                                          : boost::json::value(nullptr)},
        {"is_playing", pb.is_playing},
        {"playback_started_at", iso_or_null(pb.started_at)},
        {"playback_paused_at", iso_or_null(pb.paused_at)},
        {"current_playback_position", seconds_value(pb.current_position)},
        {"participant_count", participants.size()},
        {"participants", std::move(participants)},
        {"track_count", v.track_count},
        {"cover_url", v.cover_url ? boost::json::value(*v.cover_url) : boost::json::value(nullptr)},
        {"created_at", util::iso8601_ms(r.created_at)},
        {"updated_at", util::iso8601_ms(r.updated_at)}};
    if (v.with_queue) {
        boost::json::array queue;
        for (const auto& t : v.queue) queue.push_back(track_json(t, public_path));
        o["track_queue"] = std::move(queue);
    }
    if (viewer) {
        o["is_administrator"] = viewer->id == r.administrator_id;
        o["is_participant"] = viewer_is_participant;
        o["user"] = user_json(*viewer);
    }
    return o;
}

}  // namespace spotik::api
