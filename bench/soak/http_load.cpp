// One HTTP worker of the soak: an administrator with up to two rooms of its own and four guests
// who join, leave and vote in them. Everything a worker does is sequential and only touches its
// own rooms, so every answer is predictable: anything but the expected status is an error. The
// one exception is playback, where auto-advance (tracks of 3-7 s) can change the state between
// the status read and the command; those 400s are counted as refusals.
// Disk stays bounded: a room holds at most max_tracks_per_room tracks (the oldest goes first) and
// is deleted, files and all, after room_lifetime_s.
#include "soak.hpp"

#include "support/multipart.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>
#include <thread>

namespace soak {
namespace json = boost::json;
using spotik::test::http_client;
using spotik::test::http_response;

namespace {

struct user {
    std::string email, token, id;
    std::set<std::string> rooms;  // rooms joined (for guests)
    std::set<std::string> votes;  // "room/track" voted for
};

struct track {
    std::string id;
    std::int64_t size = 0;
};

struct room {
    std::string id;
    clock::time_point created;
    std::vector<track> tracks;  // upload order
};

const char* k_password = "soak-password-1";

std::string str_at(const json::value& v, std::initializer_list<const char*> path)
{
    const json::value* cur = &v;
    for (const char* key : path) {
        if (!cur->is_object() || !cur->as_object().contains(key)) return {};
        cur = &cur->as_object().at(key);
    }
    return cur->is_string() ? std::string(cur->as_string()) : std::string{};
}

class worker {
public:
    worker(shared& ctx, int index)
        : ctx_(ctx),
          index_(index),
          rng_(std::random_device{}() ^ (std::uint64_t(index) << 32)),
          http_(ctx.cfg.host, ctx.cfg.port)
    {
        http_.set_timeout(std::chrono::seconds(30));
    }

    void run()
    {
        if (!register_user(admin_)) return;
        guests_.resize(4);
        for (auto& g : guests_)
            if (!register_user(g)) return;
        while (running(ctx_)) {
            try {
                step();
            } catch (const std::exception& e) {  // an answer of the wrong shape
                ctx_.counts.error("unexpected answer", e.what());
            }
            if (++requests_since_reconnect_ > 300) {  // also churn TCP connections now and then
                http_.disconnect();
                requests_since_reconnect_ = 0;
            }
            nap(ctx_, std::uniform_int_distribution<int>(0, 2 * ctx_.cfg.think_ms)(rng_));
        }
        for (auto& r : rooms_) delete_room(r.id);  // leave the data folder as it was
    }

private:
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
    template <class T>
    T& any(std::vector<T>& v)
    {
        return v[std::size_t(pick(int(v.size())))];
    }

    std::optional<http_response> send(const std::string& kind, const std::function<http_response()>& f,
                                      std::initializer_list<int> ok, std::initializer_list<int> tolerated = {})
    {
        return call(ctx_.counts, kind, f, ok, tolerated);
    }

    bool register_user(user& u)
    {
        u = user{};
        u.email = "w" + std::to_string(index_) + "-" + std::to_string(serial_++) + "-" +
                  std::to_string(rng_() % 1000000000) + "@soak.example.com";
        json::object body{{"username", u.email.substr(0, 40)},
                          {"email", u.email},
                          {"password", k_password},
                          {"password_confirmation", k_password}};
        auto r = send("register", [&] { return http_.post_json("/api/auth/register", body); }, {201});
        if (!r) return false;
        auto v = r->json();
        u.token = str_at(v, {"data", "token"});
        u.id = str_at(v, {"data", "user", "id"});
        return !u.token.empty();
    }

    void login(user& u)
    {
        json::object body{{"email", u.email}, {"password", k_password}};
        auto r = send("login", [&] { return http_.post_json("/api/auth/login", body); }, {200});
        if (r) {
            auto token = str_at(r->json(), {"data", "token"});
            if (!token.empty()) u.token = token;
        }
    }

    void create_room()
    {
        json::object body{{"name", "soak room " + std::to_string(index_) + "." + std::to_string(serial_++)}};
        auto r = send("create room", [&] { return http_.post_json("/api/rooms", body, admin_.token); }, {201});
        if (!r) return;
        auto id = str_at(r->json(), {"data", "id"});
        if (id.empty()) return ctx_.counts.error("create room: no data.id");
        rooms_.push_back(room{id, clock::now(), {}});
        ctx_.board.add(id);
    }

    void delete_room(const std::string& id)
    {
        ctx_.board.remove(id);
        send("delete room", [&] { return http_.del("/api/rooms/" + id, admin_.token); }, {200});
        for (auto& g : guests_) {
            g.rooms.erase(id);
            std::erase_if(g.votes, [&](const std::string& k) { return k.starts_with(id + "/"); });
        }
    }

    // Keeps two rooms per worker and replaces the oldest once it has lived its time.
    void keep_rooms()
    {
        auto lifetime = std::chrono::seconds(ctx_.cfg.room_lifetime_s);
        if (!rooms_.empty() && clock::now() - rooms_.front().created > lifetime) {
            delete_room(rooms_.front().id);
            rooms_.erase(rooms_.begin());
        }
        while (rooms_.size() < 2 && running(ctx_)) {
            auto before = rooms_.size();
            create_room();
            if (rooms_.size() == before) return;
        }
    }

    void delete_track(room& r, std::size_t at)
    {
        auto t = r.tracks[at];
        r.tracks.erase(r.tracks.begin() + std::ptrdiff_t(at));
        send("delete track", [&] { return http_.del("/api/rooms/" + r.id + "/tracks/" + t.id, admin_.token); }, {200});
        for (auto& g : guests_) g.votes.erase(r.id + "/" + t.id);
    }

    void upload(room& r)
    {
        if (int(r.tracks.size()) >= ctx_.cfg.max_tracks_per_room) delete_track(r, 0);
        const auto& f = ctx_.cfg.fixtures[std::size_t(pick(int(ctx_.cfg.fixtures.size())))];
        spotik::test::multipart_builder mp;
        mp.add_file("audio_file", f.name, f.content_type, f.bytes);
        auto body = mp.body();
        auto r2 = send(
            "upload track",
            [&] { return http_.post_body("/api/rooms/" + r.id + "/tracks", body, mp.content_type(), admin_.token); },
            {201});
        if (!r2) return;
        auto v = r2->json();
        track t{str_at(v, {"track", "id"}), 0};
        if (auto* s = v.as_object().at("track").as_object().if_contains("file_size_bytes"); s && s->is_number())
            t.size = s->to_number<std::int64_t>();
        if (t.id.empty() || t.size <= 0) return ctx_.counts.error("upload track: no track.id/file_size_bytes");
        r.tracks.push_back(t);
    }

    void join_or_leave(room& r)
    {
        auto& g = any(guests_);
        if (g.rooms.contains(r.id)) {
            send("leave room",
                 [&] { return http_.post_json("/api/rooms/" + r.id + "/leave", json::object{}, g.token); }, {200});
            g.rooms.erase(r.id);
            std::erase_if(g.votes, [&](const std::string& k) { return k.starts_with(r.id + "/"); });
        } else if (send("join room",
                        [&] { return http_.post_json("/api/rooms/" + r.id + "/join", json::object{}, g.token); },
                        {200})) {
            g.rooms.insert(r.id);
        }
    }

    void vote(room& r)
    {
        if (r.tracks.empty()) return upload(r);
        std::vector<user*> in;
        for (auto& g : guests_)
            if (g.rooms.contains(r.id)) in.push_back(&g);
        if (in.empty()) return join_or_leave(r);
        auto& g = *in[std::size_t(pick(int(in.size())))];
        auto& t = any(r.tracks);
        auto key = r.id + "/" + t.id;
        auto path = "/api/rooms/" + r.id + "/tracks/" + t.id + "/vote";
        if (g.votes.contains(key)) {
            send("unvote", [&] { return http_.del(path, g.token); }, {200});
            g.votes.erase(key);
        } else if (send("vote", [&] { return http_.post_json(path, json::object{}, g.token); }, {200})) {
            g.votes.insert(key);
        }
    }

    void playback(room& r)
    {
        if (r.tracks.empty()) return upload(r);
        auto base = "/api/rooms/" + r.id + "/playback/";
        auto st = send("playback status", [&] { return http_.get_auth(base + "status", admin_.token); }, {200});
        if (!st) return;
        auto v = st->json();
        const auto& d = v.as_object().at("data").as_object();
        bool playing = d.at("is_playing").as_bool();
        bool current = !d.at("current_track").is_null();
        auto post = [&](const std::string& kind, const std::string& path, std::initializer_list<int> tolerated) {
            send(
                kind, [&] { return http_.post_json(path, json::object{}, admin_.token); }, {200}, tolerated);
        };
        int p = pick(10);
        if (!current || p == 0) {
            auto& t = any(r.tracks);
            post("play", "/api/rooms/" + r.id + "/tracks/" + t.id + "/play", {});
        } else if (playing) {
            // The track may end (auto-advance) between the status and the command.
            if (p < 6)
                post("pause", base + "pause", {400});
            else
                post("skip", base + "skip", {400});
        } else {
            if (p < 8)
                post("resume", base + "resume", {400});
            else
                post("stop", base + "stop", {});
        }
    }

    void stream(room& r)
    {
        if (r.tracks.empty()) return upload(r);
        auto& t = any(r.tracks);
        std::int64_t len = std::min<std::int64_t>(t.size, 1 + pick(65536));
        std::int64_t start = std::uniform_int_distribution<std::int64_t>(0, t.size - len)(rng_);
        auto range = "bytes=" + std::to_string(start) + "-" + std::to_string(start + len - 1);
        auto r2 = send("stream range",
                       [&] {
                           return http_.request("GET", "/api/tracks/" + t.id + "/stream", {},
                                                {{"Authorization", "Bearer " + admin_.token}, {"Range", range}});
                       },
                       {206});
        if (r2 && std::int64_t(r2->body.size()) != len) ctx_.counts.error("stream range: wrong body length");
    }

    void read(room& r)
    {
        switch (pick(6)) {
            case 0:
                send("GET room", [&] { return http_.get_auth("/api/rooms/" + r.id, admin_.token); }, {200});
                break;
            case 1:
                send("GET tracks", [&] { return http_.get_auth("/api/rooms/" + r.id + "/tracks", admin_.token); },
                     {200});
                break;
            case 2:
                send("GET rooms", [&] { return http_.get_auth("/api/rooms", admin_.token); }, {200});
                break;
            case 3:
                send("GET participants",
                     [&] { return http_.get_auth("/api/rooms/" + r.id + "/participants", admin_.token); }, {200});
                break;
            case 4:
                send("GET me", [&] { return http_.get_auth("/api/auth/me", any(guests_).token); }, {200});
                break;
            default:
                send("GET time", [&] { return http_.get("/api/time"); }, {200});
                break;
        }
    }

    void step()
    {
        keep_rooms();
        if (rooms_.empty()) return nap(ctx_, 500);
        auto& r = any(rooms_);
        int p = pick(100);
        if (p < 2) {  // a guest is replaced by a newly registered user
            auto& g = any(guests_);
            register_user(g);
        } else if (p < 6)
            login(any(guests_));
        else if (p < 14)
            join_or_leave(r);
        else if (p < 20)
            upload(r);
        else if (p < 36)
            vote(r);
        else if (p < 50)
            playback(r);
        else if (p < 64)
            stream(r);
        else if (p < 66 && !r.tracks.empty())
            delete_track(r, std::size_t(pick(int(r.tracks.size()))));
        else
            read(r);
    }

    shared& ctx_;
    int index_;
    std::mt19937_64 rng_;
    http_client http_;
    user admin_;
    std::vector<user> guests_;
    std::vector<room> rooms_;
    int serial_ = 0;
    int requests_since_reconnect_ = 0;
};

}  // namespace

void run_http_worker(shared& ctx, int index)
{
    try {
        worker(ctx, index).run();
    } catch (const std::exception& e) {  // a bug in the driver or an unparsable answer
        ctx.counts.error("http worker stopped", e.what());
    }
}

}  // namespace soak
