// Result-row readers for the SQLite store, one per record type, matching the column lists in
// rows.hpp. No exceptions beyond std::bad_alloc.
#include "storage/sqlite/rows.hpp"

namespace spotik::storage::sqlite {

user_record read_user(const statement& row)
{
    user_record user;
    user.id = row.text(0);
    user.username = row.text(1);
    user.email = row.text(2);
    user.password_hash = row.text(3);
    user.created_at = row.integer(4);
    user.updated_at = row.integer(5);
    return user;
}

room_record read_room(const statement& row)
{
    room_record room;
    room.id = row.text(0);
    room.name = row.text(1);
    room.description = row.optional_text(2);
    room.administrator_id = row.text(3);
    room.playback.current_track_id = row.optional_text(4);
    room.playback.is_playing = row.boolean(5);
    room.playback.started_at = row.optional_integer(6);
    room.playback.paused_at = row.optional_integer(7);
    room.created_at = row.integer(8);
    room.updated_at = row.integer(9);
    return room;
}

participant_record read_participant(const statement& row)
{
    participant_record participant;
    participant.id = row.text(0);
    participant.room_id = row.text(1);
    participant.user_id = row.text(2);
    participant.joined_at = row.integer(3);
    participant.user.id = participant.user_id;
    participant.user.username = row.text(4);
    participant.user.email = row.text(5);
    participant.user.created_at = row.integer(6);
    participant.user.updated_at = row.integer(7);
    return participant;
}

std::vector<track_file> read_track_files(statement& stmt)
{
    std::vector<track_file> files;
    while (stmt.step()) files.push_back({stmt.text(0), stmt.text(1)});
    return files;
}

track_record read_track(const statement& row)
{
    track_record track;
    track.id = row.text(0);
    track.room_id = row.text(1);
    track.uploader_id = row.text(2);
    track.filename = row.text(3);
    track.original_name = row.text(4);
    track.file_path = row.text(5);
    track.duration_seconds = row.integer(6);
    track.file_size_bytes = row.integer(7);
    track.mime_type = row.text(8);
    track.vote_score = row.integer(9);
    track.created_at = row.integer(10);
    track.updated_at = row.integer(11);
    track.uploader_username = row.text(12);
    track.user_has_voted = row.boolean(13);
    return track;
}

}  // namespace spotik::storage::sqlite
