// A store that forwards every call to another and remembers whether any call could have
// written, so that app_fixture resets the database only after inputs that changed it (most
// fuzz inputs are refused before any write, and a reset costs more than the request).
#pragma once
#include "storage/store.hpp"

#include <memory>
#include <utility>

namespace spotik::fuzz {

class watched_store final : public storage::store {
public:
    explicit watched_store(std::unique_ptr<storage::store> inner) : inner_(std::move(inner)) {}

    bool written() const { return written_; }
    void forget_writes() { written_ = false; }

    void migrate() override { write().migrate(); }
    std::string driver() const override { return inner_->driver(); }
    void ping() override { inner_->ping(); }
    storage::store_status status() const override { return inner_->status(); }

    storage::create_user_outcome create_user(const storage::user_record& u) override { return write().create_user(u); }
    std::optional<storage::user_record> find_user(std::string_view id) override { return inner_->find_user(id); }
    std::optional<storage::user_record> find_user_by_email(std::string_view email) override
    {
        return inner_->find_user_by_email(email);
    }

    void create_room(const storage::room_record& r, const storage::participant_record& admin) override
    {
        write().create_room(r, admin);
    }
    std::optional<storage::room_record> find_room(std::string_view id) override { return inner_->find_room(id); }
    std::vector<storage::room_record> list_rooms() override { return inner_->list_rooms(); }
    bool update_room(std::string_view id, const std::string& name, const std::optional<std::string>& description,
                     std::int64_t now) override
    {
        return write().update_room(id, name, description, now);
    }
    std::optional<std::vector<storage::track_file>> delete_room(std::string_view id) override
    {
        return write().delete_room(id);
    }
    bool touch_room(std::string_view id, std::int64_t now) override { return write().touch_room(id, now); }

    storage::join_outcome add_participant(const storage::participant_record& row) override
    {
        return write().add_participant(row);
    }
    bool remove_participant(std::string_view room, std::string_view user) override
    {
        return write().remove_participant(room, user);
    }
    bool is_participant(std::string_view room, std::string_view user) override
    {
        return inner_->is_participant(room, user);
    }
    std::vector<storage::participant_record> list_participants(std::string_view room) override
    {
        return inner_->list_participants(room);
    }
    std::int64_t count_participants(std::string_view room) override { return inner_->count_participants(room); }

    void insert_track(const storage::track_record& t) override { write().insert_track(t); }
    std::optional<storage::track_record> find_track(std::string_view id, std::string_view viewer) override
    {
        return inner_->find_track(id, viewer);
    }
    std::vector<storage::track_record> list_tracks(std::string_view room, std::string_view viewer) override
    {
        return inner_->list_tracks(room, viewer);
    }
    std::int64_t count_tracks(std::string_view room) override { return inner_->count_tracks(room); }
    std::vector<storage::track_file> list_track_files() override { return inner_->list_track_files(); }
    storage::file_reference track_file_reference(std::string_view track_id, std::string_view file_path) override
    {
        return inner_->track_file_reference(track_id, file_path);
    }
    storage::track_delete_outcome delete_track(std::string_view id, std::int64_t now) override
    {
        return write().delete_track(id, now);
    }

    storage::vote_outcome add_vote(std::string_view track, std::string_view user, std::string_view vote_id,
                                   std::int64_t now) override
    {
        return write().add_vote(track, user, vote_id, now);
    }
    storage::vote_outcome remove_vote(std::string_view track, std::string_view user) override
    {
        return write().remove_vote(track, user);
    }

    bool update_playback(std::string_view room, const storage::playback_columns& expected,
                         const storage::playback_columns& next, std::int64_t now) override
    {
        return write().update_playback(room, expected, next, now);
    }
    std::vector<storage::room_record> list_playing_rooms() override { return inner_->list_playing_rooms(); }

    void revoke_token(std::string_view jti, std::int64_t expires_at, std::int64_t effective_from) override
    {
        write().revoke_token(jti, expires_at, effective_from);
    }
    bool is_token_revoked(std::string_view jti, std::int64_t now) override
    {
        return inner_->is_token_revoked(jti, now);
    }
    std::vector<std::string> tokens_revoked_between(std::int64_t after, std::int64_t until) override
    {
        return inner_->tokens_revoked_between(after, until);
    }
    std::int64_t purge_expired_tokens(std::int64_t now) override { return write().purge_expired_tokens(now); }

    void erase_all_data() override { write().erase_all_data(); }

private:
    storage::store& write()
    {
        written_ = true;
        return *inner_;
    }

    std::unique_ptr<storage::store> inner_;
    bool written_ = false;
};

}  // namespace spotik::fuzz
