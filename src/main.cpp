// The spotik binary: parses the command line, loads and validates the configuration, and
// runs the server. Exits 0 after a graceful shutdown, 1 on a start-up failure, 2 on bad usage.
#include "app/application.hpp"
#include "config/load.hpp"

#include <exception>
#include <iostream>
#include <string_view>

int main(int argc, char** argv)
{
    std::string_view command = argc > 1 ? argv[1] : "serve";
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << spotik::config::help_text();
        return 0;
    }
    if (command == "--version" || command == "-v") {
        std::cout << "spotik " << SPOTIK_VERSION << "\n";
        return 0;
    }
    if (command != "serve" || argc > 2) {
        std::cerr << "spotik: unknown command '" << command << "'\n\n" << spotik::config::help_text();
        return 2;
    }
    auto loaded = spotik::config::load_startup_config(".env");
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors) std::cerr << "spotik: configuration error: " << e << "\n";
        return 1;
    }
    try {
        spotik::app::application app{std::move(loaded.cfg), std::move(loaded.warnings)};
        return app.run();
    } catch (const std::exception& e) {
        std::cerr << "spotik: fatal: " << e.what() << "\n";
        return 1;
    }
}
