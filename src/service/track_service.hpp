// Track use cases (CONTRACT §3, §6): the queue, uploads (multipart body already on disk:
// validated, probed, moved into place atomically, row inserted, auto-start), deletion,
// votes, and room covers (§5.6). Blocking: call on the blocking pool. Storage failures
// propagate as exceptions; a failed upload leaves no file and no row.
#pragma once
#include "domain/failure.hpp"
#include "service/playback_service.hpp"
#include "service/room_events.hpp"
#include "util/file_claim.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace spotik::service {

enum class upload_problem {
    not_found,     // room
    forbidden,     // not a participant / not the administrator
    invalid,       // field errors (422)
    too_large,     // 413
    storage_full,  // 507
};

struct upload_error {
    upload_problem problem;
    std::string field;    // for invalid: "audio_file" or "cover_image"
    std::string message;  // user-facing
};

struct vote_result {
    bool changed = false;
    std::int64_t vote_score = 0;
};

class track_service {
public:
    track_service(storage::store& store, room_events& events, playback_service& playback, const config::config& cfg,
                  const util::clock& clock);

    domain::result<std::vector<storage::track_record>> queue(std::string_view room_id,
                                                             const storage::user_record& caller);
    // The room an upload or a cover change goes to, once the caller may do it there (checked
    // before the body is received, then again with it).
    std::variant<storage::room_record, upload_error> upload_room(std::string_view room_id,
                                                                 const storage::user_record& caller);
    std::variant<storage::room_record, upload_error> cover_room(std::string_view room_id,
                                                                const storage::user_record& caller);
    std::variant<storage::track_record, upload_error> upload(std::string_view room_id,
                                                             const storage::user_record& caller,
                                                             const std::string& body_path,
                                                             std::string_view content_type);
    domain::result<storage::track_record> remove(std::string_view room_id, std::string_view track_id,
                                                 const storage::user_record& caller);
    // room_id empty: derive the room from the track (the /api/tracks/{id}/vote alias).
    domain::result<vote_result> vote(std::string_view room_id, std::string_view track_id,
                                     const storage::user_record& caller, bool add);
    // Returns the new cover URL.
    std::variant<std::string, upload_error> set_room_cover(std::string_view room_id, const storage::user_record& caller,
                                                           const std::string& body_path, std::string_view content_type);

    std::string audio_file_path(const storage::track_record& t) const;
    std::uint64_t max_upload_bytes() const;

private:
    // An upload that passed its checks: the audio file (and maybe a cover) written next to
    // their final places, and the row to insert.
    struct staged_track {
        util::file_claim audio;
        std::unique_ptr<util::file_claim> cover;
        std::filesystem::path cover_path;  // where the cover goes
        storage::track_record row;
    };
    // Renames the audio into place, inserts the row, then places the cover. An error when the
    // room went meanwhile (nothing of the track is left then).
    std::optional<upload_error> commit(staged_track& track, const std::filesystem::path& audio_target);

    storage::store& store_;
    room_events& events_;
    playback_service& playback_;
    const config::config& cfg_;
    const util::clock& clock_;
};

}  // namespace spotik::service
