// Plain rows exchanged with the store. Instants are epoch milliseconds (UTC); ids are
// lower-case UUID strings.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace spotik::storage {

struct user_record {
    std::string id;
    std::string username;
    std::string email;
    std::string password_hash;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
};

// The four playback columns of a room, always read and written together.
struct playback_columns {
    std::optional<std::string> current_track_id;
    bool is_playing = false;
    std::optional<std::int64_t> started_at;  // effective start S
    std::optional<std::int64_t> paused_at;   // pause instant P
    bool operator==(const playback_columns&) const = default;
};

struct room_record {
    std::string id;
    std::string name;
    std::optional<std::string> description;
    std::string administrator_id;
    playback_columns playback;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
};

struct participant_record {
    std::string id;  // the room_participants row id
    std::string room_id;
    std::string user_id;
    std::int64_t joined_at = 0;
    user_record user;  // filled by reads (password_hash left empty)
};

struct track_record {
    std::string id;
    std::string room_id;
    std::string uploader_id;
    std::string filename;       // <uuid>.<ext>
    std::string original_name;  // the client's file name
    std::string file_path;      // relative: tracks/<filename>
    std::int64_t duration_seconds = 0;
    std::int64_t file_size_bytes = 0;
    std::string mime_type;
    std::int64_t vote_score = 0;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    // Filled by reads:
    std::string uploader_username;
    bool user_has_voted = false;  // relative to the viewer passed to the read, false without one
};

// A track's id and its audio file, relative to AUDIO_STORAGE_PATH: what the storage sweep and a
// room's deletion need of it.
struct track_file {
    std::string track_id;
    std::string file_path;
};

}  // namespace spotik::storage
