// Storage faults (issue: hardening, item 5): a full storage volume, tested on a small tmpfs of
// the test's own, answers 507 JSON and leaves no partial file or row; service resumes once space
// is freed.
#include "support/room_fixture.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace spotik::test {
namespace {

namespace fs = std::filesystem;

// A tmpfs of `kib` KiB mounted on a fresh temporary folder for the test's life. Needs root (as
// the test suite runs); a failure to mount fails the test rather than skipping it.
class small_volume {
public:
    explicit small_volume(int kib) : path_(fs::temp_directory_path() / unique_name("spotik-volume-"))
    {
        fs::create_directories(path_);
        const std::string options = "size=" + std::to_string(kib) + "k,mode=0755";
        if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
            const std::string why = std::strerror(errno);
            fs::remove(path_);
            throw std::runtime_error("small_volume: cannot mount a tmpfs on " + path_.string() + ": " + why);
        }
    }
    ~small_volume()
    {
        ::umount2(path_.c_str(), MNT_DETACH);
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    small_volume(const small_volume&) = delete;
    small_volume& operator=(const small_volume&) = delete;
    std::string path() const { return path_.string(); }

private:
    fs::path path_;
};

std::size_t files_under(const fs::path& dir)
{
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it)
        if (it->is_regular_file()) ++n;
    return n;
}

// The volume exists before the server starts (base classes are built in order).
struct volume_holder {
    small_volume volume_{600};
};

class full_volume : public volume_holder, public room_fixture {
protected:
    full_volume()
        : room_fixture({.env = {{"AUDIO_STORAGE_PATH", volume_.path() + "/audio"},
                                {"TEMP_STORAGE_PATH", volume_.path() + "/temp"}}})
    {
    }

    std::size_t listed_tracks()
    {
        auto r = client_.get_auth("/api/rooms/" + room_id_ + "/tracks", member_.token);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? r.json().at("tracks").as_array().size() : 0;
    }

    void expect_507(const http_response& r, const std::string& what)
    {
        EXPECT_EQ(r.status, 507) << what << ": " << r.body;
        if (r.status == 507) EXPECT_EQ(r.json().at("error"), "Insufficient storage") << what;
    }
};

TEST_F(full_volume, a_full_storage_volume_gives_507_and_leaves_no_partial_file_or_row)
{
    // 600 KiB hold one 215 KiB WAV (its upload needs room for the body and the stored file).
    const std::string first = upload_id(member_.token, "tone-5s.wav");
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(files_under(volume_.path() + "/audio"), 1u);

    // The second copy's body fits, the stored file does not.
    expect_507(upload(member_.token, "tone-5s.wav"), "second WAV");
    EXPECT_EQ(files_under(volume_.path() + "/audio"), 1u) << "a partial audio file was left";
    EXPECT_EQ(files_under(volume_.path() + "/temp"), 0u) << "a temporary file was left";
    EXPECT_EQ(listed_tracks(), 1u) << "a row was left";

    // A body bigger than the free space fails while it is received.
    multipart_builder mp;
    mp.add_file("audio_file", "big.wav", "audio/wav", std::string(500 * 1024, 'x'));
    auto fresh = server_.client();
    expect_507(fresh.post_body("/api/rooms/" + room_id_ + "/tracks", mp.body(), mp.content_type(), member_.token),
               "oversize body");
    EXPECT_EQ(files_under(volume_.path() + "/temp"), 0u) << "the partial body was left";
    EXPECT_EQ(files_under(volume_.path() + "/audio"), 1u);
    EXPECT_EQ(listed_tracks(), 1u);

    // Space freed, uploads work again.
    auto removed = client_.del("/api/rooms/" + room_id_ + "/tracks/" + first, member_.token);
    ASSERT_EQ(removed.status, 200) << removed.body;
    EXPECT_FALSE(upload_id(member_.token, "tone-5s.wav").empty());
    EXPECT_EQ(listed_tracks(), 1u);
    EXPECT_EQ(client_.get("/health/storage").status, 200);
}

}  // namespace
}  // namespace spotik::test
