// The fixture of the configuration loading tests (load_test.cpp, load_secrets_test.cpp): a
// temporary DATA_PATH per test, and helpers to look for a message among errors or warnings.
#pragma once
#include "config/load.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace spotik::config {

// What `openssl rand -hex 16` prints: what production accepts.
inline const std::string k_strong_secret = "9c1f4e7a2b8d3065e1f7a9c3b5d80246";

inline bool mentions(const std::vector<std::string>& messages, std::string_view needle)
{
    for (const auto& m : messages)
        if (m.find(needle) != std::string::npos) return true;
    return false;
}

inline std::string joined(const std::vector<std::string>& messages)
{
    std::string out;
    for (const auto& m : messages) out += m + "\n";
    return out;
}

class config_load : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "spotik-config-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override
    {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    // Loads with DATA_PATH in the test's directory unless env sets it.
    load_result load(env_map env, const env_map& dotenv = {}) const
    {
        env.emplace("DATA_PATH", dir_);
        return load_config(env, dotenv);
    }
    std::string make_file(const std::string& name) const
    {
        const std::string path = dir_ + "/" + name;
        std::ofstream(path) << "x";
        return path;
    }
    std::string dir_;
};

}  // namespace spotik::config
