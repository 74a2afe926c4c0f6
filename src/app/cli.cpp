// Parsing of the spotik command line (see cli.hpp and usage_text()).
#include "app/cli.hpp"

#include "api/common.hpp"
#include "util/utf8.hpp"

#include <charconv>
#include <optional>

namespace spotik::app {
namespace {

std::optional<int> whole(std::string_view text, int lo, int hi)
{
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < lo || value > hi) return std::nullopt;
    return value;
}

using outcome = std::variant<command, std::string>;

// The rules POST /api/rooms applies to a name (api/rooms_api.cpp), with the same helpers:
// trimmed, valid UTF-8 (the JSON parser refuses anything else), 1-100 characters, no control
// characters. A room the API could not have created is not created here either.
std::optional<std::string> room_name_problem(const std::string& name)
{
    if (!util::is_valid_utf8(name)) return std::string("--room is not valid UTF-8");
    if (name.empty()) return std::string("--room must not be empty");
    if (api::utf8_length(name) > api::k_room_name_max_chars)
        return "--room must not be longer than " + std::to_string(api::k_room_name_max_chars) + " characters";
    if (api::has_control_chars(name)) return std::string("--room must not contain control characters or line breaks");
    return std::nullopt;
}

// Options of `healthcheck`.
outcome parse_healthcheck(const std::vector<std::string_view>& rest)
{
    command c{.kind = command_kind::healthcheck};
    for (std::size_t i = 0; i < rest.size(); ++i) {
        const auto opt = rest[i];
        if (opt == "--live") {
            c.probe_path = "/live";
        } else if (opt == "--ready") {
            c.probe_path = "/ready";
        } else if (opt == "--url" || opt == "--timeout") {
            if (i + 1 == rest.size()) return std::string(opt) + " needs a value";
            const auto value = rest[++i];
            if (opt == "--url") {
                if (!value.starts_with("http://")) return std::string("--url must start with http://");
                c.url = value;
            } else if (auto t = whole(value, 1, 300)) {
                c.timeout_s = *t;
            } else {
                return std::string("--timeout must be a whole number of seconds from 1 to 300");
            }
        } else {
            return "unknown healthcheck option '" + std::string(opt) + "'";
        }
    }
    return c;
}

// Options of `db seed`.
outcome parse_seed(const std::vector<std::string_view>& rest)
{
    command c{.kind = command_kind::db_seed};
    bool has_count = false;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        const auto opt = rest[i];
        if (opt != "--room" && opt != "--count") return "unknown db seed option '" + std::string(opt) + "'";
        if (i + 1 == rest.size()) return std::string(opt) + " needs a value";
        const auto value = rest[++i];
        if (opt == "--room") {
            c.room = api::trim(value);
            if (auto problem = room_name_problem(c.room)) return *problem;
        } else if (auto n = whole(value, 1, 1000)) {
            c.count = *n;
            has_count = true;
        } else {
            return std::string("--count must be a whole number from 1 to 1000");
        }
    }
    if (c.room.empty()) return std::string("db seed needs --room NAME-OR-ID");
    if (!has_count) return std::string("db seed needs --count N");
    return c;
}

}  // namespace

std::variant<command, std::string> parse_command_line(const std::vector<std::string_view>& args)
{
    if (args.empty()) return command{};
    const auto first = args.front();
    const std::vector<std::string_view> rest(args.begin() + 1, args.end());
    if (first == "--help" || first == "-h" || first == "help") return command{.kind = command_kind::help};
    if (first == "--version" || first == "-v") return command{.kind = command_kind::version};
    const auto no_options = [&](command_kind kind) -> outcome {
        if (!rest.empty()) return "unexpected argument '" + std::string(rest.front()) + "'";
        return command{.kind = kind};
    };
    if (first == "serve") return no_options(command_kind::serve);
    if (first == "migrate") return no_options(command_kind::migrate);
    if (first == "healthcheck") return parse_healthcheck(rest);
    if (first == "db") {
        if (rest.empty()) return std::string("db needs a subcommand: reset or seed");
        const std::vector<std::string_view> tail(rest.begin() + 1, rest.end());
        if (rest.front() == "reset") {
            if (!tail.empty()) return "unexpected argument '" + std::string(tail.front()) + "'";
            return command{.kind = command_kind::db_reset};
        }
        if (rest.front() == "seed") return parse_seed(tail);
        return "unknown db subcommand '" + std::string(rest.front()) + "'";
    }
    return "unknown command '" + std::string(first) + "'";
}

int usage_error_status(const std::vector<std::string_view>& args)
{
    return !args.empty() && args.front() == "healthcheck" ? 1 : 2;
}

std::string usage_text()
{
    return "Usage: spotik [COMMAND] [OPTIONS]\n"
           "\n"
           "  serve                      run the server (the default)\n"
           "  migrate                    apply pending database migrations and exit\n"
           "  healthcheck [--live|--ready] [--url URL] [--timeout S]\n"
           "                             GET /ready (or /live) of the server on SERVER_HOST:SERVER_PORT;\n"
           "                             exit 0 on 200, 1 otherwise (the container HEALTHCHECK)\n"
           "  db reset                   delete every user, room, track and vote, and the stored files\n"
           "                             (refused when APP_ENV=production)\n"
           "  db seed --room NAME-OR-ID --count N\n"
           "                             add N generated, playable WAV tracks to a room (created with\n"
           "                             that name when no room has this id or name)\n"
           "  --help                     print this text and exit\n"
           "  --version                  print the version and exit\n";
}

}  // namespace spotik::app
