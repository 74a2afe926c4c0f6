// The PostgreSQL 15 storage driver: implements store over a pool of libpq connections with
// prepared statements; safe to call from many threads at once. Methods throw
// store_unavailable when the database cannot be reached in time (answered 503) and
// storage_error for any other failure; see store.hpp for each method. Ids that are not UUIDs
// are never sent: reads find nothing, writes throw storage_error.
#pragma once
#include "storage/migration.hpp"
#include "storage/postgres/connection.hpp"
#include "storage/postgres/connection_pool.hpp"
#include "storage/store.hpp"

#include <memory>
#include <vector>

namespace spotik::storage {

// insert_track's transaction holds pg_advisory_xact_lock(k_track_insert_lock_class,
// hashtext(<track id>)) until it ends; track_file_reference tries the same lock.
inline constexpr int k_track_insert_lock_class = 0x53707472;  // "Sptr"

class postgres_store final : public store {
public:
    // Connects lazily (the pool's upkeep starts opening DB_POOL_MIN connections at once).
    postgres_store(pg::connect_settings connect, pg::pool_settings pool,
                   std::vector<migration> migrations = embedded_migrations_postgres());
    postgres_store(const postgres_store&) = delete;
    postgres_store& operator=(const postgres_store&) = delete;
    // No call may be running.
    ~postgres_store() override;

    void migrate() override;
    std::string driver() const override { return "postgres"; }
    void ping() override;
    store_status status() const override;

    create_user_outcome create_user(const user_record& user) override;
    std::optional<user_record> find_user(std::string_view id) override;
    std::optional<user_record> find_user_by_email(std::string_view email) override;

    void create_room(const room_record& room, const participant_record& admin) override;
    std::optional<room_record> find_room(std::string_view id) override;
    std::vector<room_record> list_rooms() override;
    bool update_room(std::string_view id, const std::string& name, const std::optional<std::string>& description,
                     std::int64_t now) override;
    std::optional<std::vector<track_file>> delete_room(std::string_view id) override;
    bool touch_room(std::string_view id, std::int64_t now) override;

    join_outcome add_participant(const participant_record& row) override;
    bool remove_participant(std::string_view room_id, std::string_view user_id) override;
    bool is_participant(std::string_view room_id, std::string_view user_id) override;
    std::vector<participant_record> list_participants(std::string_view room_id) override;
    std::int64_t count_participants(std::string_view room_id) override;

    void insert_track(const track_record& track) override;
    std::optional<track_record> find_track(std::string_view id, std::string_view viewer_id) override;
    std::vector<track_record> list_tracks(std::string_view room_id, std::string_view viewer_id) override;
    std::int64_t count_tracks(std::string_view room_id) override;
    std::vector<track_file> list_track_files() override;
    file_reference track_file_reference(std::string_view track_id, std::string_view file_path) override;
    track_delete_outcome delete_track(std::string_view track_id, std::int64_t now) override;

    vote_outcome add_vote(std::string_view track_id, std::string_view user_id, std::string_view vote_id,
                          std::int64_t now) override;
    vote_outcome remove_vote(std::string_view track_id, std::string_view user_id) override;

    bool update_playback(std::string_view room_id, const playback_columns& expected, const playback_columns& next,
                         std::int64_t now) override;
    std::vector<room_record> list_playing_rooms() override;

    void revoke_token(std::string_view jti, std::int64_t expires_at, std::int64_t effective_from) override;
    bool is_token_revoked(std::string_view jti, std::int64_t now) override;
    token_holder find_token_holder(std::string_view jti, std::string_view user_id, std::int64_t now) override;
    std::vector<std::string> tokens_revoked_between(std::int64_t after, std::int64_t until) override;
    std::int64_t purge_expired_tokens(std::int64_t now) override;
    void erase_all_data() override;

private:
    std::vector<migration> migrations_;
    std::unique_ptr<pg::connection_pool> pool_;
};

namespace pg {

// True when every id is a UUID; reads of anything else find nothing.
bool all_uuids(std::initializer_list<std::string_view> ids);
// Throws storage_error (naming no value) unless every id is a UUID.
void require_uuids(std::initializer_list<std::string_view> ids);
// The viewer as a parameter: NULL when empty or not a UUID (so nothing counts as voted).
std::optional<std::string> viewer_param(std::string_view viewer_id);

}  // namespace pg
}  // namespace spotik::storage
