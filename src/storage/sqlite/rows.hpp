// Column lists shared by the SQLite store's queries and the readers that turn a result row
// into a record; a reader expects exactly the columns of its list, in that order.
// Readers do not throw beyond std::bad_alloc.
#pragma once
#include "storage/records.hpp"
#include "storage/sqlite/statement.hpp"

#include <vector>

namespace spotik::storage::sqlite {

// users u: 6 columns (password_hash included).
inline constexpr const char* k_user_columns = "u.id, u.username, u.email, u.password_hash, u.created_at, u.updated_at";
inline constexpr int k_user_column_count = 6;  // a column selected after them has this index
// rooms r: 10 columns.
inline constexpr const char* k_room_columns =
    "r.id, r.name, r.description, r.administrator_id, r.current_track_id, r.is_playing, "
    "r.playback_started_at, r.playback_paused_at, r.created_at, r.updated_at";
// room_participants p joined with users u: 8 columns (no password hash).
inline constexpr const char* k_participant_columns =
    "p.id, p.room_id, p.user_id, p.joined_at, u.username, u.email, u.created_at, u.updated_at";
// tracks t joined with users u, then user_has_voted for the viewer bound as ?1: 14 columns.
inline constexpr const char* k_track_columns =
    "t.id, t.room_id, t.uploader_id, t.filename, t.original_name, t.file_path, "
    "t.duration_seconds, t.file_size_bytes, t.mime_type, t.vote_score, t.created_at, "
    "t.updated_at, u.username, "
    "EXISTS (SELECT 1 FROM track_votes v WHERE v.track_id = t.id AND v.user_id = ?1)";

user_record read_user(const statement& row);
room_record read_room(const statement& row);
participant_record read_participant(const statement& row);
track_record read_track(const statement& row);
// Every row of a `SELECT id, file_path FROM tracks ...`.
std::vector<track_file> read_track_files(statement& stmt);

}  // namespace spotik::storage::sqlite
