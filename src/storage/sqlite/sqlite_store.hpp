// The SQLite 3 storage driver: implements store on a file database in WAL mode, one pooled
// connection per concurrent caller. Safe to call from many threads at once. Methods throw
// store_unavailable when the database stays locked past the busy timeout (or cannot be
// opened) and storage_error for any other failure; see store.hpp for each method.
#pragma once
#include "storage/migration.hpp"
#include "storage/store.hpp"

#include <memory>
#include <string>
#include <vector>

namespace spotik::storage::sqlite {
class connection_pool;
}  // namespace spotik::storage::sqlite

namespace spotik::storage {

class sqlite_store final : public store {
public:
    // Does not touch the file: connections open on first use. `path` must name a file
    // (":memory:" would give every pooled connection its own empty database).
    sqlite_store(std::string path, int busy_timeout_ms,
                 std::vector<migration> migrations = embedded_migrations_sqlite());
    // Process-wide: SQLite recycles cached pages rather than allocate past `mib` MiB in all
    // (0: no limit, each connection caching up to its own 2 MiB). With one connection per
    // pool thread, the same hot pages would otherwise be cached once per thread.
    static void limit_memory(int mib);
    sqlite_store(const sqlite_store&) = delete;
    sqlite_store& operator=(const sqlite_store&) = delete;
    // No call may be running; pooled connections are closed.
    ~sqlite_store() override;

    void migrate() override;
    std::string driver() const override { return "sqlite"; }
    void ping() override;
    store_status status() const override;
    void erase_all_data() override;

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

private:
    std::vector<migration> migrations_;
    std::unique_ptr<sqlite::connection_pool> pool_;
};

}  // namespace spotik::storage
