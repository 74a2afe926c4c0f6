// The two sources of Spotik's configuration before they are merged: the process environment and
// the text of a .env file.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spotik::config {

using env_map = std::map<std::string, std::string>;

// Every variable of the process environment (from environ).
env_map read_process_env();

// KEY=VALUE lines; '#' comments and blank lines skipped; optional "export "; values either
// '...' (literal), "..." (with \n \t \" \\ escapes) or unquoted (trimmed, a " # comment" cut).
// Malformed lines are skipped and reported in errors as "line N: ..." (never with the value).
env_map parse_dotenv(std::string_view text, std::vector<std::string>& errors);

// The whole file, or nullopt if it is not a regular file (followed through links) or cannot
// be opened.
std::optional<std::string> read_file(const std::string& path);

}  // namespace spotik::config
