// Small helpers shared by the integration tests: unique names, a registered user with a token,
// a created room, fixture paths. Each throws std::runtime_error (quoting the server's response)
// when the server does not answer as the contract says.
#pragma once
#include "support/http_client.hpp"

#include <string>

namespace spotik::test {

// prefix + "_" + a per-process counter + "_" + 6 random lower-case letters or digits.
std::string unique_name(std::string prefix);

struct registered_user {
    std::string id;
    std::string username;
    std::string email;
    std::string password;
    std::string token;
};

// POST /api/auth/register with a unique username and email (<username>@example.com);
// expects 201 {"data":{"user":{"id",...},"token":...}}.
registered_user register_user(http_client& client, std::string prefix = "user");

// POST /api/rooms {"name"}; expects 201 and returns data.id.
std::string create_room(http_client& client, const std::string& token, std::string name);

// Absolute path of a file in tests/fixtures (SPOTIK_FIXTURES); throws if it does not exist.
std::string fixture_path(std::string name);

}  // namespace spotik::test
