// Loading Spotik's configuration at start-up: the process environment over an optional .env
// file, parsed through the variables table, derived defaults filled in, then validated (which
// creates the data and storage directories). Problems come back as messages, never as
// exceptions (only std::bad_alloc can escape); no message contains a secret's value.
#pragma once
#include "config/config.hpp"
#include "config/dotenv.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spotik::config {

struct load_result {
    config cfg;
    std::vector<std::string> errors;    // start-up must stop if any
    std::vector<std::string> warnings;  // worth logging, not fatal
    bool ok() const { return errors.empty(); }
};

// Parses every variable of the table from env (which wins) or dotenv, ignoring unknown names,
// fills the derived paths and runs validate(). Each error names its variable. In production
// it also refuses DATABASE_URL, DB_PASSWORD, REDIS_URL and REDIS_PASSWORD values that still
// hold a template placeholder (CHANGE_ME and the like).
load_result load_config(const env_map& env, const env_map& dotenv);

// The usual start-up path: read_process_env() over the file at dotenv_path if it exists; its
// syntax errors are reported as "<dotenv_path>: line N: ...".
load_result load_startup_config(const std::string& dotenv_path = ".env");

// Sets the unset database and storage paths to their places under app.data_path.
void fill_derived_defaults(config& cfg);

// Cross-field, security and filesystem checks on a config whose derived paths are filled.
// Returns the errors; appends to warnings. In production JWT_SECRET must be set, 32+ bytes,
// not a placeholder, not blank and made of at least 8 different characters.
std::vector<std::string> validate(const config& cfg, std::vector<std::string>& warnings);

// Creates path (and its parents) if missing and proves it writable by creating and removing a
// temporary file. Returns what went wrong, or nullopt.
std::optional<std::string> check_writable_dir(const std::string& path);

// Every variable with its default and description (spotik --help prints it after the usage).
std::string help_text();

// (variable, value) for every variable, for /health/configuration: secrets and filesystem
// paths are replaced by "(set)" or "(not set)".
std::vector<std::pair<std::string, std::string>> describe(const config& cfg);

}  // namespace spotik::config
