// Unit tests for track uploads (service/track_upload.cpp) on a SQLite store in a temporary
// directory: what the client writes in multipart headers (file name, part Content-Type) is
// raw bytes, and nothing of it may reach a stored row or a refusal message as invalid UTF-8
// (the JSON of every reply and event would break; PostgreSQL refuses such text).
#include "service/playback_service.hpp"
#include "service/room_events.hpp"
#include "service/room_service.hpp"
#include "service/track_service.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "util/clock.hpp"
#include "util/utf8.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

namespace spotik::service {
namespace {

namespace fs = std::filesystem;

// A 16-bit mono 8 kHz WAV holding 16 sample frames.
std::string tiny_wav()
{
    auto le = [](std::uint32_t v, int bytes) {
        std::string out;
        for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
        return out;
    };
    std::string data(32, '\x01');
    return "RIFF" + le(36 + 32, 4) + "WAVEfmt " + le(16, 4) + le(1, 2) + le(1, 2) + le(8000, 4) + le(16000, 4) +
           le(2, 2) + le(16, 2) + "data" + le(32, 4) + data;
}

std::string make_temp_dir()
{
    std::string pattern = (fs::temp_directory_path() / "spotik-upload-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return pattern;
}

class track_upload : public testing::Test {
protected:
    track_upload()
    {
        cfg_.storage.audio_path = dir_ + "/audio";
        cfg_.storage.public_path = dir_ + "/public";
        cfg_.storage.temp_path = dir_ + "/temp";
        store_.migrate();
        user_ = {"00000000-0000-4000-8000-000000000001", "uploader", "up@example.test", "x", 1, 1};
        store_.create_user(user_);
        store_.create_room({room_, "room", std::nullopt, user_.id, {}, 1, 1},
                           {"00000000-0000-4000-8000-000000000003", room_, user_.id, 1});
    }
    ~track_upload() override
    {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    // Uploads one audio_file part with these raw headers values.
    std::variant<storage::track_record, upload_error> upload(const std::string& filename, const std::string& part_type)
    {
        const std::string body = "--B\r\nContent-Disposition: form-data; name=\"audio_file\"; filename=\"" + filename +
                                 "\"\r\nContent-Type: " + part_type + "\r\n\r\n" + tiny_wav() + "\r\n--B--\r\n";
        const std::string path = dir_ + "/body";
        std::ofstream(path, std::ios::binary) << body;
        return tracks_.upload(room_, user_, path, "multipart/form-data; boundary=B");
    }

    std::string dir_ = make_temp_dir();
    config::config cfg_;
    util::manual_clock clock_;
    storage::sqlite_store store_{dir_ + "/spotik.db", 1000};
    realtime::null_event_sink sink_;
    room_service rooms_{store_, cfg_, clock_};
    room_events events_{sink_, rooms_, cfg_, clock_};
    null_track_end_scheduler timers_;
    playback_service playback_{store_, events_, timers_, cfg_, clock_};
    track_service tracks_{store_, events_, playback_, cfg_, clock_};
    std::string room_ = "00000000-0000-4000-8000-000000000002";
    storage::user_record user_;
};

TEST_F(track_upload, a_file_name_that_is_not_utf8_is_stored_repaired)
{
    auto r = upload(
        "\xFF\xFE"
        "b.wav",
        "audio/wav");
    ASSERT_TRUE(std::holds_alternative<storage::track_record>(r)) << std::get<upload_error>(r).message;
    const auto& t = std::get<storage::track_record>(r);
    EXPECT_EQ(t.original_name,
              "\xEF\xBF\xBD\xEF\xBF\xBD"
              "b.wav");
    EXPECT_EQ(store_.find_track(t.id, "")->original_name, t.original_name);
}

// Reproducer of the api_request fuzz target's find: tests/fuzz/crashes/api_request/upload-type-invalid-utf8.
TEST_F(track_upload, refusals_quoting_the_client_are_valid_utf8)
{
    auto r = upload("a.wav",
                    "\x9C"
                    "udio/wav");
    ASSERT_TRUE(std::holds_alternative<upload_error>(r));
    EXPECT_EQ(std::get<upload_error>(r).message,
              "Unsupported MIME type: \xEF\xBF\xBD"
              "udio/wav. Supported: audio/mpeg, audio/wav, audio/mp4, audio/x-m4a");
    r = upload("a.w\xC3", "audio/wav");
    ASSERT_TRUE(std::holds_alternative<upload_error>(r));
    EXPECT_EQ(std::get<upload_error>(r).message,
              "Unsupported file extension: .w\xEF\xBF\xBD. Supported: mp3, wav, m4a");
    EXPECT_TRUE(util::is_valid_utf8(std::get<upload_error>(r).message));
}

}  // namespace
}  // namespace spotik::service
