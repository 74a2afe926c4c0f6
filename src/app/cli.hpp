// The spotik command line: which subcommand to run and its options, parsed without side
// effects so it can be unit tested. Bad usage comes back as a message, never an exception.
#pragma once
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace spotik::app {

enum class command_kind { serve, migrate, healthcheck, db_reset, db_seed, help, version };

struct command {
    command_kind kind = command_kind::serve;
    // healthcheck
    std::string probe_path = "/ready";  // --live selects /live
    std::string url;                    // --url overrides http://<SERVER_HOST>:<SERVER_PORT><probe_path>
    int timeout_s = 5;
    // db seed
    std::string room;  // a room id, or a name (created when no room has it)
    int count = 0;
};

// args excludes the program name. An empty list means `serve`.
std::variant<command, std::string> parse_command_line(const std::vector<std::string_view>& args);

// The exit status for a command line parse_command_line refused: 2 (bad usage), except for
// `healthcheck`, whose every failure is 1 because Docker's HEALTHCHECK reserves 2.
int usage_error_status(const std::vector<std::string_view>& args);

// The usage lines printed by --help above the variables.
std::string usage_text();

}  // namespace spotik::app
