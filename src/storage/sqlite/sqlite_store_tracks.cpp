// sqlite_store: tracks (the queue) and votes. Votes and the vote_score recount share one
// BEGIN IMMEDIATE transaction, so concurrent voters never lose or double a vote; deleting the
// current track resets the room to idle in the same transaction. Throws store_unavailable or
// storage_error.
#include "storage/sqlite/connection_pool.hpp"
#include "storage/sqlite/rows.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/sqlite/transaction.hpp"

#include <string>

namespace spotik::storage {
namespace {

// The viewer is parameter ?1 (see k_track_columns); filters start at ?2.
const std::string& select_tracks()
{
    static const std::string sql =
        std::string("SELECT ") + sqlite::k_track_columns + " FROM tracks t JOIN users u ON u.id = t.uploader_id ";
    return sql;
}

std::optional<std::string> track_room(sqlite::connection& conn, std::string_view track_id)
{
    auto stmt = conn.prepare("SELECT room_id FROM tracks WHERE id = ?");
    stmt.bind(1, track_id);
    if (!stmt.step()) return std::nullopt;
    return stmt.text(0);
}

// Sets vote_score to the number of vote rows and returns it (0 when the track is gone).
std::int64_t recount(sqlite::connection& conn, std::string_view track_id)
{
    conn.prepare(
            "UPDATE tracks SET vote_score = "
            "(SELECT COUNT(*) FROM track_votes WHERE track_id = ?1) WHERE id = ?1")
        .bind_all(track_id)
        .run();
    auto stmt = conn.prepare("SELECT vote_score FROM tracks WHERE id = ?");
    stmt.bind(1, track_id);
    return stmt.step() ? stmt.integer(0) : 0;
}

}  // namespace

void sqlite_store::insert_track(const track_record& t)
{
    auto conn = pool_->acquire();
    sqlite::run_in_room(
        conn->prepare("INSERT INTO tracks (id, room_id, uploader_id, filename, original_name, file_path, "
                      "duration_seconds, file_size_bytes, mime_type, vote_score, created_at, updated_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind_all(t.id, t.room_id, t.uploader_id, t.filename, t.original_name, t.file_path, t.duration_seconds,
                      t.file_size_bytes, t.mime_type, t.vote_score, t.created_at, t.updated_at));
}

std::optional<track_record> sqlite_store::find_track(std::string_view id, std::string_view viewer_id)
{
    static const std::string sql = select_tracks() + "WHERE t.id = ?2";
    auto conn = pool_->acquire();
    auto stmt = conn->prepare(sql);
    stmt.bind_all(viewer_id, id);
    if (!stmt.step()) return std::nullopt;
    return sqlite::read_track(stmt);
}

std::vector<track_record> sqlite_store::list_tracks(std::string_view room_id, std::string_view viewer_id)
{
    static const std::string sql =
        select_tracks() + "WHERE t.room_id = ?2 ORDER BY t.vote_score DESC, t.created_at ASC, t.id ASC";
    auto conn = pool_->acquire();
    auto stmt = conn->prepare(sql);
    stmt.bind_all(viewer_id, room_id);
    std::vector<track_record> tracks;
    while (stmt.step()) tracks.push_back(sqlite::read_track(stmt));
    return tracks;
}

std::int64_t sqlite_store::count_tracks(std::string_view room_id)
{
    auto conn = pool_->acquire();
    auto stmt = conn->prepare("SELECT COUNT(*) FROM tracks WHERE room_id = ?");
    stmt.bind(1, room_id);
    return stmt.step() ? stmt.integer(0) : 0;
}

std::vector<track_file> sqlite_store::list_track_files()
{
    auto conn = pool_->acquire();
    auto stmt = conn->prepare("SELECT id, file_path FROM tracks");
    return sqlite::read_track_files(stmt);
}

// A process that dies takes its SQLite transaction along: nothing is ever unsettled here.
file_reference sqlite_store::track_file_reference(std::string_view, std::string_view file_path)
{
    auto conn = pool_->acquire();
    auto stmt = conn->prepare("SELECT EXISTS (SELECT 1 FROM tracks WHERE file_path = ?)");
    stmt.bind(1, file_path);
    return stmt.step() && stmt.integer(0) != 0 ? file_reference::named : file_reference::unnamed;
}

track_delete_outcome sqlite_store::delete_track(std::string_view track_id, std::int64_t now)
{
    auto conn = pool_->acquire();
    sqlite::transaction txn(*conn);
    const auto room_id = track_room(*conn, track_id);
    if (!room_id) return {};
    track_delete_outcome outcome;
    outcome.was_current =
        conn->prepare(
                "UPDATE rooms SET current_track_id = NULL, is_playing = 0, playback_started_at = NULL, "
                "playback_paused_at = NULL, updated_at = ? WHERE id = ? AND current_track_id = ?")
            .bind_all(now, *room_id, track_id)
            .run() > 0;
    outcome.deleted = conn->prepare("DELETE FROM tracks WHERE id = ?").bind_all(track_id).run() > 0;
    txn.commit();
    return outcome;
}

vote_outcome sqlite_store::add_vote(std::string_view track_id, std::string_view user_id, std::string_view vote_id,
                                    std::int64_t now)
{
    auto conn = pool_->acquire();
    sqlite::transaction txn(*conn);
    // A track deleted meanwhile is "no change" rather than a foreign key failure.
    if (!track_room(*conn, track_id)) return {};
    vote_outcome outcome{.found = true};
    outcome.changed = conn->prepare(
                              "INSERT INTO track_votes (id, track_id, user_id, created_at) "
                              "VALUES (?, ?, ?, ?) ON CONFLICT (track_id, user_id) DO NOTHING")
                          .bind_all(vote_id, track_id, user_id, now)
                          .run() > 0;
    outcome.vote_score = recount(*conn, track_id);
    txn.commit();
    return outcome;
}

vote_outcome sqlite_store::remove_vote(std::string_view track_id, std::string_view user_id)
{
    auto conn = pool_->acquire();
    sqlite::transaction txn(*conn);
    if (!track_room(*conn, track_id)) return {};
    const auto deleted =
        conn->prepare("DELETE FROM track_votes WHERE track_id = ? AND user_id = ?").bind_all(track_id, user_id).run();
    vote_outcome outcome{.found = true};
    outcome.changed = deleted > 0;
    outcome.vote_score = recount(*conn, track_id);
    txn.commit();
    return outcome;
}

}  // namespace spotik::storage
