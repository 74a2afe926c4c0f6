// Start-up configuration: merging the environment over .env (parsed in dotenv.cpp), validation
// (including real directory write tests), --help and the redacted view for health checks.
// Problems are returned as messages; only std::bad_alloc can escape.
#include "config/load.hpp"

#include "config/variables.hpp"
#include "util/file_claim.hpp"
#include "util/ids.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bitset>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <system_error>

namespace spotik::config {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string_view text)
{
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string errno_text(int code)
{
    return std::generic_category().message(code);
}

// Blank, or built from fewer than 8 different bytes (40 spaces, 32 times 'x'): long enough,
// but guessable. A random hex secret of 32+ characters has about 16.
bool weak_variety(const std::string& secret)
{
    constexpr std::size_t k_min_distinct = 8;
    if (secret.find_first_not_of(" \t\r\n\f\v") == std::string::npos) return true;
    std::bitset<256> seen;
    for (const char c : secret) seen.set(static_cast<unsigned char>(c));
    return seen.count() < k_min_distinct;
}

void check_secret(const config& cfg, std::vector<std::string>& errors, std::vector<std::string>& warnings)
{
    static constexpr std::string_view k_placeholders[] = {"change", "changeme", "your_jwt_secret", "placeholder",
                                                          "example"};
    const std::string& secret = cfg.auth.jwt_secret;
    const std::string folded = lower(secret);
    const bool placeholder = std::any_of(std::begin(k_placeholders), std::end(k_placeholders),
                                         [&](std::string_view p) { return folded.find(p) != std::string::npos; });
    auto& sink = cfg.production() ? errors : warnings;
    if (secret.empty()) {
        if (cfg.production()) errors.emplace_back("JWT_SECRET: must be set in production");
    } else if (secret.size() < 32) {
        sink.emplace_back(std::string("JWT_SECRET: shorter than 32 bytes") +
                          (cfg.production() ? "; production needs at least 32" : ""));
    }
    if (!secret.empty() && placeholder)
        sink.emplace_back("JWT_SECRET: looks like a placeholder; generate one with `openssl rand -hex 32`");
    if (cfg.production() && !secret.empty() && weak_variety(secret))
        errors.emplace_back(
            "JWT_SECRET: too predictable (blank, or fewer than 8 different characters); production needs a "
            "random one: `openssl rand -hex 32`");
}

// Credentials that other services use and Spotik receives as plain variables (some read by
// drivers this table does not own): in production none may still be a template placeholder.
// The process environment wins over the .env file; nullptr when neither sets `name`.
const std::string* lookup(const env_map& env, const env_map& dotenv, const std::string& name)
{
    if (auto it = env.find(name); it != env.end()) return &it->second;
    if (auto it = dotenv.find(name); it != dotenv.end()) return &it->second;
    return nullptr;
}

void check_placeholder_credentials(const env_map& env, const env_map& dotenv, bool production,
                                   std::vector<std::string>& errors)
{
    if (!production) return;
    static constexpr std::string_view k_markers[] = {"change_me",  "changeme",      "change-me",  "placeholder",
                                                     "replace_me", "your_password", "your_secret"};
    for (const char* name : {"DATABASE_URL", "DB_PASSWORD", "REDIS_URL", "REDIS_PASSWORD"}) {
        const std::string* value = lookup(env, dotenv, name);
        if (value == nullptr) continue;
        const std::string folded = lower(*value);
        if (std::any_of(std::begin(k_markers), std::end(k_markers),
                        [&](std::string_view m) { return folded.find(m) != std::string::npos; }))
            errors.push_back(std::string(name) +
                             ": holds a placeholder password; set a real one (for example "
                             "`openssl rand -hex 24`) before starting in production");
    }
}

// Problems with the directory that will hold file_path (created if missing).
std::optional<std::string> check_parent_dir(const std::string& file_path)
{
    std::error_code ec;
    if (fs::is_directory(file_path, ec)) return "\"" + file_path + "\" is a directory, expected a file";
    const fs::path parent = fs::path(file_path).parent_path();
    return check_writable_dir(parent.empty() ? std::string(".") : parent.string());
}

void check_paths(const config& cfg, std::vector<std::string>& errors, std::vector<std::string>& warnings)
{
    const std::pair<std::string_view, const std::string*> dirs[] = {
        {"DATA_PATH", &cfg.app.data_path},
        {"AUDIO_STORAGE_PATH", &cfg.storage.audio_path},
        {"PUBLIC_STORAGE_PATH", &cfg.storage.public_path},
        {"TEMP_STORAGE_PATH", &cfg.storage.temp_path},
    };
    for (const auto& [name, path] : dirs)
        if (auto problem = check_writable_dir(*path)) errors.push_back(std::string(name) + ": " + *problem);
    if (cfg.database.driver == "sqlite" && cfg.database.sqlite_path != ":memory:")
        if (auto problem = check_parent_dir(cfg.database.sqlite_path)) errors.push_back("DB_PATH: " + *problem);
    if (!cfg.log.file.empty())
        if (auto problem = check_parent_dir(cfg.log.file)) errors.push_back("LOG_FILE: " + *problem);
    // Finished uploads are renamed from temp to audio, which fails across filesystems.
    struct stat temp_st {
    }, audio_st{};
    if (::stat(cfg.storage.temp_path.c_str(), &temp_st) == 0 &&
        ::stat(cfg.storage.audio_path.c_str(), &audio_st) == 0 && temp_st.st_dev != audio_st.st_dev)
        warnings.emplace_back(
            "TEMP_STORAGE_PATH: on another filesystem than AUDIO_STORAGE_PATH; finished uploads "
            "cannot be moved there by rename");
}

// Everything validate() checks except the filesystem.
void check_settings(const config& cfg, std::vector<std::string>& errors, std::vector<std::string>& warnings)
{
    check_secret(cfg, errors, warnings);
    const auto& auth = cfg.auth;
    if (auth.jwt_ttl_min <= 5)
        errors.emplace_back("JWT_TTL: must be more than 5 minutes (clients refresh 5 minutes early)");
    if (auth.jwt_refresh_ttl_min < auth.jwt_ttl_min)
        errors.push_back("JWT_REFRESH_TTL: must be at least JWT_TTL (" + std::to_string(auth.jwt_ttl_min) +
                         " minutes)");
    if (auth.jwt_blacklist_grace_s < 30)
        warnings.emplace_back(
            "JWT_BLACKLIST_GRACE_PERIOD: under 30 seconds; requests in flight during a token refresh "
            "may be rejected");
    if (cfg.production() && cfg.app.debug) warnings.emplace_back("APP_DEBUG: enabled in production");
    if (cfg.database.pool_min > cfg.database.pool_max)
        errors.push_back("DB_POOL_MIN: must not exceed DB_POOL_MAX (" + std::to_string(cfg.database.pool_max) + ")");
    // A socket idle for WS_ACTIVITY_TIMEOUT is closed at the next Ping: with no Ping sooner,
    // every quiet client would be dropped before it is ever asked for a Pong.
    if (cfg.websocket.ping_interval_s >= cfg.websocket.activity_timeout_s)
        errors.push_back("WS_PING_INTERVAL: must be less than WS_ACTIVITY_TIMEOUT (" +
                         std::to_string(cfg.websocket.activity_timeout_s) + " s)");
}

// The value a variable gets: the environment's, else the .env file's.
const std::string* given(const env_map& env, const env_map& dotenv, const std::string& name)
{
    if (const auto it = env.find(name); it != env.end()) return &it->second;
    if (const auto it = dotenv.find(name); it != dotenv.end()) return &it->second;
    return nullptr;
}

// DATABASE_URL alone selects PostgreSQL; an explicit DB_DRIVER=sqlite beside it is a mistake.
// Two names for one setting must not disagree.
void resolve_database(const env_map& env, const env_map& dotenv, config& cfg, std::vector<std::string>& errors)
{
    if (!cfg.database.url.empty()) {
        if (given(env, dotenv, "DB_DRIVER") == nullptr)
            cfg.database.driver = "postgres";
        else if (cfg.database.driver != "postgres")
            errors.emplace_back("DATABASE_URL: set while DB_DRIVER is sqlite; remove one of them");
    }
    for (const auto& [name, alias] : {std::pair{"DB_NAME", "DB_DATABASE"}, {"DB_USER", "DB_USERNAME"}}) {
        const auto* a = given(env, dotenv, name);
        const auto* b = given(env, dotenv, alias);
        if (a != nullptr && b != nullptr && *a != *b)
            errors.push_back(std::string(alias) + ": differs from " + name + "; set only one of them");
    }
}

}  // namespace

void fill_derived_defaults(config& cfg)
{
    const auto under = [&](const char* relative) { return (fs::path(cfg.app.data_path) / relative).string(); };
    if (cfg.database.sqlite_path.empty()) cfg.database.sqlite_path = under("spotik.db");
    if (cfg.storage.audio_path.empty()) cfg.storage.audio_path = under("storage/audio");
    if (cfg.storage.public_path.empty()) cfg.storage.public_path = under("storage/public");
    if (cfg.storage.temp_path.empty()) cfg.storage.temp_path = under("storage/temp");
}

load_result load_config(const env_map& env, const env_map& dotenv)
{
    load_result result;
    bool bad_path = false;
    for (const auto& v : variables()) {
        const std::string name(v.name);
        const std::string* value = lookup(env, dotenv, name);
        if (value == nullptr) continue;
        if (auto problem = v.set(result.cfg, *value)) {
            result.errors.push_back(name + ": " + *problem);
            bad_path = bad_path || v.kind == sensitivity::path;
        }
    }
    fill_derived_defaults(result.cfg);
    // Test suites drive one server from one address far beyond any client's rate.
    if (result.cfg.app.env == "test" && given(env, dotenv, "RATE_LIMITING_ENABLED") == nullptr)
        result.cfg.limits.enabled = false;
    resolve_database(env, dotenv, result.cfg, result.errors);
    check_settings(result.cfg, result.errors, result.warnings);
    check_placeholder_credentials(env, dotenv, result.cfg.production(), result.errors);
    // A rejected path leaves its default in place; do not create directories the operator did not ask for.
    if (!bad_path) check_paths(result.cfg, result.errors, result.warnings);
    return result;
}

load_result load_startup_config(const std::string& dotenv_path)
{
    std::vector<std::string> dotenv_errors;
    env_map dotenv;
    std::error_code ec;
    // Any entry by that name counts, a link to nothing included: a .env that is there but
    // cannot be read is an error, not a silent start on the defaults.
    if (fs::exists(fs::symlink_status(dotenv_path, ec))) {
        if (auto text = read_file(dotenv_path))
            dotenv = parse_dotenv(*text, dotenv_errors);
        else
            dotenv_errors.emplace_back("cannot be read");
    }
    load_result result = load_config(read_process_env(), dotenv);
    for (auto& e : dotenv_errors) e.insert(0, dotenv_path + ": ");
    result.errors.insert(result.errors.begin(), dotenv_errors.begin(), dotenv_errors.end());
    return result;
}

std::vector<std::string> validate(const config& cfg, std::vector<std::string>& warnings)
{
    std::vector<std::string> errors;
    check_settings(cfg, errors, warnings);
    check_paths(cfg, errors, warnings);
    return errors;
}

std::optional<std::string> check_writable_dir(const std::string& path)
{
    static std::atomic<unsigned> counter{0};
    if (path.empty()) return std::string("the path is empty");
    const std::string quoted = "\"" + path + "\"";
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) return "cannot create directory " + quoted + ": " + ec.message();
    if (!fs::is_directory(path, ec)) return quoted + " is not a directory";
    // Replicas in containers often share a pid (1) and the folder: the random part keeps their
    // probes apart.
    const std::string probe = (fs::path(path) / (".spotik-write-test-" + std::to_string(::getpid()) + "-" +
                                                 std::to_string(counter.fetch_add(1)) + "-" + util::random_hex(4)))
                                  .string();
    // Claimed while it exists, so that a start-up sweep (service/storage_sweep) elsewhere leaves
    // it alone, and removed when the claim ends.
    int failure = 0;
    try {
        auto claim = util::file_claim::create(probe);
        if (::write(claim.descriptor(), "x", 1) != 1) failure = errno != 0 ? errno : EIO;
        if (failure == 0) claim.remove();
    } catch (const std::system_error& e) {
        failure = e.code().value();
    }
    if (failure != 0) return "cannot write in " + quoted + ": " + errno_text(failure);
    return std::nullopt;
}

std::string help_text()
{
    std::string out =
        "Configuration comes from environment variables and from a .env file in the working\n"
        "directory; a variable set in the environment wins over the same name in .env.\n"
        "\n"
        "Environment variables:\n";
    for (const auto& v : variables()) {
        std::string name(v.name);
        name.resize(std::max<std::size_t>(name.size() + 1, 28), ' ');
        out += "  " + name + "default: " + default_text(v) + "\n      " + std::string(v.description) + "\n";
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> describe(const config& cfg)
{
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& v : variables()) {
        std::string value = v.get(cfg);
        // A plain value may still name a directory (DB_HOST as a unix socket directory).
        if (v.kind != sensitivity::plain || value.starts_with('/')) value = value.empty() ? "(not set)" : "(set)";
        out.emplace_back(std::string(v.name), std::move(value));
    }
    return out;
}

}  // namespace spotik::config
