// What the crash tests (tests/integration/crash_*_test.cpp) share: uploads of the audio
// fixtures, the playback commands a driver sends and the state each one leaves, the checks of
// the storage folders against the track rows, and a lock on the tracks table held from the test
// process so that an upload stops right before its row. Checks report through gtest; the
// request helpers throw what http_client throws.
#pragma once
#include "support/multipart.hpp"
#include "support/server_process.hpp"
#include "support/test_util.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

struct sqlite3;
struct pg_conn;

namespace spotik::test {

// Fixtures that upload fine, of several formats and sizes.
extern const std::vector<std::string> k_audio_fixtures;

struct known_track {
    std::string id;
    std::string room_id;
    std::string filename;
    std::int64_t size = 0;
};

// From a track object of the API.
known_track track_from(const boost::json::value& track, const std::string& room_id);

// POST /api/rooms/{room}/tracks with tests/fixtures/<fixture> as audio_file.
http_response upload_fixture(http_client& client, const std::string& room, const std::string& token,
                             const std::string& fixture);

// A room's playback as far as the test can pin it down.
struct playback_expectation {
    std::string track;  // empty: idle
    bool playing = false;
    std::int64_t started_at = 0;  // playing: the effective start, epoch ms
    double position = 0;          // paused: seconds into the track
};

// From the data of GET /api/rooms/{id}.
playback_expectation expectation_from(const boost::json::value& room);
bool matches(const playback_expectation& actual, const playback_expectation& expected);

// play (track), pause, resume or seek (position, only sent while paused).
struct playback_command {
    std::string what;
    std::string track;
    double position = 0;
};

// A command that is valid in state `now`; `target` is the track a play would start.
playback_command next_command(const playback_expectation& now, const std::string& target, std::mt19937& rng);
http_response send_command(http_client& client, const std::string& room, const std::string& token,
                           const playback_command& command);
// The state an acknowledged command left, from its answer's data.
playback_expectation acknowledged_state(const playback_command& command, const boost::json::value& data);
// Whether `actual` is what `command`, sent in state `before`, may have left (its answer unseen).
bool matches_command(const playback_expectation& actual, const playback_command& command,
                     const playback_expectation& before);

// Every row's audio file is in <data>/storage/audio/tracks with the row's size, every file there
// belongs to a row, and no partial file (upload body, staged file, write probe) is anywhere under
// <data>/storage.
void expect_storage_matches(const std::string& data_dir, const std::map<std::string, boost::json::object>& rows);

// GET /api/tracks/{id}/stream answers 200 with the whole file for each track not in `streamed`,
// which then records it.
void expect_streams(http_client& client, const std::string& token, const std::vector<known_track>& tracks,
                    std::set<std::string>& streamed);

// The storage sweep's log line written after the first `seen` ones, waited for up to 10 s
// (the log is written asynchronously); empty if none came.
std::string next_sweep_line(const server_process& server, std::size_t seen);
std::size_t sweep_lines(const server_process& server);

// Holds a lock on the tracks table of a server's database that stops every insert but no read:
// SQLite BEGIN IMMEDIATE on the server's file, PostgreSQL LOCK TABLE tracks IN SHARE MODE.
// Throws std::runtime_error when the lock cannot be taken.
class tracks_write_lock {
public:
    explicit tracks_write_lock(const server_process& server);
    ~tracks_write_lock();
    tracks_write_lock(const tracks_write_lock&) = delete;
    tracks_write_lock& operator=(const tracks_write_lock&) = delete;
    void release();

private:
    sqlite3* sqlite_ = nullptr;
    pg_conn* pg_ = nullptr;
};

}  // namespace spotik::test
