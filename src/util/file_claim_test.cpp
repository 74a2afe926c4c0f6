// Unit tests for util/file_claim: a claim excludes every other claim on the file (in this
// process too), follows a rename, removes or keeps the file as asked, and dies with its
// process, SIGKILL included, which is what lets a start-up sweep find abandoned files.
#include "util/file_claim.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <system_error>

namespace spotik::util {
namespace {

namespace fs = std::filesystem;

class file_claim_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "spotik_claim_XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    static void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

    fs::path dir_;
};

TEST_F(file_claim_test, a_new_file_is_claimed_until_the_claim_ends_and_then_removed)
{
    const auto path = dir_ / ".upload.part";
    {
        auto claim = file_claim::create(path);
        EXPECT_EQ(claim.path(), path);
        EXPECT_TRUE(fs::exists(path));
        EXPECT_EQ(fs::file_size(path), 0U);
        EXPECT_FALSE(file_claim::try_existing(path)) << "a second claim in the same process is refused";
    }
    EXPECT_FALSE(fs::exists(path)) << "an unkept new file goes with its claim";
}

TEST_F(file_claim_test, create_refuses_an_existing_name)
{
    const auto path = dir_ / "taken";
    write(path, "data");
    try {
        file_claim::create(path);
        FAIL() << "created over an existing file";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EEXIST);
    }
    EXPECT_TRUE(fs::exists(path)) << "the existing file is untouched";
}

TEST_F(file_claim_test, a_kept_file_stays_and_can_be_claimed_again)
{
    const auto path = dir_ / "kept.mp3";
    {
        auto claim = file_claim::create(path);
        write(path, "audio");
        claim.sync();
        claim.keep();
    }
    ASSERT_TRUE(fs::exists(path));
    auto again = file_claim::try_existing(path);
    ASSERT_TRUE(again);
    EXPECT_FALSE(file_claim::try_existing(path));
    again.reset();
    EXPECT_TRUE(fs::exists(path)) << "claiming an existing file never removes it by itself";
}

TEST_F(file_claim_test, the_claim_follows_a_rename)
{
    const auto staged = dir_ / ".t.part";
    const auto placed = dir_ / "t.wav";
    auto claim = file_claim::create(staged);
    claim.rename_to(placed);
    EXPECT_EQ(claim.path(), placed);
    EXPECT_FALSE(fs::exists(staged));
    EXPECT_TRUE(fs::exists(placed));
    EXPECT_FALSE(file_claim::try_existing(placed)) << "the lock stays on the renamed file";
    EXPECT_THROW(claim.rename_to(dir_ / "missing-folder" / "t.wav"), std::system_error);
    EXPECT_EQ(claim.path(), placed) << "a failed rename leaves the claim where it was";
}

TEST_F(file_claim_test, remove_takes_the_file_away_at_once)
{
    const auto path = dir_ / "orphan.mp3";
    write(path, "x");
    auto claim = file_claim::try_existing(path);
    ASSERT_TRUE(claim);
    claim->remove();
    EXPECT_FALSE(fs::exists(path));
    claim->remove();  // already gone: no error
}

TEST_F(file_claim_test, only_existing_regular_files_can_be_claimed)
{
    EXPECT_FALSE(file_claim::try_existing(dir_ / "missing"));
    EXPECT_FALSE(file_claim::try_existing(dir_)) << "a folder";
    write(dir_ / "target", "x");
    fs::create_symlink(dir_ / "target", dir_ / "link");
    EXPECT_FALSE(file_claim::try_existing(dir_ / "link")) << "a symbolic link is never followed";
}

TEST_F(file_claim_test, a_killed_owner_leaves_its_file_claimable)
{
    const auto path = dir_ / "body-1.part";
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto claim = file_claim::create(path);
        claim.keep();
        const char byte = 1;
        if (::write(ready[1], &byte, 1) != 1) ::_exit(2);
        ::pause();
        ::_exit(0);
    }
    ::close(ready[1]);
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);
    ::close(ready[0]);
    EXPECT_FALSE(file_claim::try_existing(path)) << "held by the living child";
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_TRUE(fs::exists(path)) << "SIGKILL leaves the file behind";
    EXPECT_TRUE(file_claim::try_existing(path)) << "but not its claim";
}

}  // namespace
}  // namespace spotik::util
