// Track queue, deletion and votes. Uploads and covers live in track_upload.cpp.
#include "service/track_service.hpp"

#include "obs/log.hpp"
#include "util/ids.hpp"

#include <filesystem>

namespace spotik::service {
namespace fs = std::filesystem;
using domain::failure;

track_service::track_service(storage::store& store, room_events& events, playback_service& playback,
                             const config::config& cfg, const util::clock& clock)
    : store_(store), events_(events), playback_(playback), cfg_(cfg), clock_(clock)
{
}

std::string track_service::audio_file_path(const storage::track_record& t) const
{
    return (fs::path(cfg_.storage.audio_path) / t.file_path).string();
}

std::uint64_t track_service::max_upload_bytes() const
{
    return std::uint64_t(cfg_.storage.max_file_size_mb) * 1024 * 1024;
}

domain::result<std::vector<storage::track_record>> track_service::queue(std::string_view room_id,
                                                                        const storage::user_record& caller)
{
    auto room = store_.find_room(room_id);
    if (!room) return failure::not_found;
    if (!store_.is_participant(room->id, caller.id)) return failure::not_participant;
    return store_.list_tracks(room->id, caller.id);
}

domain::result<storage::track_record> track_service::remove(std::string_view room_id, std::string_view track_id,
                                                            const storage::user_record& caller)
{
    auto room = store_.find_room(room_id);
    if (!room) return failure::not_found;
    auto track = store_.find_track(track_id, "");
    if (!track || track->room_id != room->id) return failure::wrong_room;
    if (room->administrator_id != caller.id && track->uploader_id != caller.id) return failure::forbidden;
    auto turn = events_.turn(room->id);
    auto outcome = store_.delete_track(track->id, clock_.now_ms());
    if (!outcome.deleted) return failure::wrong_room;
    std::error_code ec;
    fs::remove(audio_file_path(*track), ec);
    for (const char* ext : {"jpg", "jpeg", "png", "webp"})
        fs::remove(fs::path(cfg_.storage.public_path) / ("track_covers/" + track->id + "." + ext), ec);
    events_.track_removed(room->id, track->id);
    if (outcome.was_current) playback_.on_current_track_deleted(room->id, *track);
    obs::info("track deleted", {{"track_id", track->id}, {"room_id", room->id}});
    return std::move(*track);
}

domain::result<vote_result> track_service::vote(std::string_view room_id, std::string_view track_id,
                                                const storage::user_record& caller, bool add)
{
    auto track = store_.find_track(track_id, "");
    // A track's room exists as long as the track does (deleting a room deletes its tracks): the
    // room is only read to tell a missing room from a track of another room.
    if (!track || (!room_id.empty() && track->room_id != room_id)) {
        auto room = room_id.empty() ? std::nullopt : store_.find_room(room_id);
        if (!room) return room_id.empty() ? failure::wrong_room : failure::not_found;
        if (!track || track->room_id != room->id) return failure::wrong_room;
    }
    if (!store_.is_participant(track->room_id, caller.id)) {
        // A room deleted since the track was read has no participants left: a 404, not a 403.
        if (!store_.find_room(track->room_id)) return room_id.empty() ? failure::wrong_room : failure::not_found;
        return failure::not_participant;
    }
    auto turn = events_.turn(track->room_id);
    auto outcome = add ? store_.add_vote(track->id, caller.id, util::new_uuid(), clock_.now_ms())
                       : store_.remove_vote(track->id, caller.id);
    if (!outcome.found) return failure::wrong_room;  // the track was deleted meanwhile
    if (outcome.changed) {
        // The score counted inside the vote's own transaction is the only column a vote changes.
        track->vote_score = outcome.vote_score;
        events_.track_voted(*track, caller, add);
    }
    return vote_result{outcome.changed, outcome.vote_score};
}

}  // namespace spotik::service
