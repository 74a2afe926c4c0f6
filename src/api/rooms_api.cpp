// /api/rooms: list, create, show, update, delete, join, leave, participants (CONTRACT §5).
#include "api/common.hpp"
#include "api/routes.hpp"
#include "api/views.hpp"

namespace spotik::api {
namespace {

using service::authenticated;

http::reply room_not_found()
{
    return http::error_a(404, "Room not found", "Room not found");
}

http::reply not_administrator_update()
{
    return http::error_a(403, "Unauthorized. Only room administrator can update room settings.",
                         "Insufficient permissions");
}

http::reply room_data(context& ctx, int status, const char* message, const service::room_view& v,
                      const storage::user_record& viewer)
{
    return http::json(status, {{"success", true},
                               {"message", message},
                               {"data", room_json(v, &viewer, ctx.cfg.storage.public_path, ctx.clock.now_ms())}});
}

http::reply list_rooms(context& ctx, const authenticated& who)
{
    boost::json::array data;
    auto now = ctx.clock.now_ms();
    for (const auto& v : ctx.rooms.list(who.user.id))
        data.push_back(room_json(v, &who.user, ctx.cfg.storage.public_path, now));
    return http::json(200, {{"success", true}, {"message", "Rooms retrieved successfully"}, {"data", std::move(data)}});
}

// Reads name (1-100 characters) and description (up to 500, null when empty).
bool read_room_fields(const boost::json::object& body, bool name_required, std::optional<std::string>& name,
                      std::optional<std::optional<std::string>>& description, field_errors& errors)
{
    name = read_string(body, "name", {.required = name_required, .max_chars = k_room_name_max_chars}, errors);
    if (name && has_control_chars(*name)) errors.add("name", "The name field format is invalid.");
    if (body.contains("description")) {
        auto d = read_string(body, "description", {.required = false, .max_chars = 500}, errors);
        description = d;
    }
    return errors.empty();
}

http::reply create_room(context& ctx, http::request& req, const authenticated& who)
{
    auto parsed = parse_body(req, true);
    if (auto* r = std::get_if<http::reply>(&parsed)) return std::move(*r);
    field_errors errors;
    std::optional<std::string> name;
    std::optional<std::optional<std::string>> description;
    if (!read_room_fields(std::get<boost::json::object>(parsed), true, name, description, errors))
        return http::validation_error(errors.json(), true);
    auto view = ctx.rooms.create(who.user, *name, description ? *description : std::nullopt);
    return room_data(ctx, 201, "Room created successfully", view, who.user);
}

http::reply show_room(context& ctx, http::request& req, const authenticated& who)
{
    auto id = uuid_param(req, "room");
    if (!id) return room_not_found();
    auto view = ctx.rooms.show(*id, who.user.id, true);
    if (!view) return room_not_found();
    return room_data(ctx, 200, "Room retrieved successfully", *view, who.user);
}

http::reply update_room(context& ctx, http::request& req, const authenticated& who)
{
    auto id = uuid_param(req, "room");
    if (!id) return room_not_found();
    auto room = ctx.rooms.administered(*id, who.user);
    if (!room && room.error() == domain::failure::forbidden) return not_administrator_update();
    if (!room) return room_not_found();
    auto parsed = parse_body(req, true);
    if (auto* r = std::get_if<http::reply>(&parsed)) return std::move(*r);
    field_errors errors;
    std::optional<std::string> name;
    std::optional<std::optional<std::string>> description;
    // A name may be left out, but one that is sent must be a real name (Laravel's
    // "sometimes|required"): an empty or null name is refused, not ignored.
    const auto& body = std::get<boost::json::object>(parsed);
    if (!read_room_fields(body, body.contains("name"), name, description, errors))
        return http::validation_error(errors.json(), true);
    auto turn = ctx.events.turn(*id);
    auto view = ctx.rooms.update(*id, who.user, name, description);
    if (!view && view.error() == domain::failure::forbidden) return not_administrator_update();
    if (!view) return room_not_found();
    ctx.events.room_state_updated(view->room.id);
    turn.unlock();
    return room_data(ctx, 200, "Room updated successfully", *view, who.user);
}

http::reply delete_room(context& ctx, http::request& req, const authenticated& who)
{
    auto id = uuid_param(req, "room");
    if (!id) return room_not_found();
    auto turn = ctx.events.turn(*id);
    auto done = ctx.rooms.remove(*id, who.user);
    if (!done && done.error() == domain::failure::forbidden)
        return http::error_a(403, "Unauthorized. Only room administrator can delete the room.",
                             "Insufficient permissions");
    if (!done) return room_not_found();
    ctx.playback.forget_room(done->id);
    ctx.events.room_deleted(done->id, done->name);
    return http::json(200, {{"success", true}, {"message", "Room deleted successfully"}});
}

http::reply join_room(context& ctx, http::request& req, const authenticated& who)
{
    auto id = uuid_param(req, "room");
    if (!id) return room_not_found();
    auto turn = ctx.events.turn(*id);
    auto joined = ctx.rooms.join(*id, who.user);
    if (!joined) return room_not_found();
    if (joined->newly_joined) ctx.events.user_joined(*id, joined->participant);
    turn.unlock();
    auto view = ctx.rooms.show(*id, who.user.id, false);
    if (!view) return room_not_found();
    auto now = ctx.clock.now_ms();
    auto participant = participant_json(joined->participant, view->room.administrator_id, now);
    participant["room_id"] = view->room.id;
    const char* message = joined->newly_joined ? "Successfully joined the room" : "You are already in this room";
    return http::json(200, {{"success", true},
                            {"message", message},
                            {"data",
                             {{"room", room_json(*view, &who.user, ctx.cfg.storage.public_path, now)},
                              {"participant", std::move(participant)}}}});
}

http::reply leave_room(context& ctx, http::request& req, const authenticated& who)
{
    auto id = uuid_param(req, "room");
    if (!id) return room_not_found();
    auto turn = ctx.events.turn(*id);
    auto left = ctx.rooms.leave(*id, who.user);
    if (left) {
        ctx.events.user_left(left->id, who.user);
        turn.unlock();
        return http::json(200, {{"success", true}, {"message", "Successfully left the room"}});
    }
    switch (left.error()) {
        case domain::failure::admin_cannot_leave:
            return http::error_a(403, "Room administrator cannot leave the room. Delete the room instead.",
                                 "Administrator cannot leave");
        case domain::failure::not_participant:
            return http::error_a(404, "You are not a participant in this room", "Not a participant");
        default:
            return room_not_found();
    }
}

http::reply list_participants(context& ctx, http::request& req, const authenticated&)
{
    auto id = uuid_param(req, "room");
    if (!id) return room_not_found();
    auto room = ctx.store.find_room(*id);
    auto list = ctx.rooms.participants(*id);
    if (!room || !list) return room_not_found();
    boost::json::array data;
    auto now = ctx.clock.now_ms();
    for (const auto& p : *list) data.push_back(participant_json(p, room->administrator_id, now));
    return http::json(
        200, {{"success", true}, {"message", "Participants retrieved successfully"}, {"data", std::move(data)}});
}

}  // namespace

void add_room_routes(http::router& r, context& ctx)
{
    auto bind = [&ctx](http::reply (*fn)(context&, http::request&, const authenticated&)) {
        return with_user(ctx.auth,
                         [&ctx, fn](http::request& req, const authenticated& who) { return fn(ctx, req, who); });
    };
    r.add("GET", "/api/rooms",
          with_user(ctx.auth, [&ctx](http::request&, const authenticated& who) { return list_rooms(ctx, who); }),
          {.summary = "All rooms, newest first", .tag = "rooms"});
    r.add("POST", "/api/rooms", bind(create_room),
          {.summary = "Create a room (the caller administers it)", .tag = "rooms"});
    r.add("GET", "/api/rooms/{room}", bind(show_room),
          {.summary = "A room with participants and queue", .tag = "rooms"});
    r.add("PUT", "/api/rooms/{room}", bind(update_room),
          {.summary = "Rename or describe a room (administrator)", .tag = "rooms"});
    r.add("DELETE", "/api/rooms/{room}", bind(delete_room),
          {.summary = "Delete a room and its files (administrator)", .tag = "rooms"});
    r.add("POST", "/api/rooms/{room}/join", bind(join_room), {.summary = "Join a room (idempotent)", .tag = "rooms"});
    r.add("POST", "/api/rooms/{room}/leave", bind(leave_room),
          {.summary = "Leave a room (not the administrator)", .tag = "rooms"});
    r.add("DELETE", "/api/rooms/{room}/leave", bind(leave_room),
          {.summary = "Alias of POST .../leave", .tag = "rooms"});
    r.add("GET", "/api/rooms/{room}/participants", bind(list_participants),
          {.summary = "Participants of a room", .tag = "rooms"});
}

}  // namespace spotik::api
