// Connection settings from the configuration: the DB_* keywords, DATABASE_URL overriding them
// (checked against the real test cluster), the settings Spotik always adds, and a unix socket
// directory kept out of error messages.
#include "storage/postgres/conninfo.hpp"
#include "storage/postgres/connection_pool.hpp"
#include "support/postgres_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace spotik::storage::pg {
namespace {

std::string value_of(const connect_settings& s, const std::string& key)
{
    const auto it = std::find_if(s.keywords.begin(), s.keywords.end(), [&](const auto& kv) { return kv.first == key; });
    return it == s.keywords.end() ? "(absent)" : it->second;
}

TEST(pg_conninfo, uses_the_db_variables_and_adds_what_spotik_needs)
{
    config::database_settings db;
    db.host = "db.internal";
    db.port = 6543;
    db.name = "app";
    db.user = "app_user";
    db.read_timeout_s = 7;
    const auto s = connect_settings_from(db);
    EXPECT_EQ(value_of(s, "host"), "db.internal");
    EXPECT_EQ(value_of(s, "port"), "6543");
    EXPECT_EQ(value_of(s, "dbname"), "app");
    EXPECT_EQ(value_of(s, "user"), "app_user");
    EXPECT_EQ(value_of(s, "password"), "(absent)");  // libpq may then use ~/.pgpass or PGPASSWORD
    EXPECT_EQ(value_of(s, "client_encoding"), "UTF8");
    EXPECT_NE(value_of(s, "options").find("statement_timeout=7000"), std::string::npos);
    EXPECT_EQ(s.read_timeout, std::chrono::seconds(7));
    EXPECT_TRUE(s.hidden.empty());

    db.host = "/run/spotik-postgres";
    db.password = "pw";
    const auto socket = connect_settings_from(db);
    EXPECT_EQ(value_of(socket, "password"), "pw");
    EXPECT_EQ(socket.hidden, (std::vector<std::string>{"/run/spotik-postgres", "pw"}));
}

TEST(pg_conninfo, the_url_and_its_password_are_hidden_longest_first)
{
    config::database_settings db;
    db.password = "Zq-db-password";
    db.url = "postgres://sp:Zq-url-pw@db/spotik";
    EXPECT_EQ(connect_settings_from(db).hidden, (std::vector<std::string>{db.url, db.password, "Zq-url-pw"}));
}

TEST(pg_conninfo, libpq_errors_never_show_the_url_or_its_password)
{
    // Configuration refuses this URL; should one reach libpq anyway, its complaint quotes it.
    config::database_settings db;
    db.url = "postgres://sp:MyS3cretPw@[db/spotik";
    try {
        connection conn(connect_settings_from(db), steady::now() + std::chrono::seconds(5));
        ADD_FAILURE() << "connected with a URL libpq cannot read";
    } catch (const store_unavailable& failure) {
        const std::string what = failure.what();
        EXPECT_EQ(what.find("MyS3cretPw"), std::string::npos) << what;
        EXPECT_NE(what.find("(hidden)"), std::string::npos) << what;
    }
    // A one-letter password that also occurs in "(hidden)" is masked without looping forever.
    db.url = "postgres://sp:d@[db/spotik";
    EXPECT_THROW(connection(connect_settings_from(db), steady::now() + std::chrono::seconds(5)), store_unavailable);
}

TEST(pg_conninfo, a_database_url_wins_over_the_db_variables)
{
    test::postgres_database target(test::shared_postgres());
    const auto& at = target.endpoint();
    config::database_settings db;
    db.host = "nowhere.invalid";  // would fail if the URL did not override it
    db.port = 1;
    db.name = "missing";
    db.url = "postgresql://" + at.user + ":" + at.password + "@127.0.0.1:" + std::to_string(at.port) + "/" +
             target.name() + "?application_name=ignored";
    const auto s = connect_settings_from(db);
    ASSERT_EQ(std::count_if(s.keywords.begin(), s.keywords.end(), [](const auto& kv) { return kv.first == "dbname"; }),
              1);
    connection conn(s, steady::now() + std::chrono::seconds(10));
    EXPECT_EQ(conn.query("SELECT current_database()").text(0, 0), target.name());
    // What Spotik needs comes after the URL and wins.
    EXPECT_EQ(conn.query("SELECT current_setting('application_name')").text(0, 0), "spotik");
    EXPECT_EQ(conn.target(), "127.0.0.1:" + std::to_string(at.port) + "/" + target.name());
}

TEST(pg_conninfo, connection_errors_hide_the_socket_directory)
{
    config::database_settings db;
    db.host = test::make_temp_dir("spotik-no-socket-");  // no server socket in there
    db.port = 5999;
    const auto s = connect_settings_from(db);
    try {
        connection conn(s, steady::now() + std::chrono::seconds(5));
        ADD_FAILURE() << "connected through a directory without a socket";
    } catch (const store_unavailable& failure) {
        EXPECT_EQ(std::string(failure.what()).find(db.host), std::string::npos) << failure.what();
        EXPECT_NE(std::string(failure.what()).find("(hidden)"), std::string::npos) << failure.what();
    }
    std::filesystem::remove(db.host);
}

}  // namespace
}  // namespace spotik::storage::pg
