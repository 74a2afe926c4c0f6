// The one table of every environment variable Spotik reads: its name, the default shown in
// --help, a one-line description, and the functions that parse a value into config and print it
// back. Parsing reports bad values as messages; nothing here throws except std::bad_alloc.
#pragma once
#include "config/config.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace spotik::config {

// How a value may be shown outside the process (help, /health/configuration).
enum class sensitivity {
    plain,   // shown as is
    path,    // a server filesystem path: never sent in a response
    secret,  // never shown, logged or echoed in an error message
};

struct variable {
    std::string_view name;
    // Default for --help when it is not simply the value in a default-constructed config
    // (derived paths, "0 = cores"); empty means "print get(config{})".
    std::string_view default_note;
    std::string_view description;
    sensitivity kind = sensitivity::plain;
    // Parses text into cfg. On a bad value returns the problem, without the variable name (the
    // caller adds it) and, for secrets, without the value; cfg is then left unchanged.
    std::optional<std::string> (*set)(config& cfg, std::string_view text) = nullptr;
    // The current value written as it would be in the environment.
    std::string (*get)(const config& cfg) = nullptr;
};

// Every variable, grouped by section (app, server, http, database, storage, auth, log).
std::span<const variable> variables();

// The entry called name, or nullptr.
const variable* find_variable(std::string_view name);

// The default --help shows for v.
std::string default_text(const variable& v);

}  // namespace spotik::config
