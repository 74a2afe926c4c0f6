// The repository interface every storage driver implements (SQLite and PostgreSQL); one test
// suite runs against each. Every method is blocking and must be called off the io threads
// (a call on a thread marked by mark_io_thread throws). Infrastructure failures throw
// storage_error (or store_unavailable when the database cannot be reached); expected
// outcomes (duplicates, not found) are return values.
#pragma once
#include "storage/records.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spotik::storage {

class storage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The database is unreachable or overloaded; answer 503 and retry later.
class store_unavailable : public storage_error {
public:
    using storage_error::storage_error;
};

// A write named a room that was deleted meanwhile (add_participant, insert_track racing a
// room's deletion): nothing was written; the caller answers as for an unknown room.
class room_gone : public storage_error {
public:
    using storage_error::storage_error;
};

// Marks the calling thread as an io thread: a store call made on it afterwards throws
// storage_error instead of blocking the event loop.
void mark_io_thread() noexcept;
// Throws storage_error when called on a thread marked by mark_io_thread.
void forbid_io_thread(const char* driver);

// Connection figures for health probes; never a secret or a file path.
struct store_status {
    std::string target;             // where the data lives ("host:port/name"); empty for a local file
    int size = 0;                   // connections open
    int max_size = 0;               // the most connections allowed (0: no pool)
    int in_use = 0;                 // leased by a request
    int idle = 0;                   // open and free
    std::int64_t memory_bytes = 0;  // held in this process by the driver (SQLite: its page caches)
};

enum class create_user_outcome { created, username_taken, email_taken };

// What every authenticated request asks: is the token revoked, and who is its user.
struct token_holder {
    bool revoked = false;
    std::optional<user_record> user;  // absent when no user has the id
};

struct join_outcome {
    bool inserted = false;           // false: the user already was a participant
    participant_record participant;  // the new or existing row
};

struct vote_outcome {
    bool found = false;    // the track exists (false: no vote was possible)
    bool changed = false;  // a vote row was inserted or deleted
    std::int64_t vote_score = 0;
};

// Whether a track row names a stored audio file (the storage sweep asks before removing one).
enum class file_reference {
    named,
    unnamed,
    unsettled,  // an insert of the track is in progress and may still commit
};

struct track_delete_outcome {
    bool deleted = false;
    bool was_current = false;  // the room's playback was reset to idle in the same transaction
};

class store {
public:
    virtual ~store() = default;

    // Applies pending migrations; safe to call on every start.
    virtual void migrate() = 0;
    virtual std::string driver() const = 0;
    // Cheap round trip; throws when the database does not answer.
    virtual void ping() = 0;
    virtual store_status status() const { return {}; }

    // Users. Emails are stored already trimmed and lower-cased by the caller.
    virtual create_user_outcome create_user(const user_record& user) = 0;
    virtual std::optional<user_record> find_user(std::string_view id) = 0;
    virtual std::optional<user_record> find_user_by_email(std::string_view email) = 0;

    // Rooms. create_room inserts the room and its administrator's participant row in one
    // transaction. list_rooms orders by created_at desc, then id.
    virtual void create_room(const room_record& room, const participant_record& admin) = 0;
    virtual std::optional<room_record> find_room(std::string_view id) = 0;
    virtual std::vector<room_record> list_rooms() = 0;
    virtual bool update_room(std::string_view id, const std::string& name,
                             const std::optional<std::string>& description, std::int64_t now) = 0;
    // Deletes the room; tracks, participants and votes cascade. Returns the tracks deleted
    // with it, read in the same transaction (a track committed while the room goes is among
    // them, so its files are not left behind), or nullopt when there is no such room.
    virtual std::optional<std::vector<track_file>> delete_room(std::string_view id) = 0;
    // False when the room is gone.
    virtual bool touch_room(std::string_view id, std::int64_t now) = 0;

    // Membership. list_participants orders by joined_at, then id, with user filled in.
    // add_participant and insert_track throw room_gone when the room no longer exists.
    virtual join_outcome add_participant(const participant_record& row) = 0;
    virtual bool remove_participant(std::string_view room_id, std::string_view user_id) = 0;
    virtual bool is_participant(std::string_view room_id, std::string_view user_id) = 0;
    virtual std::vector<participant_record> list_participants(std::string_view room_id) = 0;
    virtual std::int64_t count_participants(std::string_view room_id) = 0;

    // Tracks. list_tracks is the queue: vote_score desc, created_at asc, id asc.
    // viewer_id (may be empty) decides user_has_voted.
    // insert_track holds a lock on the track's id until it commits, which track_file_reference
    // checks: on PostgreSQL a statement sent just before its process died may still run.
    virtual void insert_track(const track_record& track) = 0;
    virtual std::optional<track_record> find_track(std::string_view id, std::string_view viewer_id) = 0;
    virtual std::vector<track_record> list_tracks(std::string_view room_id, std::string_view viewer_id) = 0;
    virtual std::int64_t count_tracks(std::string_view room_id) = 0;
    virtual track_delete_outcome delete_track(std::string_view track_id, std::int64_t now) = 0;
    // Every track of every room, in no particular order.
    virtual std::vector<track_file> list_track_files() = 0;
    // Whether a row names file_path (relative to AUDIO_STORAGE_PATH, e.g. "tracks/<id>.mp3");
    // unsettled while an insert of track track_id holds its lock.
    virtual file_reference track_file_reference(std::string_view track_id, std::string_view file_path) = 0;

    // Votes: one per (track, user); vote_score is kept equal to the vote count in the same
    // transaction.
    virtual vote_outcome add_vote(std::string_view track_id, std::string_view user_id, std::string_view vote_id,
                                  std::int64_t now) = 0;
    virtual vote_outcome remove_vote(std::string_view track_id, std::string_view user_id) = 0;

    // Playback: writes `next` only if the room's columns still equal `expected`
    // (compare-and-set, so concurrent commands and timers never overwrite each other) and
    // next's track still exists; false when either changed meanwhile.
    virtual bool update_playback(std::string_view room_id, const playback_columns& expected,
                                 const playback_columns& next, std::int64_t now) = 0;
    virtual std::vector<room_record> list_playing_rooms() = 0;

    // Token revocation (jwt_blacklist). A revocation takes effect at `effective_from` (a refresh
    // leaves the old token a grace period); the row's created_at column holds that instant.
    // is_token_revoked is true when a row exists with created_at <= now. Revoking an already
    // revoked jti keeps the earlier effective instant.
    virtual void revoke_token(std::string_view jti, std::int64_t expires_at, std::int64_t effective_from) = 0;
    virtual bool is_token_revoked(std::string_view jti, std::int64_t now) = 0;
    // is_token_revoked(jti, now) and find_user(user_id) together; the drivers answer both with
    // one statement (one round trip on PostgreSQL).
    virtual token_holder find_token_holder(std::string_view jti, std::string_view user_id, std::int64_t now)
    {
        return {is_token_revoked(jti, now), find_user(user_id)};
    }
    // The jtis whose revocation took effect in (after, until]: how open WebSockets learn of
    // logouts and refreshes made through any replica.
    virtual std::vector<std::string> tokens_revoked_between(std::int64_t after, std::int64_t until) = 0;
    virtual std::int64_t purge_expired_tokens(std::int64_t now) = 0;

    // Deletes every row of every table in one transaction; the schema and its migration
    // history stay. For `spotik db reset` (development data only).
    virtual void erase_all_data() = 0;
};

}  // namespace spotik::storage
