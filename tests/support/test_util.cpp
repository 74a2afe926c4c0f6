// Helpers for the integration tests; see test_util.hpp. Each checks the status and shape of
// the server's answer and throws std::runtime_error with the status and body when they differ.
#include "support/test_util.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <filesystem>
#include <random>
#include <stdexcept>

#ifndef SPOTIK_FIXTURES
// Fallback for builds that do not pass the fixtures directory: tests/fixtures beside this file.
#define SPOTIK_FIXTURES ""
#endif

namespace spotik::test {
namespace {

std::string describe(const http_response& response) {
    return "status " + std::to_string(response.status) + ", body: " + response.body;
}

// A JSON id as text: the contract uses UUID strings, but accept numbers too.
std::string id_text(const boost::json::value& id) {
    if (id.is_string()) return std::string(id.get_string());
    if (id.is_int64()) return std::to_string(id.get_int64());
    if (id.is_uint64()) return std::to_string(id.get_uint64());
    throw std::runtime_error("id is neither a string nor an integer: " + boost::json::serialize(id));
}

const boost::json::value& at_path(const boost::json::value& root, std::initializer_list<const char*> keys,
                                  const http_response& response) {
    const boost::json::value* node = &root;
    std::string path;
    for (const char* key : keys) {
        path += std::string(path.empty() ? "" : ".") + key;
        const auto* object = node->if_object();
        node = object == nullptr ? nullptr : object->if_contains(key);
        if (node == nullptr) throw std::runtime_error("response has no " + path + ": " + describe(response));
    }
    return *node;
}

}  // namespace

std::string unique_name(std::string prefix) {
    static std::atomic<int> counter{0};
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device device;
    std::uniform_int_distribution<std::size_t> pick(0, sizeof(alphabet) - 2);
    std::string name = std::move(prefix) + "_" + std::to_string(++counter) + "_";
    for (int i = 0; i < 6; ++i) name += alphabet[pick(device)];
    return name;
}

registered_user register_user(http_client& client, std::string prefix) {
    registered_user user;
    user.username = unique_name(std::move(prefix));
    user.email = user.username + "@example.com";
    user.password = "Test-password-" + unique_name("pw");
    const auto response = client.post_json("/api/auth/register", {{"username", user.username},
                                                                   {"email", user.email},
                                                                   {"password", user.password},
                                                                   {"password_confirmation", user.password}});
    if (response.status != 201) throw std::runtime_error("register_user: expected 201, got " + describe(response));
    const auto json = response.json();
    user.id = id_text(at_path(json, {"data", "user", "id"}, response));
    const auto& token = at_path(json, {"data", "token"}, response);
    if (!token.is_string()) throw std::runtime_error("register_user: data.token is not a string: " + describe(response));
    user.token = std::string(token.get_string());
    return user;
}

std::string create_room(http_client& client, const std::string& token, std::string name) {
    const auto response = client.post_json("/api/rooms", {{"name", std::move(name)}}, token);
    if (response.status != 201) throw std::runtime_error("create_room: expected 201, got " + describe(response));
    return id_text(at_path(response.json(), {"data", "id"}, response));
}

std::string fixture_path(std::string name) {
    namespace fs = std::filesystem;
    const fs::path dir = std::string_view(SPOTIK_FIXTURES).empty()
                             ? fs::path(__FILE__).parent_path().parent_path() / "fixtures"
                             : fs::path(SPOTIK_FIXTURES);
    const fs::path path = dir / name;
    if (!fs::exists(path)) throw std::runtime_error("fixture_path: no such fixture: " + path.string());
    return path.string();
}

}  // namespace spotik::test
