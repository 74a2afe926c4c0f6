// Column lists and result-row readers for the PostgreSQL store, one reader per record type.
// No exceptions beyond std::bad_alloc.
#include "storage/postgres/rows.hpp"

namespace spotik::storage::pg {

std::string ms(std::string_view column)
{
    // extract(epoch ...) is numeric, so the product is exact before the cast.
    return "(extract(epoch FROM " + std::string(column) + ") * 1000)::int8";
}

std::string at(int n)
{
    return "(timestamptz 'epoch' + $" + std::to_string(n) + "::int8 * interval '1 millisecond')";
}

const std::string& user_columns()
{
    static const std::string sql =
        "u.id, u.username, u.email, u.password_hash, " + ms("u.created_at") + ", " + ms("u.updated_at");
    return sql;
}

const std::string& room_columns()
{
    static const std::string sql =
        "r.id, r.name, r.description, r.administrator_id, r.current_track_id, r.is_playing, " +
        ms("r.playback_started_at") + ", " + ms("r.playback_paused_at") + ", " + ms("r.created_at") + ", " +
        ms("r.updated_at");
    return sql;
}

const std::string& participant_columns()
{
    static const std::string sql = "p.id, p.room_id, p.user_id, " + ms("p.joined_at") + ", u.username, u.email, " +
                                   ms("u.created_at") + ", " + ms("u.updated_at");
    return sql;
}

const std::string& track_columns()
{
    static const std::string sql =
        "t.id, t.room_id, t.uploader_id, t.filename, t.original_name, t.file_path, t.duration_seconds, "
        "t.file_size_bytes, t.mime_type, t.vote_score, " +
        ms("t.created_at") + ", " + ms("t.updated_at") +
        ", u.username, EXISTS (SELECT 1 FROM track_votes v WHERE v.track_id = t.id AND v.user_id = $1)";
    return sql;
}

user_record read_user(const row& r)
{
    user_record user;
    user.id = r.text(0);
    user.username = r.text(1);
    user.email = r.text(2);
    user.password_hash = r.text(3);
    user.created_at = r.integer(4);
    user.updated_at = r.integer(5);
    return user;
}

room_record read_room(const row& r)
{
    room_record room;
    room.id = r.text(0);
    room.name = r.text(1);
    room.description = r.optional_text(2);
    room.administrator_id = r.text(3);
    room.playback.current_track_id = r.optional_text(4);
    room.playback.is_playing = r.boolean(5);
    room.playback.started_at = r.optional_integer(6);
    room.playback.paused_at = r.optional_integer(7);
    room.created_at = r.integer(8);
    room.updated_at = r.integer(9);
    return room;
}

participant_record read_participant(const row& r)
{
    participant_record participant;
    participant.id = r.text(0);
    participant.room_id = r.text(1);
    participant.user_id = r.text(2);
    participant.joined_at = r.integer(3);
    participant.user.id = participant.user_id;
    participant.user.username = r.text(4);
    participant.user.email = r.text(5);
    participant.user.created_at = r.integer(6);
    participant.user.updated_at = r.integer(7);
    return participant;
}

std::vector<track_file> read_track_files(const result& res)
{
    std::vector<track_file> files;
    files.reserve(static_cast<std::size_t>(res.rows()));
    for (int i = 0; i < res.rows(); ++i) files.push_back({res.text(i, 0), res.text(i, 1)});
    return files;
}

track_record read_track(const row& r)
{
    track_record track;
    track.id = r.text(0);
    track.room_id = r.text(1);
    track.uploader_id = r.text(2);
    track.filename = r.text(3);
    track.original_name = r.text(4);
    track.file_path = r.text(5);
    track.duration_seconds = r.integer(6);
    track.file_size_bytes = r.integer(7);
    track.mime_type = r.text(8);
    track.vote_score = r.integer(9);
    track.created_at = r.integer(10);
    track.updated_at = r.integer(11);
    track.uploader_username = r.text(12);
    track.user_has_voted = r.boolean(13);
    return track;
}

}  // namespace spotik::storage::pg
