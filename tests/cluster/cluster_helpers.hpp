// Helpers shared by the cluster tests: socket logs, room events and their seqs, uploads, and
// the checks every socket of a cluster must pass (strictly increasing seqs, and the same
// bytes for the same seq on every replica).
#pragma once
#include "support/cluster.hpp"
#include "support/multipart.hpp"
#include "support/test_util.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace spotik::test::cluster_tests {

namespace json = boost::json;
using namespace std::chrono_literals;
using types = std::vector<std::string>;
using socket_log = std::vector<json::object>;

inline constexpr auto k_wait = 15s;
inline constexpr auto k_quiet = 1500ms;

inline bool is_room_event(const json::object& m)
{
    return m.contains("seq");
}
inline std::uint64_t seq_of(const json::object& m)
{
    return m.at("seq").to_number<std::uint64_t>();
}

inline json::object join(ws_client& c, const std::string& room, std::optional<std::uint64_t> last_seq = std::nullopt)
{
    json::object data{{"room_id", room}};
    if (last_seq) data["last_seq"] = *last_seq;
    c.send_json({{"type", "join_room"}, {"data", data}});
    return c.expect("room_joined", k_wait);
}

// Reads into log until a message of `type` arrives (included); throws if it does not.
inline json::object read_until(ws_client& c, socket_log& log, const std::string& type)
{
    for (;;) {
        auto m = c.next(k_wait);
        if (!m) throw std::runtime_error("no " + type + " (" + c.end_reason() + ")");
        log.push_back(*m);
        if (type_of(*m) == type) return *m;
    }
}

inline void drain_into(ws_client& c, socket_log& log, std::chrono::milliseconds quiet = k_quiet)
{
    for (auto& m : c.drain(quiet)) log.push_back(std::move(m));
}

inline std::vector<json::object> of_type(const socket_log& log, const std::string& type)
{
    std::vector<json::object> out;
    for (const auto& m : log)
        if (type_of(m) == type) out.push_back(m);
    return out;
}

inline std::string upload(http_client& http, const std::string& room, const std::string& token,
                          const std::string& fixture)
{
    multipart_builder mp;
    mp.add_file("audio_file", fixture, fixture.ends_with(".wav") ? "audio/wav" : "audio/mpeg",
                read_file_bytes(fixture_path(fixture)));
    auto r = http.post_body("/api/rooms/" + room + "/tracks", mp.body(), mp.content_type(), token);
    if (r.status != 201) throw std::runtime_error("upload: " + std::to_string(r.status) + " " + r.body);
    return std::string(r.json().at("track").at("id").as_string());
}

// A room with one track, `voters` members besides its administrator, and an observer socket
// of the administrator joined on every replica. Throws when a step of the set-up fails.
struct voting_room {
    registered_user admin;
    std::string id, track, vote_path;
    std::vector<registered_user> voters;
    std::vector<ws_client> observers;
};

inline voting_room make_voting_room(cluster& c, http_client& http, int voters, const std::string& name)
{
    voting_room v;
    v.admin = register_user(http, "admin");
    v.id = create_room(http, v.admin.token, unique_name(name));
    v.track = upload(http, v.id, v.admin.token, "tone-3s-cbr.mp3");
    v.vote_path = "/api/rooms/" + v.id + "/tracks/" + v.track + "/vote";
    for (int i = 0; i < voters; ++i) {
        v.voters.push_back(register_user(http, "voter"));
        auto r = http.post_json("/api/rooms/" + v.id + "/join", json::object{}, v.voters.back().token);
        if (r.status != 200) throw std::runtime_error("join: " + std::to_string(r.status) + " " + r.body);
    }
    for (std::size_t i = 0; i < c.size(); ++i) {
        v.observers.push_back(c.socket(i, v.admin.token));
        join(v.observers.back(), v.id);
    }
    return v;
}

// Seqs strictly increase on every socket, and a seq means the same bytes everywhere.
inline void check_consistent(const std::map<std::string, const socket_log*>& logs)
{
    std::map<std::uint64_t, std::pair<std::string, std::string>> by_seq;  // seq -> (frame, socket)
    for (const auto& [name, log] : logs) {
        std::uint64_t last = 0;
        for (const auto& m : *log) {
            if (!is_room_event(m)) continue;
            auto seq = seq_of(m);
            EXPECT_GT(seq, last) << name << ": " << json::serialize(m);
            last = seq;
            auto text = json::serialize(m);
            auto [it, fresh] = by_seq.emplace(seq, std::pair{text, name});
            if (!fresh)
                EXPECT_EQ(text, it->second.first)
                    << "seq " << seq << " differs between " << name << " and " << it->second.second;
        }
    }
}

// Every seq in (from, to], each once.
inline void expect_contiguous(const std::vector<std::uint64_t>& seqs, std::uint64_t from, std::uint64_t to,
                              const std::string& who)
{
    std::vector<std::uint64_t> want;
    for (auto s = from + 1; s <= to; ++s) want.push_back(s);
    EXPECT_EQ(seqs, want) << who;
}

}  // namespace spotik::test::cluster_tests
