// postgres_store: tracks (the queue) and votes. A vote and its vote_score change are one
// statement: the vote row is inserted (or deleted) and the track's score moves by exactly the
// rows written, under the track's row lock, so concurrent voters never lose or double a vote.
// Deleting the current track resets the room to idle in the same transaction, with the room
// row locked first. Throws store_unavailable or storage_error.
#include "storage/postgres/error.hpp"
#include "storage/postgres/postgres_store.hpp"
#include "storage/postgres/rows.hpp"
#include "storage/postgres/transaction.hpp"

#include <string>

namespace spotik::storage {
namespace {

// The viewer is parameter $1 (see track_columns); filters start at $2.
const std::string& select_tracks()
{
    static const std::string sql =
        "SELECT " + pg::track_columns() + " FROM tracks t JOIN users u ON u.id = t.uploader_id ";
    return sql;
}

// SELECT <function>(class, hashtext($1)): the insert lock of the track whose id is $1.
std::string lock_sql(const char* function)
{
    return std::string("SELECT ") + function + "(" + std::to_string(k_track_insert_lock_class) + ", hashtext($1))";
}

vote_outcome read_vote(const pg::result& res)
{
    if (res.rows() == 0) return {};  // the track does not exist (any more)
    return {true, res.integer(0, 1) > 0, res.integer(0, 0)};
}

}  // namespace

void postgres_store::insert_track(const track_record& t)
{
    static const std::string sql =
        "INSERT INTO tracks (id, room_id, uploader_id, filename, original_name, file_path, duration_seconds, "
        "file_size_bytes, mime_type, vote_score, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, " +
        pg::at(11) + ", " + pg::at(12) + ")";
    pg::require_uuids({t.id, t.room_id, t.uploader_id});
    auto conn = pool_->acquire();
    // The row goes in inside a transaction that first takes the track's lock. If this process
    // dies with the INSERT already sent, PostgreSQL may still run it, but the transaction then
    // never commits; if COMMIT was already sent, the lock is held until it is done. Either way
    // a restarted server's storage sweep cannot take the track's file for an orphan too early.
    pg::transaction txn(*conn);
    conn->query(lock_sql("pg_advisory_xact_lock"), pg::params(t.id));
    try {
        conn->query(sql, pg::params(t.id, t.room_id, t.uploader_id, t.filename, t.original_name, t.file_path,
                                    t.duration_seconds, t.file_size_bytes, t.mime_type, t.vote_score, t.created_at,
                                    t.updated_at));
    } catch (const pg::error& failure) {
        pg::throw_if_room_gone(failure);
        throw;
    }
    txn.commit();
}

std::optional<track_record> postgres_store::find_track(std::string_view id, std::string_view viewer_id)
{
    static const std::string sql = select_tracks() + "WHERE t.id = $2";
    if (!pg::all_uuids({id})) return std::nullopt;
    auto conn = pool_->acquire();
    const auto res = conn->query(sql, pg::params(pg::viewer_param(viewer_id), id));
    if (res.rows() == 0) return std::nullopt;
    return pg::read_track(pg::row(res, 0));
}

std::vector<track_record> postgres_store::list_tracks(std::string_view room_id, std::string_view viewer_id)
{
    static const std::string sql =
        select_tracks() + "WHERE t.room_id = $2 ORDER BY t.vote_score DESC, t.created_at ASC, t.id ASC";
    if (!pg::all_uuids({room_id})) return {};
    auto conn = pool_->acquire();
    const auto res = conn->query(sql, pg::params(pg::viewer_param(viewer_id), room_id));
    std::vector<track_record> tracks;
    tracks.reserve(static_cast<std::size_t>(res.rows()));
    for (int i = 0; i < res.rows(); ++i) tracks.push_back(pg::read_track(pg::row(res, i)));
    return tracks;
}

std::int64_t postgres_store::count_tracks(std::string_view room_id)
{
    if (!pg::all_uuids({room_id})) return 0;
    auto conn = pool_->acquire();
    return conn->query("SELECT COUNT(*) FROM tracks WHERE room_id = $1", pg::params(room_id)).integer(0, 0);
}

std::vector<track_file> postgres_store::list_track_files()
{
    auto conn = pool_->acquire();
    return pg::read_track_files(conn->query("SELECT id, file_path FROM tracks"));
}

file_reference postgres_store::track_file_reference(std::string_view track_id, std::string_view file_path)
{
    auto conn = pool_->acquire();
    pg::transaction txn(*conn);
    // Once the lock is ours, no insert of this track is running and none can start from a process
    // that has died; the row read after it is final.
    if (!conn->query(lock_sql("pg_try_advisory_xact_lock"), pg::params(track_id)).boolean(0, 0))
        return file_reference::unsettled;
    const bool named =
        conn->query("SELECT EXISTS (SELECT 1 FROM tracks WHERE file_path = $1)", pg::params(file_path)).boolean(0, 0);
    txn.commit();
    return named ? file_reference::named : file_reference::unnamed;
}

track_delete_outcome postgres_store::delete_track(std::string_view track_id, std::int64_t now)
{
    static const std::string reset =
        "UPDATE rooms SET current_track_id = NULL, is_playing = false, playback_started_at = NULL, "
        "playback_paused_at = NULL, updated_at = " +
        pg::at(1) + " WHERE id = $2 AND current_track_id = $3";
    if (!pg::all_uuids({track_id})) return {};
    auto conn = pool_->acquire();
    pg::transaction txn(*conn);
    // The room row is locked before anything is read, so a playback change racing this delete
    // is either seen here or waits and then finds the track gone (the SQLite driver gets the
    // same order from its single writer).
    const auto room =
        conn->query("SELECT r.id FROM rooms r JOIN tracks t ON t.room_id = r.id WHERE t.id = $1 FOR UPDATE OF r",
                    pg::params(track_id));
    if (room.rows() == 0) return {};
    const std::string room_id = room.text(0, 0);
    track_delete_outcome outcome;
    outcome.was_current = conn->query(reset, pg::params(now, room_id, track_id)).affected() > 0;
    outcome.deleted = conn->query("DELETE FROM tracks WHERE id = $1", pg::params(track_id)).affected() > 0;
    txn.commit();
    return outcome;
}

namespace {

// Runs a vote statement after locking the track's row, in one transaction. The lock comes
// first so that a vote takes the track before its votes, as deleting the room or the track
// does (rooms, then tracks, then track_votes by cascade); the other order deadlocks against
// them. A missing track is no vote.
vote_outcome vote_on_locked_track(pg::connection& conn, std::string_view track_id, const std::string& sql,
                                  const pg::params& params)
{
    pg::transaction txn(conn);
    if (conn.query("SELECT 1 FROM tracks WHERE id = $1 FOR NO KEY UPDATE", pg::params(track_id)).rows() == 0) return {};
    auto outcome = read_vote(conn.query(sql, params));
    txn.commit();
    return outcome;
}

}  // namespace

vote_outcome postgres_store::add_vote(std::string_view track_id, std::string_view user_id, std::string_view vote_id,
                                      std::int64_t now)
{
    static const std::string sql =
        "WITH added AS (INSERT INTO track_votes (id, track_id, user_id, created_at) VALUES ($1, $2, $3, " + pg::at(4) +
        ") ON CONFLICT (track_id, user_id) DO NOTHING RETURNING 1) "
        "UPDATE tracks SET vote_score = vote_score + (SELECT COUNT(*) FROM added) WHERE id = $2 "
        "RETURNING vote_score, (SELECT COUNT(*) FROM added)";
    if (!pg::all_uuids({track_id})) return {};
    pg::require_uuids({user_id, vote_id});
    auto conn = pool_->acquire();
    return vote_on_locked_track(*conn, track_id, sql, pg::params(vote_id, track_id, user_id, now));
}

vote_outcome postgres_store::remove_vote(std::string_view track_id, std::string_view user_id)
{
    static const std::string sql =
        "WITH removed AS (DELETE FROM track_votes WHERE track_id = $1 AND user_id = $2 RETURNING 1) "
        "UPDATE tracks SET vote_score = vote_score - (SELECT COUNT(*) FROM removed) WHERE id = $1 "
        "RETURNING vote_score, (SELECT COUNT(*) FROM removed)";
    if (!pg::all_uuids({track_id, user_id})) return {};
    auto conn = pool_->acquire();
    return vote_on_locked_track(*conn, track_id, sql, pg::params(track_id, user_id));
}

}  // namespace spotik::storage
