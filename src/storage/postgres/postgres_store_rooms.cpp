// postgres_store: rooms and their playback columns. create_room writes the room and its
// administrator's participant row in one transaction; update_playback is a single
// compare-and-set UPDATE (the row lock makes concurrent writers see each other's result).
// Throws store_unavailable or storage_error (a failed create leaves no rows behind).
#include "storage/postgres/error.hpp"
#include "storage/postgres/postgres_store.hpp"
#include "storage/postgres/rows.hpp"
#include "storage/postgres/transaction.hpp"

#include <string>

namespace spotik::storage {
namespace {

const std::string& select_rooms()
{
    static const std::string sql = "SELECT " + pg::room_columns() + " FROM rooms r ";
    return sql;
}

std::vector<room_record> read_rooms(const pg::result& res)
{
    std::vector<room_record> rooms;
    rooms.reserve(static_cast<std::size_t>(res.rows()));
    for (int i = 0; i < res.rows(); ++i) rooms.push_back(pg::read_room(pg::row(res, i)));
    return rooms;
}

}  // namespace

void postgres_store::create_room(const room_record& room, const participant_record& admin)
{
    static const std::string insert_room =
        "INSERT INTO rooms (id, name, description, administrator_id, current_track_id, is_playing, "
        "playback_started_at, playback_paused_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, " +
        pg::at(7) + ", " + pg::at(8) + ", " + pg::at(9) + ", " + pg::at(10) + ")";
    static const std::string insert_admin =
        "INSERT INTO room_participants (id, room_id, user_id, joined_at) VALUES ($1, $2, $3, " + pg::at(4) + ")";
    const auto& play = room.playback;
    pg::require_uuids(
        {room.id, room.administrator_id, admin.id, admin.user_id, play.current_track_id.value_or(room.id)});
    auto conn = pool_->acquire();
    pg::transaction txn(*conn);
    conn->query(insert_room,
                pg::params(room.id, room.name, room.description, room.administrator_id, play.current_track_id,
                           play.is_playing, play.started_at, play.paused_at, room.created_at, room.updated_at));
    conn->query(insert_admin, pg::params(admin.id, room.id, admin.user_id, admin.joined_at));
    txn.commit();
}

std::optional<room_record> postgres_store::find_room(std::string_view id)
{
    static const std::string sql = select_rooms() + "WHERE r.id = $1";
    if (!pg::all_uuids({id})) return std::nullopt;
    auto conn = pool_->acquire();
    const auto res = conn->query(sql, pg::params(id));
    if (res.rows() == 0) return std::nullopt;
    return pg::read_room(pg::row(res, 0));
}

std::vector<room_record> postgres_store::list_rooms()
{
    static const std::string sql = select_rooms() + "ORDER BY r.created_at DESC, r.id ASC";
    auto conn = pool_->acquire();
    return read_rooms(conn->query(sql));
}

bool postgres_store::update_room(std::string_view id, const std::string& name,
                                 const std::optional<std::string>& description, std::int64_t now)
{
    static const std::string sql =
        "UPDATE rooms SET name = $1, description = $2, updated_at = " + pg::at(3) + " WHERE id = $4";
    if (!pg::all_uuids({id})) return false;
    auto conn = pool_->acquire();
    return conn->query(sql, pg::params(name, description, now, id)).affected() > 0;
}

std::optional<std::vector<track_file>> postgres_store::delete_room(std::string_view id)
{
    if (!pg::all_uuids({id})) return std::nullopt;
    auto conn = pool_->acquire();
    // The room's row lock comes first: a track insert checks its foreign key with a share lock
    // on the same row, so one that started earlier is committed before the tracks are read
    // (each statement reads what is committed when it starts), and a later one waits, then
    // finds the room gone. The foreign keys cascade to tracks, votes and participants.
    pg::transaction txn(*conn);
    if (conn->query("SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE", pg::params(id)).rows() == 0) return std::nullopt;
    auto tracks =
        pg::read_track_files(conn->query("SELECT id, file_path FROM tracks WHERE room_id = $1", pg::params(id)));
    conn->query("DELETE FROM rooms WHERE id = $1", pg::params(id));
    txn.commit();
    return tracks;
}

bool postgres_store::touch_room(std::string_view id, std::int64_t now)
{
    static const std::string sql = "UPDATE rooms SET updated_at = " + pg::at(1) + " WHERE id = $2";
    if (!pg::all_uuids({id})) return false;
    auto conn = pool_->acquire();
    return conn->query(sql, pg::params(now, id)).affected() > 0;
}

bool postgres_store::update_playback(std::string_view room_id, const playback_columns& expected,
                                     const playback_columns& next, std::int64_t now)
{
    // IS NOT DISTINCT FROM compares NULL to NULL as equal, so an idle room is matched exactly.
    // When a concurrent writer holds the row, PostgreSQL re-checks this WHERE against the row
    // it committed, so exactly one of two racing compare-and-sets wins.
    static const std::string sql =
        "UPDATE rooms SET current_track_id = $1, is_playing = $2, playback_started_at = " + pg::at(3) +
        ", playback_paused_at = " + pg::at(4) + ", updated_at = " + pg::at(5) +
        " WHERE id = $6 AND current_track_id IS NOT DISTINCT FROM $7::uuid AND is_playing = $8"
        " AND playback_started_at IS NOT DISTINCT FROM " +
        pg::at(9) + " AND playback_paused_at IS NOT DISTINCT FROM " + pg::at(10);
    if (!pg::all_uuids({room_id}) || (expected.current_track_id && !pg::all_uuids({*expected.current_track_id})))
        return false;
    if (next.current_track_id) pg::require_uuids({*next.current_track_id});
    auto conn = pool_->acquire();
    try {
        return conn->query(sql, pg::params(next.current_track_id, next.is_playing, next.started_at, next.paused_at, now,
                                           room_id, expected.current_track_id, expected.is_playing, expected.started_at,
                                           expected.paused_at))
                   .affected() > 0;
    } catch (const pg::error& failure) {
        // next's track was deleted meanwhile.
        if (failure.sqlstate() == pg::k_foreign_key_violation &&
            failure.constraint() == "rooms_current_track_id_foreign")
            return false;
        throw;
    }
}

std::vector<room_record> postgres_store::list_playing_rooms()
{
    static const std::string sql = select_rooms() + "WHERE r.is_playing ORDER BY r.updated_at, r.id";
    auto conn = pool_->acquire();
    return read_rooms(conn->query(sql));
}

}  // namespace spotik::storage
