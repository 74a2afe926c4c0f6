// Fuzz target: configuration parsing (config/load, config/variables, config/redis_endpoint,
// util/ip_range). Input: the text of a .env file. It goes through parse_dotenv, then through
// load_config with the process environment pinning every filesystem path into the scratch
// directory (the environment wins over .env), so validation never touches the real disk.
// Invariants: .env errors are "line N: ..." and never quote a value; no error or warning
// quotes a secret's value (because of the secret: the text goes when the secret changes);
// every value a variable accepts is printed back (get) as a value it accepts again, unchanged.
#include "config/load.hpp"
#include "config/variables.hpp"
#include "support.hpp"

#include <algorithm>

using namespace spotik;

namespace {

void check_round_trip(const config::variable& v, std::string_view text)
{
    config::config cfg;
    if (v.set(cfg, text)) return;  // refused: fine
    const std::string printed = v.get(cfg);
    config::config again;
    const auto problem = v.set(again, printed);
    fuzz::check(!problem, "a value printed by get() is refused by set()", std::string(v.name) + "=" + printed);
    fuzz::check(v.get(again) == printed, "set(get()) changes the value", std::string(v.name) + "=" + printed);
}

bool quotes(const std::vector<std::string>& messages, const std::string& value)
{
    for (const auto& m : messages)
        if (m.find(value) != std::string::npos) return true;
    return false;
}

// Whether a message holding value proves a leak. The fuzzer learns the messages' own words
// from the comparisons it watches, so only values with a byte no message text has (>= 0x80)
// count, and not those that are part of a name (messages name variables) or of another
// variable's value (bad plain values are quoted on purpose).
bool telling(const config::env_map& dotenv, const std::string& name, const std::string& value)
{
    if (value.size() < 8 || std::none_of(value.begin(), value.end(), [](char c) { return c & 0x80; })) return false;
    for (const auto& [k, v] : dotenv) {
        if (k.find(value) != std::string::npos) return false;
        if (k != name && v.find(value) != std::string::npos) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text = fuzz::as_text(data, size);
    std::vector<std::string> errors;
    const config::env_map dotenv = config::parse_dotenv(text, errors);
    for (const auto& e : errors) fuzz::check(e.starts_with("line "), "a .env error without its line", e);
    for (const auto& [key, value] : dotenv) {
        fuzz::check(!key.empty(), "an empty variable name");
        if (telling(dotenv, key, value)) fuzz::check(!quotes(errors, value), "a .env error quotes a value", value);
        if (const auto* v = config::find_variable(key)) check_round_trip(*v, value);
    }

    const std::string& dir = fuzz::scratch_dir();
    const config::env_map pinned{{"DATA_PATH", dir + "/data"},
                                 {"DB_PATH", dir + "/data/spotik.db"},
                                 {"AUDIO_STORAGE_PATH", dir + "/data/audio"},
                                 {"PUBLIC_STORAGE_PATH", dir + "/data/public"},
                                 {"TEMP_STORAGE_PATH", dir + "/data/temp"},
                                 {"LOG_FILE", ""}};
    const auto loaded = config::load_config(pinned, dotenv);
    for (const auto& v : config::variables()) {
        if (v.kind != config::sensitivity::secret) continue;
        const auto it = dotenv.find(std::string(v.name));
        if (it == dotenv.end() || !telling(dotenv, it->first, it->second)) continue;
        if (!quotes(loaded.errors, it->second) && !quotes(loaded.warnings, it->second)) continue;
        // A message holds the secret's value; it leaks only if it holds it because of the secret.
        // With another value in the secret's place the text must be gone (a value made of a
        // message's own words and the start of another variable's quoted value stays).
        auto replaced = dotenv;
        replaced[it->first] = std::string(it->second.size(), '\x02');
        const auto again = config::load_config(pinned, replaced);
        fuzz::check(quotes(again.errors, it->second) || quotes(again.warnings, it->second),
                    "a configuration message quotes a secret", v.name);
    }
    if (loaded.ok()) {
        // A configuration that loads is shown on /health/configuration without its secrets.
        for (const auto& [name, shown] : config::describe(loaded.cfg)) {
            const auto* v = config::find_variable(name);
            fuzz::check(v != nullptr, "describe() names an unknown variable", name);
            if (v->kind != config::sensitivity::plain)
                fuzz::check(shown == "(set)" || shown == "(not set)", "describe() shows a secret or a path", name);
        }
    }
    return 0;
}
