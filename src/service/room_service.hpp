// Room use cases (CONTRACT §3, §5): list, create, show, update, delete, join, leave,
// participants, with the administrator rules. Blocking (database, disk): call on the
// blocking pool. Storage failures propagate as exceptions.
#pragma once
#include "config/config.hpp"
#include "domain/failure.hpp"
#include "storage/store.hpp"
#include "util/clock.hpp"

#include <optional>
#include <string>
#include <vector>

namespace spotik::service {

// Everything a Room payload is built from.
struct room_view {
    storage::room_record room;
    storage::user_record administrator;
    std::vector<storage::participant_record> participants;
    std::int64_t track_count = 0;
    std::optional<storage::track_record> current_track;
    std::vector<storage::track_record> queue;  // only when asked for (with_queue)
    bool with_queue = false;
    std::optional<std::string> cover_url;
};

struct join_result {
    bool newly_joined = false;
    storage::participant_record participant;
};

class room_service {
public:
    room_service(storage::store& store, const config::config& cfg, const util::clock& clock);

    std::vector<room_view> list(const std::string& viewer_id);
    room_view create(const storage::user_record& creator, std::string name, std::optional<std::string> description);
    domain::result<room_view> show(std::string_view room_id, const std::string& viewer_id, bool with_queue);
    // The room when `caller` administers it; not_found or forbidden otherwise. Handlers call it
    // before reading a body, so a caller who may not act never sees validation errors.
    domain::result<storage::room_record> administered(std::string_view room_id, const storage::user_record& caller);
    domain::result<room_view> update(std::string_view room_id, const storage::user_record& caller,
                                     std::optional<std::string> name,
                                     std::optional<std::optional<std::string>> description);
    domain::result<storage::room_record> remove(std::string_view room_id, const storage::user_record& caller);
    domain::result<join_result> join(std::string_view room_id, const storage::user_record& caller);
    domain::result<storage::room_record> leave(std::string_view room_id, const storage::user_record& caller);
    domain::result<std::vector<storage::participant_record>> participants(std::string_view room_id);

    // "/api/storage/room_covers/<id>.<ext>" when a cover file exists, checking jpg, jpeg, png, webp.
    std::optional<std::string> room_cover_url(const std::string& room_id) const;
    room_view load_view(storage::room_record room, const std::string& viewer_id, bool with_queue);

private:
    void delete_room_files(const storage::room_record& room, const std::vector<storage::track_file>& tracks);

    storage::store& store_;
    const config::config& cfg_;
    const util::clock& clock_;
};

}  // namespace spotik::service
