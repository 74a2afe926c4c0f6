// The spotik binary: parses the command line, loads and validates the configuration, and runs
// the subcommand (serve by default; see app/cli.hpp). Exits 0 on success (after a graceful
// shutdown for serve), 1 on a failure, 2 on bad usage (1 for healthcheck, which Docker reads).
#include "app/application.hpp"
#include "app/cli.hpp"
#include "app/healthcheck.hpp"
#include "app/maintenance.hpp"
#include "config/load.hpp"
#include "util/clock.hpp"

#include <csignal>
#include <exception>
#include <iostream>
#include <string_view>
#include <vector>

namespace {

std::string help()
{
    return spotik::app::usage_text() + "\n" + spotik::config::help_text();
}

int run(const spotik::app::command& cmd)
{
    using spotik::app::command_kind;
    auto loaded = spotik::config::load_startup_config(".env");
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors) std::cerr << "spotik: configuration error: " << e << "\n";
        return 1;
    }
    spotik::util::system_clock clock;
    switch (cmd.kind) {
        case command_kind::migrate:
            return spotik::app::run_migrate(loaded.cfg, std::cout);
        case command_kind::db_reset:
            return spotik::app::run_db_reset(loaded.cfg, std::cout, std::cerr);
        case command_kind::db_seed:
            return spotik::app::run_db_seed(loaded.cfg, clock, cmd.room, cmd.count, std::cout, std::cerr);
        default:
            break;
    }
    spotik::app::application app{std::move(loaded.cfg), std::move(loaded.warnings)};
    return app.run();
}

}  // namespace

int main(int argc, char** argv)
{
    // A peer that resets its connection turns the next write into EPIPE and SIGPIPE. Asio's
    // sends pass MSG_NOSIGNAL, but file bodies go out with sendfile(2) and hiredis sends without
    // it: left at its default, the signal would end the server whenever a client hangs up in the
    // middle of a download. Ignored, the write fails with EPIPE and only that connection closes.
    std::signal(SIGPIPE, SIG_IGN);
    using spotik::app::command_kind;
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    auto parsed = spotik::app::parse_command_line(args);
    if (const auto* problem = std::get_if<std::string>(&parsed)) {
        std::cerr << "spotik: " << *problem << "\n\n" << spotik::app::usage_text();
        return spotik::app::usage_error_status(args);
    }
    const auto& cmd = std::get<spotik::app::command>(parsed);
    if (cmd.kind == command_kind::help) {
        std::cout << help();
        return 0;
    }
    if (cmd.kind == command_kind::version) {
        std::cout << "spotik " << SPOTIK_VERSION << "\n";
        return 0;
    }
    try {
        // The probe must not validate (and create) directories the way start-up does.
        if (cmd.kind == command_kind::healthcheck) return spotik::app::run_healthcheck(cmd, std::cout, std::cerr);
        return run(cmd);
    } catch (const std::exception& e) {
        std::cerr << "spotik: fatal: " << e.what() << "\n";
        return 1;
    }
}
