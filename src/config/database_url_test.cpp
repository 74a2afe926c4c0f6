// Unit tests of the texts of a DATABASE_URL that libpq's messages must never show.
#include "config/database_url.hpp"

#include <gtest/gtest.h>

namespace spotik::config {
namespace {

using texts = std::vector<std::string>;

TEST(database_url, its_secrets_are_the_url_and_the_password_as_written_and_decoded)
{
    EXPECT_EQ(database_url_secrets("postgres://sp:p%40ss-Zq@db:5432/spotik"),
              (texts{"postgres://sp:p%40ss-Zq@db:5432/spotik", "p%40ss-Zq", "p@ss-Zq"}));
    // A password given as a parameter counts too.
    EXPECT_EQ(database_url_secrets("postgres://sp@db/spotik?password=Zq-param"),
              (texts{"postgres://sp@db/spotik?password=Zq-param", "Zq-param"}));
    EXPECT_EQ(database_url_secrets("postgres://db/spotik"), texts{"postgres://db/spotik"});
    EXPECT_EQ(database_url_secrets(""), texts{});
    // Even a URL libpq cannot read gives its password as written.
    EXPECT_EQ(database_url_secrets("postgres://sp:MyS3cretPw@[db/spotik"),
              (texts{"postgres://sp:MyS3cretPw@[db/spotik", "MyS3cretPw"}));
}

TEST(database_url, normalizing_lowers_the_scheme_only)
{
    std::string url = "PostgreSQL://Sp:Pw@Db/Spotik";
    EXPECT_EQ(normalize_database_url(url), std::nullopt);
    EXPECT_EQ(url, "postgresql://Sp:Pw@Db/Spotik");
    std::string other = "postgre://sp:pw@db/spotik";
    EXPECT_NE(normalize_database_url(other), std::nullopt);
}

}  // namespace
}  // namespace spotik::config
