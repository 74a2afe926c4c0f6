// sqlite_store: rooms and their playback columns. create_room writes the room and its
// administrator's participant row in one transaction. Throws store_unavailable or
// storage_error (a failed create leaves no rows behind).
#include "storage/sqlite/connection_pool.hpp"
#include "storage/sqlite/rows.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/sqlite/transaction.hpp"

#include <sqlite3.h>

#include <string>

namespace spotik::storage {
namespace {

const std::string& select_rooms()
{
    static const std::string sql = std::string("SELECT ") + sqlite::k_room_columns + " FROM rooms r ";
    return sql;
}

std::vector<room_record> read_rooms(sqlite::statement& stmt)
{
    std::vector<room_record> rooms;
    while (stmt.step()) rooms.push_back(sqlite::read_room(stmt));
    return rooms;
}

}  // namespace

void sqlite_store::create_room(const room_record& room, const participant_record& admin)
{
    auto conn = pool_->acquire();
    sqlite::transaction txn(*conn);
    const auto& play = room.playback;
    conn->prepare(
            "INSERT INTO rooms (id, name, description, administrator_id, current_track_id, "
            "is_playing, playback_started_at, playback_paused_at, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind_all(room.id, room.name, room.description, room.administrator_id, play.current_track_id, play.is_playing,
                  play.started_at, play.paused_at, room.created_at, room.updated_at)
        .run();
    conn->prepare("INSERT INTO room_participants (id, room_id, user_id, joined_at) VALUES (?, ?, ?, ?)")
        .bind_all(admin.id, room.id, admin.user_id, admin.joined_at)
        .run();
    txn.commit();
}

std::optional<room_record> sqlite_store::find_room(std::string_view id)
{
    static const std::string sql = select_rooms() + "WHERE r.id = ?";
    auto conn = pool_->acquire();
    auto stmt = conn->prepare(sql);
    stmt.bind(1, id);
    if (!stmt.step()) return std::nullopt;
    return sqlite::read_room(stmt);
}

std::vector<room_record> sqlite_store::list_rooms()
{
    static const std::string sql = select_rooms() + "ORDER BY r.created_at DESC, r.id ASC";
    auto conn = pool_->acquire();
    auto stmt = conn->prepare(sql);
    return read_rooms(stmt);
}

bool sqlite_store::update_room(std::string_view id, const std::string& name,
                               const std::optional<std::string>& description, std::int64_t now)
{
    auto conn = pool_->acquire();
    return conn->prepare("UPDATE rooms SET name = ?, description = ?, updated_at = ? WHERE id = ?")
               .bind_all(name, description, now, id)
               .run() > 0;
}

std::optional<std::vector<track_file>> sqlite_store::delete_room(std::string_view id)
{
    auto conn = pool_->acquire();
    // The transaction holds SQLite's write lock from its start, so no track can be added
    // between the read of the tracks and the delete; the foreign keys cascade to tracks,
    // votes and participants.
    sqlite::transaction txn(*conn);
    auto stmt = conn->prepare("SELECT id, file_path FROM tracks WHERE room_id = ?");
    stmt.bind_all(id);
    auto tracks = sqlite::read_track_files(stmt);
    if (conn->prepare("DELETE FROM rooms WHERE id = ?").bind_all(id).run() == 0) return std::nullopt;
    txn.commit();
    return tracks;
}

bool sqlite_store::touch_room(std::string_view id, std::int64_t now)
{
    auto conn = pool_->acquire();
    return conn->prepare("UPDATE rooms SET updated_at = ? WHERE id = ?").bind_all(now, id).run() > 0;
}

bool sqlite_store::update_playback(std::string_view room_id, const playback_columns& expected,
                                   const playback_columns& next, std::int64_t now)
{
    auto conn = pool_->acquire();
    // `IS` compares NULL to NULL as equal, so an idle room can be matched exactly.
    auto stmt = conn->prepare(
        "UPDATE rooms SET current_track_id = ?, is_playing = ?, "
        "playback_started_at = ?, playback_paused_at = ?, updated_at = ? "
        "WHERE id = ? AND current_track_id IS ? AND is_playing = ? "
        "AND playback_started_at IS ? AND playback_paused_at IS ?");
    stmt.bind_all(next.current_track_id, next.is_playing, next.started_at, next.paused_at, now, room_id,
                  expected.current_track_id, expected.is_playing, expected.started_at, expected.paused_at);
    try {
        return stmt.run() > 0;
    } catch (const sqlite::error& e) {
        if (e.code() == SQLITE_CONSTRAINT_FOREIGNKEY) return false;  // next's track was deleted meanwhile
        throw;
    }
}

std::vector<room_record> sqlite_store::list_playing_rooms()
{
    static const std::string sql = select_rooms() + "WHERE r.is_playing = 1 ORDER BY r.updated_at, r.id";
    auto conn = pool_->acquire();
    auto stmt = conn->prepare(sql);
    return read_rooms(stmt);
}

}  // namespace spotik::storage
