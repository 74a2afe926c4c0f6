// Room use cases.
#include "service/room_service.hpp"

#include "obs/log.hpp"
#include "util/ids.hpp"

#include <filesystem>

namespace spotik::service {
namespace fs = std::filesystem;
using domain::failure;

namespace {
constexpr const char* k_cover_exts[] = {"jpg", "jpeg", "png", "webp"};
}

room_service::room_service(storage::store& store, const config::config& cfg, const util::clock& clock)
    : store_(store), cfg_(cfg), clock_(clock)
{
}

std::optional<std::string> room_service::room_cover_url(const std::string& room_id) const
{
    std::error_code ec;
    for (const char* ext : k_cover_exts) {
        std::string name = "room_covers/" + room_id + "." + ext;
        if (fs::is_regular_file(fs::path(cfg_.storage.public_path) / name, ec)) return "/api/storage/" + name;
    }
    return std::nullopt;
}

room_view room_service::load_view(storage::room_record room, const std::string& viewer_id, bool with_queue)
{
    room_view v;
    v.participants = store_.list_participants(room.id);
    bool admin_found = false;
    for (const auto& p : v.participants) {
        if (p.user_id == room.administrator_id) {
            v.administrator = p.user;
            admin_found = true;
        }
    }
    if (!admin_found) {
        if (auto admin = store_.find_user(room.administrator_id)) v.administrator = std::move(*admin);
        v.administrator.password_hash.clear();
    }
    if (with_queue) {
        v.queue = store_.list_tracks(room.id, viewer_id);
        v.with_queue = true;
        v.track_count = std::int64_t(v.queue.size());
    } else {
        v.track_count = store_.count_tracks(room.id);
    }
    if (room.playback.current_track_id) v.current_track = store_.find_track(*room.playback.current_track_id, viewer_id);
    v.cover_url = room_cover_url(room.id);
    v.room = std::move(room);
    return v;
}

std::vector<room_view> room_service::list(const std::string& viewer_id)
{
    std::vector<room_view> out;
    for (auto& room : store_.list_rooms()) out.push_back(load_view(std::move(room), viewer_id, false));
    return out;
}

room_view room_service::create(const storage::user_record& creator, std::string name,
                               std::optional<std::string> description)
{
    std::int64_t now = clock_.now_ms();
    storage::room_record room;
    room.id = util::new_uuid();
    room.name = std::move(name);
    room.description = std::move(description);
    room.administrator_id = creator.id;
    room.created_at = room.updated_at = now;
    storage::participant_record admin{util::new_uuid(), room.id, creator.id, now, {}};
    store_.create_room(room, admin);
    return load_view(std::move(room), creator.id, false);
}

domain::result<room_view> room_service::show(std::string_view room_id, const std::string& viewer_id, bool with_queue)
{
    auto room = store_.find_room(room_id);
    if (!room) return failure::not_found;
    return load_view(std::move(*room), viewer_id, with_queue);
}

domain::result<storage::room_record> room_service::administered(std::string_view room_id,
                                                                const storage::user_record& caller)
{
    auto room = store_.find_room(room_id);
    if (!room) return failure::not_found;
    if (room->administrator_id != caller.id) return failure::forbidden;
    return std::move(*room);
}

domain::result<room_view> room_service::update(std::string_view room_id, const storage::user_record& caller,
                                               std::optional<std::string> name,
                                               std::optional<std::optional<std::string>> description)
{
    auto room = administered(room_id, caller);
    if (!room) return room.error();
    std::string new_name = name ? std::move(*name) : room->name;
    std::optional<std::string> new_description = description ? std::move(*description) : room->description;
    if (!store_.update_room(room->id, new_name, new_description, clock_.now_ms())) return failure::not_found;
    return show(room->id, caller.id, false);
}

void room_service::delete_room_files(const storage::room_record& room, const std::vector<storage::track_file>& tracks)
{
    std::error_code ec;
    for (const auto& t : tracks) {
        fs::remove(fs::path(cfg_.storage.audio_path) / t.file_path, ec);
        for (const char* ext : k_cover_exts)
            fs::remove(fs::path(cfg_.storage.public_path) / ("track_covers/" + t.track_id + "." + ext), ec);
    }
    for (const char* ext : k_cover_exts)
        fs::remove(fs::path(cfg_.storage.public_path) / ("room_covers/" + room.id + "." + ext), ec);
}

domain::result<storage::room_record> room_service::remove(std::string_view room_id, const storage::user_record& caller)
{
    auto room = administered(room_id, caller);
    if (!room) return room.error();
    auto tracks = store_.delete_room(room->id);
    if (!tracks) return failure::not_found;
    // Files go only after the rows are gone, so a failed delete never leaves rows without files.
    delete_room_files(*room, *tracks);
    obs::info("room deleted", {{"room_id", room->id}, {"tracks", tracks->size()}});
    return std::move(*room);
}

domain::result<join_result> room_service::join(std::string_view room_id, const storage::user_record& caller)
{
    auto room = store_.find_room(room_id);
    if (!room) return failure::not_found;
    storage::participant_record row{util::new_uuid(), room->id, caller.id, clock_.now_ms(), {}};
    storage::join_outcome outcome;
    try {
        outcome = store_.add_participant(row);
    } catch (const storage::room_gone&) {
        return failure::not_found;  // deleted since it was read
    }
    outcome.participant.user = caller;
    outcome.participant.user.password_hash.clear();
    return join_result{outcome.inserted, std::move(outcome.participant)};
}

domain::result<storage::room_record> room_service::leave(std::string_view room_id, const storage::user_record& caller)
{
    auto room = store_.find_room(room_id);
    if (!room) return failure::not_found;
    if (room->administrator_id == caller.id) return failure::admin_cannot_leave;
    if (!store_.remove_participant(room->id, caller.id)) return failure::not_participant;
    return std::move(*room);
}

domain::result<std::vector<storage::participant_record>> room_service::participants(std::string_view room_id)
{
    auto room = store_.find_room(room_id);
    if (!room) return failure::not_found;
    return store_.list_participants(room->id);
}

}  // namespace spotik::service
