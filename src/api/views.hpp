// The contract's JSON representations (CONTRACT §2): User, Track, Participant and Room,
// one shape everywhere. Room payloads follow the playback rules of §7.1.
#pragma once
#include "service/room_service.hpp"
#include "storage/records.hpp"

#include <boost/json/object.hpp>

#include <string>

namespace spotik::api {

boost::json::object user_json(const storage::user_record& u);
boost::json::object track_json(const storage::track_record& t, const std::string& public_path);
boost::json::object participant_json(const storage::participant_record& p, const std::string& admin_id,
                                     std::int64_t now_ms);
// viewer: the requesting user (nullptr for broadcasts, which omit user/is_participant/is_administrator).
boost::json::object room_json(const service::room_view& v, const storage::user_record* viewer,
                              const std::string& public_path, std::int64_t now_ms);

std::string formatted_duration(std::int64_t seconds);
std::string formatted_file_size(std::int64_t bytes);
std::string duration_in_room(std::int64_t joined_at_ms, std::int64_t now_ms);
// "/api/storage/track_covers/<id>.<ext>" if a cover file exists.
boost::json::value track_cover_url(const std::string& track_id, const std::string& public_path);

}  // namespace spotik::api
