// The crash tests' shared traffic and checks (see crash_traffic.hpp).
#include "support/crash_traffic.hpp"

#include "util/time_format.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace spotik::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string type_of(const std::string& fixture)
{
    if (fixture.ends_with(".mp3")) return "audio/mpeg";
    if (fixture.ends_with(".wav")) return "audio/wav";
    return "audio/mp4";
}

std::int64_t ms_of(const json::value& v)
{
    return *util::parse_iso8601_ms(std::string(v.as_string()));
}

bool near(double a, double b)
{
    return std::fabs(a - b) < 0.002;
}

}  // namespace

const std::vector<std::string> k_audio_fixtures = {"tone-3s-cbr.mp3", "tone-3s-bare.mp3", "tone-4s.m4a", "tone-5s.wav",
                                                   "tone-7s-vbr.mp3"};

known_track track_from(const json::value& track, const std::string& room_id)
{
    return {std::string(track.at("id").as_string()), room_id, std::string(track.at("filename").as_string()),
            track.at("file_size_bytes").to_number<std::int64_t>()};
}

http_response upload_fixture(http_client& client, const std::string& room, const std::string& token,
                             const std::string& fixture)
{
    // The fixtures are read once: uploads go out as fast as the server takes them.
    static const std::map<std::string, std::string> bytes = [] {
        std::map<std::string, std::string> all;
        for (const auto& f : k_audio_fixtures) all[f] = read_file_bytes(fixture_path(f));
        return all;
    }();
    multipart_builder mp;
    mp.add_file("audio_file", fixture, type_of(fixture), bytes.at(fixture));
    return client.post_body("/api/rooms/" + room + "/tracks", mp.body(), mp.content_type(), token);
}

playback_expectation expectation_from(const json::value& room)
{
    playback_expectation e;
    if (room.at("current_track").is_null()) return e;
    e.track = std::string(room.at("current_track").at("id").as_string());
    e.playing = room.at("is_playing").as_bool();
    if (e.playing)
        e.started_at = ms_of(room.at("playback_started_at"));
    else
        e.position = room.at("current_playback_position").to_number<double>();
    return e;
}

bool matches(const playback_expectation& actual, const playback_expectation& expected)
{
    if (actual.track != expected.track || actual.playing != expected.playing) return false;
    return actual.playing ? actual.started_at == expected.started_at : near(actual.position, expected.position);
}

playback_command next_command(const playback_expectation& now, const std::string& target, std::mt19937& rng)
{
    const unsigned dice = rng() % 10;
    if (now.track.empty()) return {"play", target};
    if (now.playing) return dice < 6 ? playback_command{"pause"} : playback_command{"play", target};
    if (dice < 4) return {"seek", "", double(rng() % 2500) / 1000.0};  // every playback track lasts 4 s or more
    return dice < 8 ? playback_command{"resume"} : playback_command{"play", target};
}

http_response send_command(http_client& client, const std::string& room, const std::string& token,
                           const playback_command& command)
{
    const std::string base = "/api/rooms/" + room;
    if (command.what == "play")
        return client.post_json(base + "/tracks/" + command.track + "/play", json::object{}, token);
    if (command.what == "seek")
        return client.post_json(base + "/playback/seek", json::object{{"position", command.position}}, token);
    return client.post_json(base + "/playback/" + command.what, json::object{}, token);
}

playback_expectation acknowledged_state(const playback_command& command, const json::value& data)
{
    playback_expectation e;
    e.track = std::string(data.at("track_id").as_string());
    if (command.what == "play") {
        e.playing = true;
        e.started_at = ms_of(data.at("started_at"));
    } else if (command.what == "resume") {
        e.playing = true;
        e.started_at = ms_of(data.at("effective_started_at"));
    } else if (command.what == "pause") {
        e.position = data.at("position").to_number<double>();
    } else {
        e.position = command.position;
    }
    return e;
}

bool matches_command(const playback_expectation& actual, const playback_command& command,
                     const playback_expectation& before)
{
    if (command.what == "play") return actual.playing && actual.track == command.track;
    if (actual.track != before.track) return false;
    if (command.what == "resume") return actual.playing;
    if (command.what == "pause") return !actual.playing;
    return !actual.playing && near(actual.position, command.position);
}

void expect_storage_matches(const std::string& data_dir, const std::map<std::string, json::object>& rows)
{
    const fs::path storage = fs::path(data_dir) / "storage";
    const fs::path tracks = storage / "audio" / "tracks";
    std::set<std::string> named;
    for (const auto& [id, row] : rows) {
        const std::string filename(row.at("filename").as_string());
        named.insert(filename);
        std::error_code ec;
        const auto size = fs::file_size(tracks / filename, ec);
        EXPECT_FALSE(ec) << "track row " << id << " without its audio file";
        if (!ec) {
            EXPECT_EQ(std::int64_t(size), row.at("file_size_bytes").to_number<std::int64_t>()) << id;
        }
    }
    for (const auto& entry : fs::directory_iterator(tracks))
        EXPECT_TRUE(named.contains(entry.path().filename().string()))
            << "stored file without a track row: " << entry.path().filename();
    for (const auto& entry : fs::recursive_directory_iterator(storage)) {
        const std::string name = entry.path().filename().string();
        EXPECT_FALSE(name.ends_with(".part") || name.starts_with(".spotik-write-test"))
            << "partial file left: " << entry.path().lexically_relative(storage);
    }
    EXPECT_TRUE(fs::is_empty(storage / "temp")) << "upload bodies left in TEMP_STORAGE_PATH";
}

void expect_streams(http_client& client, const std::string& token, const std::vector<known_track>& tracks,
                    std::set<std::string>& streamed)
{
    for (const auto& t : tracks) {
        if (streamed.contains(t.id)) continue;
        auto r = client.request("GET", "/api/tracks/" + t.id + "/stream", {}, {{"Authorization", "Bearer " + token}});
        EXPECT_EQ(r.status, 200) << "stream of " << t.id << ": " << r.body.substr(0, 200);
        EXPECT_EQ(std::int64_t(r.body.size()), t.size) << "stream of " << t.id;
        streamed.insert(t.id);
    }
}

std::size_t sweep_lines(const server_process& server)
{
    const std::string out = server.output();
    std::size_t n = 0;
    for (auto at = out.find("storage swept"); at != std::string::npos; at = out.find("storage swept", at + 1)) ++n;
    return n;
}

std::string next_sweep_line(const server_process& server, std::size_t seen)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        const std::string out = server.output();
        std::size_t at = std::string::npos;
        std::size_t n = 0;
        for (auto p = out.find("storage swept"); p != std::string::npos; p = out.find("storage swept", p + 1))
            if (++n == seen + 1) at = p;
        if (at != std::string::npos) {
            const auto begin = out.rfind('\n', at);
            const std::size_t from = begin == std::string::npos ? 0 : begin + 1;
            const auto end = out.find('\n', at);
            return out.substr(from, end == std::string::npos ? std::string::npos : end - from);
        }
        if (std::chrono::steady_clock::now() >= deadline) return {};
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

tracks_write_lock::tracks_write_lock(const server_process& server)
{
    if (const auto* db = server.database()) {
        pg_ = PQconnectdb(db->endpoint().conninfo(db->name()).c_str());
        PGresult* res =
            PQstatus(pg_) == CONNECTION_OK ? PQexec(pg_, "BEGIN; LOCK TABLE tracks IN SHARE MODE") : nullptr;
        const bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
        const std::string why = PQerrorMessage(pg_);
        PQclear(res);
        if (!ok) {
            PQfinish(pg_);
            throw std::runtime_error("tracks_write_lock: " + why);
        }
        return;
    }
    const std::string path = (fs::path(server.data_dir()) / "spotik.db").string();
    if (sqlite3_open(path.c_str(), &sqlite_) != SQLITE_OK || sqlite3_busy_timeout(sqlite_, 10'000) != SQLITE_OK ||
        sqlite3_exec(sqlite_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
        const std::string why = sqlite3_errmsg(sqlite_);
        sqlite3_close(sqlite_);
        throw std::runtime_error("tracks_write_lock: " + why);
    }
}

tracks_write_lock::~tracks_write_lock()
{
    release();
}

void tracks_write_lock::release()
{
    if (pg_) {
        PQclear(PQexec(pg_, "ROLLBACK"));
        PQfinish(pg_);
        pg_ = nullptr;
    }
    if (sqlite_) {
        sqlite3_exec(sqlite_, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(sqlite_);
        sqlite_ = nullptr;
    }
}

}  // namespace spotik::test
