// In-process request handling for the fuzz targets.
#include "app_fixture.hpp"

#include "api/routes.hpp"
#include "auth/password.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "support.hpp"

#include <filesystem>

namespace spotik::fuzz {
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t k_now_ms = 1'700'000'000'000;
const std::string k_admin = "00000000-0000-4000-8000-0000000000a1";
const std::string k_member = "00000000-0000-4000-8000-0000000000a2";
const std::string k_outsider = "00000000-0000-4000-8000-0000000000a3";

storage::user_record make_user(const std::string& id, const std::string& name, const std::string& hash)
{
    return {id, name, name + "@fuzz.test", hash, k_now_ms - 86'400'000, k_now_ms - 86'400'000};
}

storage::track_record make_track(const std::string& id, const std::string& room, const std::string& uploader,
                                 std::int64_t duration_s)
{
    storage::track_record t;
    t.id = id;
    t.room_id = room;
    t.uploader_id = uploader;
    t.filename = id + ".mp3";
    t.original_name = "tone " + id.substr(34) + ".mp3";
    t.file_path = "tracks/" + t.filename;
    t.duration_seconds = duration_s;
    t.file_size_bytes = 48483;
    t.mime_type = "audio/mpeg";
    t.created_at = t.updated_at = k_now_ms - 60'000;
    return t;
}

}  // namespace

// Everything a request may change outside the database.
struct app_fixture::world {
    world(app_fixture& f)
        : rooms(*f.store_, f.cfg_, f.clock_),
          hub(16),
          events(hub, rooms, f.cfg_, f.clock_),
          playback(*f.store_, events, timers, f.cfg_, f.clock_),
          tracks(*f.store_, events, playback, f.cfg_, f.clock_),
          ctx{f.cfg_, f.clock_, *f.store_, metrics, *f.auth_, rooms, events, tracks, playback, hub, k_now_ms},
          commands(ctx, router, hub)
    {
        api::add_auth_routes(router, ctx);
        api::add_room_routes(router, ctx);
        api::add_track_routes(router, ctx);
        api::add_playback_routes(router, ctx);
    }

    service::room_service rooms;
    realtime::hub hub;
    service::room_events events;
    service::null_track_end_scheduler timers;
    service::playback_service playback;
    service::track_service tracks;
    obs::metrics metrics;
    api::context ctx;
    http::router router;
    api::ws_commands commands;
};

app_fixture::app_fixture() : clock_(k_now_ms)
{
    const std::string dir = scratch_dir() + "/app";
    cfg_.app.env = "test";
    cfg_.app.data_path = dir;
    cfg_.database.sqlite_path = dir + "/spotik.db";
    cfg_.storage.audio_path = dir + "/audio";
    cfg_.storage.public_path = dir + "/public";
    cfg_.storage.temp_path = dir + "/temp";
    cfg_.storage.max_file_size_mb = 1;
    cfg_.auth.jwt_secret = "fuzz-secret-0123456789abcdef0123456789";
    cfg_.auth.bcrypt_cost = 4;  // the lowest: logins and registrations stay fast
    cfg_.playback.auto_advance = false;
    fs::create_directories(dir);
    store_ = std::make_unique<watched_store>(std::make_unique<storage::sqlite_store>(cfg_.database.sqlite_path, 1000));
    store_->migrate();
    codec_ = std::make_unique<auth::jwt_codec>(cfg_.auth.jwt_secret, "spotik", clock_, cfg_.auth.jwt_leeway_s);
    auth_ = std::make_unique<service::auth_service>(*store_, *codec_, cfg_.auth, clock_);
    password_hash_ = auth::hash_password("password123", cfg_.auth.bcrypt_cost);

    room_ = "00000000-0000-4000-8000-0000000000b1";
    other_room_ = "00000000-0000-4000-8000-0000000000b2";
    track_ = "00000000-0000-4000-8000-0000000000c1";
    track2_ = "00000000-0000-4000-8000-0000000000c2";
    other_track_ = "00000000-0000-4000-8000-0000000000c3";
    auto token = [&](const std::string& id, const std::string& name) {
        auth::jwt_claims c;
        c.sub = id;
        c.jti = "fuzz" + id.substr(24);
        c.iat = c.nbf = k_now_ms / 1000 - 60;
        c.exp = c.iat + 3600;
        c.username = name;
        c.email = name + "@fuzz.test";
        return codec_->sign(c);
    };
    admin_token_ = token(k_admin, "admin");
    member_token_ = token(k_member, "member");
    outsider_token_ = token(k_outsider, "outsider");
    reset();
}

app_fixture::~app_fixture() = default;

void app_fixture::reset()
{
    world_.reset();
    if (files_written_) {
        for (const auto* d : {&cfg_.storage.audio_path, &cfg_.storage.public_path, &cfg_.storage.temp_path}) {
            fs::remove_all(*d);
            fs::create_directories(*d);
        }
        files_written_ = false;
    }
    if (store_->written()) {
        fill_store();
        store_->forget_writes();
    }
    world_ = std::make_unique<world>(*this);
}

void app_fixture::fill_store()
{
    store_->erase_all_data();
    const auto admin = make_user(k_admin, "admin", password_hash_);
    const auto member = make_user(k_member, "member", password_hash_);
    const auto outsider = make_user(k_outsider, "outsider", password_hash_);
    for (const auto& u : {admin, member, outsider}) store_->create_user(u);
    const std::int64_t t0 = k_now_ms - 3'600'000;
    store_->create_room({room_, "main", "the fuzz room", k_admin, {}, t0, t0},
                        {"00000000-0000-4000-8000-0000000000d1", room_, k_admin, t0});
    store_->create_room({other_room_, "other", std::nullopt, k_outsider, {}, t0, t0},
                        {"00000000-0000-4000-8000-0000000000d2", other_room_, k_outsider, t0});
    store_->add_participant({"00000000-0000-4000-8000-0000000000d3", room_, k_member, t0 + 1000});
    store_->insert_track(make_track(track_, room_, k_member, 180));
    store_->insert_track(make_track(track2_, room_, k_admin, 1));
    store_->insert_track(make_track(other_track_, other_room_, k_outsider, 30));
    storage::playback_columns playing{track_, true, k_now_ms - 10'000, std::nullopt};
    store_->update_playback(room_, {}, playing, k_now_ms - 10'000);
}

std::string app_fixture::substitute(std::string text) const
{
    const std::pair<std::string_view, const std::string*> names[] = {{"{room}", &room_},
                                                                     {"{other_room}", &other_room_},
                                                                     {"{track}", &track_},
                                                                     {"{track2}", &track2_},
                                                                     {"{other_track}", &other_track_},
                                                                     {"{admin}", &k_admin},
                                                                     {"{member}", &k_member},
                                                                     {"{outsider}", &k_outsider},
                                                                     {"{admin_token}", &admin_token_},
                                                                     {"{member_token}", &member_token_},
                                                                     {"{outsider_token}", &outsider_token_}};
    if (text.find('{') == std::string::npos) return text;
    for (const auto& [name, value] : names) replace_all(text, name, *value);
    return text;
}

http::reply app_fixture::handle(http::request& req)
{
    auto m = world_->router.match(req.method, req.path);
    if (!m.found) return http::unrouted(req, m);
    req.params = std::move(m.params);
    if (m.found->options.body == http::body_mode::file) {
        files_written_ = true;
        req.body_file = scratch_dir() + "/request-body";
        write_file(req.body_file, req.body);
        req.body_size = req.body.size();
        req.body.clear();
    }
    return m.found->fn(req);
}

const std::string& app_fixture::token_of(std::string_view who) const
{
    if (who == "member") return member_token_;
    if (who == "outsider") return outsider_token_;
    return admin_token_;
}

api::ws_commands& app_fixture::commands()
{
    return world_->commands;
}
realtime::hub& app_fixture::hub()
{
    return world_->hub;
}

}  // namespace spotik::fuzz
