// The maintenance subcommands of the real binary: healthcheck against a live and a missing
// server, migrate, db seed (generated tracks that the server then lists and streams), db reset
// (and its refusal in production), and usage errors.
#include "support/postgres_server.hpp"
#include "support/server_process.hpp"
#include "support/test_util.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

namespace spotik::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Runs `spotik <args>` to completion with the given environment; returns the exit status.
int run_command(std::vector<std::string> args, std::map<std::string, std::string> env, std::string& output,
                const std::string& data_dir = {})
{
    server_options opts{.env = std::move(env),
                        .data_dir = data_dir,
                        .keep_data_dir = !data_dir.empty(),
                        .args = std::move(args),
                        .wait_until_live = false};
    server_process p{std::move(opts)};
    auto status = p.wait_exit(60s);
    output = p.output();
    return status.value_or(-1);
}

// A data folder, and on PostgreSQL runs a database, that several processes of one test share.
class shared_data {
public:
    shared_data() : path_(fs::temp_directory_path() / unique_name("spotik-cmd-"))
    {
        fs::create_directories(path_);
        if (testing_on_postgres()) database_ = std::make_unique<postgres_database>(shared_postgres());
    }
    ~shared_data()
    {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string str() const { return path_.string(); }
    // The environment that points a process at the shared database, plus `extra`.
    std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) const
    {
        if (database_)
            for (const auto& [name, value] : database_->server_env()) extra.try_emplace(name, value);
        return extra;
    }

private:
    fs::path path_;
    std::unique_ptr<postgres_database> database_;
};

std::size_t files_in(const fs::path& dir)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return 0;
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) ++n;
    return n;
}

TEST(commands, healthcheck_reports_a_live_server_and_a_missing_one)
{
    server_process server;
    const std::string port = std::to_string(server.port());
    std::string out;
    EXPECT_EQ(run_command({"healthcheck"}, {{"SERVER_PORT", port}}, out), 0) << out;
    EXPECT_NE(out.find("healthy: http://127.0.0.1:" + port + "/ready answered 200"), std::string::npos) << out;
    EXPECT_EQ(run_command({"healthcheck", "--live"}, {{"SERVER_PORT", port}}, out), 0) << out;
    EXPECT_NE(out.find("/live answered 200"), std::string::npos) << out;
    EXPECT_EQ(run_command({"healthcheck", "--url", server.base_url() + "/no-such-probe"}, {}, out), 1) << out;
    EXPECT_NE(out.find("answered 404"), std::string::npos) << out;

    server.stop();
    EXPECT_EQ(run_command({"healthcheck", "--timeout", "2"}, {{"SERVER_PORT", port}}, out), 1) << out;
    EXPECT_NE(out.find("unhealthy: http://127.0.0.1:" + port + "/ready"), std::string::npos) << out;
    EXPECT_EQ(run_command({"healthcheck"}, {{"SERVER_PORT", "not-a-port"}}, out), 1) << out;
    EXPECT_NE(out.find("SERVER_PORT"), std::string::npos) << out;
}

TEST(commands, every_failed_healthcheck_exits_1)
{
    // Docker's HEALTHCHECK reserves exit status 2: usage and configuration mistakes are 1 too.
    const std::pair<std::vector<std::string>, std::map<std::string, std::string>> cases[] = {
        {{"healthcheck"}, {{"SERVER_PORT", "0"}}},
        {{"healthcheck"}, {{"SERVER_PORT", "abc"}}},
        {{"healthcheck"}, {{"SERVER_HOST", "localhost"}, {"SERVER_PORT", "3000"}}},
        {{"healthcheck", "--url", "https://127.0.0.1:3000/ready"}, {}},
        {{"healthcheck", "--url", "http://"}, {}},
        {{"healthcheck", "--url", "http://127.0.0.1:83987/ready"}, {}},
        {{"healthcheck", "--url", "http://127.0.0.1:0/ready"}, {}},
        {{"healthcheck", "--timeout", "0"}, {}},
        {{"healthcheck", "--verbose"}, {}},
    };
    for (const auto& [args, env] : cases) {
        std::string out;
        EXPECT_EQ(run_command(args, env, out), 1) << args.back() << "\n" << out;
        EXPECT_FALSE(out.empty()) << "says why: " << args.back();
    }
}

TEST(commands, healthcheck_probes_an_ipv6_url)
{
    server_process server{{.env = {{"SERVER_HOST", "[::]"}}}};  // IPv4 and IPv6
    const std::string url = "http://[::1]:" + std::to_string(server.port()) + "/live";
    std::string out;
    EXPECT_EQ(run_command({"healthcheck", "--url", url}, {}, out), 0) << out;
    EXPECT_NE(out.find("healthy: " + url + " answered 200"), std::string::npos) << out;
}

TEST(commands, migrate_creates_the_database)
{
    shared_data dir;
    std::string out;
    EXPECT_EQ(run_command({"migrate"}, dir.env(), out, dir.str()), 0) << out;
    EXPECT_NE(out.find("migrate: the " + test_store_driver() + " database is up to date"), std::string::npos) << out;
    EXPECT_EQ(fs::exists(dir.str() + "/spotik.db"), test_store_driver() == "sqlite");
    EXPECT_EQ(run_command({"migrate"}, dir.env(), out, dir.str()), 0) << "a second run has nothing to do: " << out;
}

TEST(commands, db_seed_adds_playable_tracks_the_server_serves)
{
    shared_data dir;
    std::string out;
    ASSERT_EQ(run_command({"db", "seed", "--room", "Seeded room", "--count", "3"}, dir.env(), out, dir.str()), 0)
        << out;
    EXPECT_NE(out.find("created room \"Seeded room\""), std::string::npos) << out;
    EXPECT_EQ(files_in(dir.str() + "/storage/audio/tracks"), 3u);

    server_process server{{.env = dir.env(), .data_dir = dir.str(), .keep_data_dir = true}};
    auto client = server.client();
    auto user = register_user(client, "listener");
    auto rooms = client.get_auth("/api/rooms", user.token);
    ASSERT_EQ(rooms.status, 200) << rooms.body;
    std::string room_id;
    const auto rooms_json = rooms.json();
    for (const auto& r : rooms_json.at("data").as_array())
        if (r.at("name").as_string() == "Seeded room") room_id = std::string(r.at("id").as_string());
    ASSERT_FALSE(room_id.empty()) << rooms.body;
    ASSERT_EQ(client.post_json("/api/rooms/" + room_id + "/join", boost::json::object{}, user.token).status, 200);

    auto tracks = client.get_auth("/api/rooms/" + room_id + "/tracks", user.token);
    ASSERT_EQ(tracks.status, 200) << tracks.body;
    const auto tracks_json = tracks.json();
    const auto& list = tracks_json.at("tracks").as_array();
    ASSERT_EQ(list.size(), 3u);
    for (const auto& t : list) {
        const auto seconds = t.at("duration_seconds").as_int64();
        EXPECT_GE(seconds, 15);
        EXPECT_LE(seconds, 45);
        EXPECT_EQ(t.at("uploader").at("username").as_string(), "spotik-seed");
        EXPECT_EQ(t.at("mime_type").as_string(), "audio/wav");
        auto stream = client.get("/api/tracks/" + std::string(t.at("id").as_string()) + "/stream?token=" + user.token);
        ASSERT_EQ(stream.status, 200);
        EXPECT_EQ(stream.body.substr(0, 4), "RIFF");
        EXPECT_EQ(static_cast<std::int64_t>(stream.body.size()), t.at("file_size_bytes").as_int64());
        // 16-bit mono at 22050 Hz: the bytes hold exactly the reported duration.
        EXPECT_EQ(static_cast<std::int64_t>(stream.body.size()) - 44, seconds * 22050 * 2);
    }
    server.stop();

    // By id this time: the same room grows, no second room appears.
    ASSERT_EQ(run_command({"db", "seed", "--room", room_id, "--count", "2"}, dir.env(), out, dir.str()), 0) << out;
    EXPECT_NE(out.find("found room"), std::string::npos) << out;
    EXPECT_NE(out.find("now has 5 track(s)"), std::string::npos) << out;
}

TEST(commands, db_reset_deletes_everything_outside_production)
{
    shared_data dir;
    std::string out;
    ASSERT_EQ(run_command({"db", "seed", "--room", "To be wiped", "--count", "2"}, dir.env(), out, dir.str()), 0)
        << out;

    const auto production = dir.env({{"APP_ENV", "production"}, {"JWT_SECRET", "9c1f4e7a2b8d3065e1f7a9c3b5d80246"}});
    EXPECT_EQ(run_command({"db", "reset"}, production, out, dir.str()), 1) << out;
    EXPECT_NE(out.find("refused because APP_ENV=production"), std::string::npos) << out;
    EXPECT_EQ(files_in(dir.str() + "/storage/audio/tracks"), 2u) << "a refused reset deletes nothing";

    EXPECT_EQ(run_command({"db", "reset"}, dir.env({{"APP_ENV", "development"}}), out, dir.str()), 0) << out;
    EXPECT_NE(out.find("2 stored file(s) removed"), std::string::npos) << out;
    EXPECT_EQ(files_in(dir.str() + "/storage/audio/tracks"), 0u);

    server_process server{{.env = dir.env(), .data_dir = dir.str(), .keep_data_dir = true}};
    auto client = server.client();
    auto user = register_user(client);
    auto rooms = client.get_auth("/api/rooms", user.token);
    ASSERT_EQ(rooms.status, 200) << rooms.body;
    EXPECT_TRUE(rooms.json().at("data").as_array().empty()) << rooms.body;
}

TEST(commands, db_reset_removes_only_upload_bodies_from_the_temp_folder)
{
    // TEMP_STORAGE_PATH may be a shared folder such as /tmp.
    shared_data dir;
    const fs::path temp = fs::path(dir.str()) / "shared-tmp";
    fs::create_directories(temp / "someone-elses-folder");
    std::ofstream(temp / "someone-elses-folder" / "notes.txt") << "keep";
    std::ofstream(temp / "someone-elses-file.txt") << "keep";
    std::ofstream(temp / "body-0123456789ab.part") << "an upload a killed server left";
    std::ofstream(temp / "body-notes.txt") << "keep";
    const auto env = dir.env({{"APP_ENV", "development"}, {"TEMP_STORAGE_PATH", temp.string()}});
    std::string out;
    ASSERT_EQ(run_command({"db", "seed", "--room", "To be wiped", "--count", "2"}, env, out, dir.str()), 0) << out;

    EXPECT_EQ(run_command({"db", "reset"}, env, out, dir.str()), 0) << out;
    EXPECT_NE(out.find("; 3 stored file(s) removed"), std::string::npos) << "2 tracks and 1 upload body: " << out;
    EXPECT_FALSE(fs::exists(temp / "body-0123456789ab.part"));
    EXPECT_TRUE(fs::exists(temp / "someone-elses-folder" / "notes.txt"));
    EXPECT_TRUE(fs::exists(temp / "someone-elses-file.txt"));
    EXPECT_TRUE(fs::exists(temp / "body-notes.txt"));
    EXPECT_EQ(files_in(dir.str() + "/storage/audio/tracks"), 0u);
}

TEST(commands, db_seed_refuses_room_names_the_api_refuses)
{
    shared_data dir;
    const std::pair<std::string, std::string> cases[] = {
        {"bad\xff\xfe", "--room is not valid UTF-8"},
        {"   ", "--room must not be empty"},
        {std::string(101, 'r'), "--room must not be longer than 100 characters"},
        {"two\nlines", "--room must not contain control characters"},
    };
    for (const auto& [room, message] : cases) {
        std::string out;
        EXPECT_EQ(run_command({"db", "seed", "--room", room, "--count", "1"}, dir.env(), out, dir.str()), 2) << out;
        EXPECT_NE(out.find(message), std::string::npos) << out;
    }
    EXPECT_EQ(files_in(dir.str() + "/storage/audio/tracks"), 0u) << "nothing was seeded";
}

TEST(commands, a_database_url_libpq_cannot_read_is_a_configuration_error_that_hides_it)
{
    // libpq's own complaint quotes the whole URL, password included.
    shared_data dir;
    const std::map<std::string, std::string> env{{"DATABASE_URL", "postgres://sp:MyS3cretPw@[db/spotik"},
                                                 {"DB_CONNECT_TIMEOUT", "60"}};
    for (const char* command : {"migrate", "serve"}) {
        std::string out;
        const auto started = std::chrono::steady_clock::now();
        EXPECT_EQ(run_command({command}, env, out, dir.str()), 1) << out;
        EXPECT_LT(std::chrono::steady_clock::now() - started, 30s) << "a malformed URL is not waited out: " << out;
        EXPECT_NE(out.find("configuration error: DATABASE_URL:"), std::string::npos) << out;
        EXPECT_EQ(out.find("MyS3cretPw"), std::string::npos) << out;
    }
}

TEST(commands, usage_errors_exit_2_with_the_usage)
{
    std::string out;
    EXPECT_EQ(run_command({"db", "seed", "--room", "x"}, {}, out), 2);
    EXPECT_NE(out.find("db seed needs --count N"), std::string::npos) << out;
    EXPECT_NE(out.find("Usage: spotik"), std::string::npos) << out;
    EXPECT_EQ(run_command({"--help"}, {}, out), 0);
    for (const char* text : {"healthcheck", "db seed --room NAME-OR-ID --count N", "db reset", "migrate", "JWT_SECRET"})
        EXPECT_NE(out.find(text), std::string::npos) << text;
}

}  // namespace
}  // namespace spotik::test
