// Runs the server binary for one test on top of child_process: builds the hermetic environment,
// picks the port, waits for GET /live, retries when the port was taken meanwhile, and prints the
// server's output when the test failed. Start-up failures throw std::runtime_error carrying the
// server's output; the destructor never throws.
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef SPOTIK_BINARY
#error "SPOTIK_BINARY must be defined as the path of the server binary (a string literal)"
#endif

extern char** environ;

namespace spotik::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr auto start_timeout = 20s;
constexpr auto poll_interval = 20ms;
constexpr int port_retries = 3;
constexpr std::size_t output_quote = 20000;  // chars of server output quoted in errors

std::string random_alnum(std::size_t n)
{
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::random_device device;
    std::uniform_int_distribution<std::size_t> pick(0, sizeof(alphabet) - 2);
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += alphabet[pick(device)];
    return out;
}

// Variables that configure the server: never inherited from the developer's shell or CI.
bool inherited_config(std::string_view name)
{
    static constexpr std::string_view prefixes[] = {
        "SPOTIK_",       "APP_",           "DB_",          "JWT_",          "SERVER_",    "HTTP_",
        "LOG_",          "CORS_",          "DATA_PATH",    "BCRYPT_",       "REDIS_",     "WS_",
        "AUDIO_STORAGE", "PUBLIC_STORAGE", "TEMP_STORAGE", "MAX_FILE_SIZE", "RATE_LIMIT", "MAX_REQUESTS"};
    return std::any_of(std::begin(prefixes), std::end(prefixes),
                       [&](std::string_view p) { return name.starts_with(p); });
}

std::string read_from(const std::string& path, std::uintmax_t offset)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    in.seekg(static_cast<std::streamoff>(offset));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uintmax_t file_size_or_zero(const std::string& path)
{
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    return ec ? 0 : size;
}

bool mentions_address_in_use(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text.find("address already in use") != std::string::npos ||
           text.find("address in use") != std::string::npos || text.find("eaddrinuse") != std::string::npos;
}

std::string tail(const std::string& text)
{
    if (text.size() <= output_quote) return text;
    return "...(earlier output cut)...\n" + text.substr(text.size() - output_quote);
}

// A SERVER_PORT that is not a port (start-up tests feed the server bad values) maps to 0.
unsigned short parse_port(const std::string& text)
{
    if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos) return 0;
    const int port = std::stoi(text);
    if (port == 0) return 0;
    if (port <= 0 || port > 65535) throw std::runtime_error("server_process: bad SERVER_PORT " + text);
    return static_cast<unsigned short>(port);
}

std::atomic<int> output_sequence{0};

}  // namespace

server_process::server_process(server_options opts) : opts_(std::move(opts))
{
    if (opts_.binary.empty()) opts_.binary = SPOTIK_BINARY;
    if (::access(opts_.binary.c_str(), X_OK) != 0) {
        throw std::runtime_error("server_process: cannot execute " + opts_.binary);
    }
    owns_data_dir_ = opts_.data_dir.empty();
    data_dir_ = owns_data_dir_ ? make_temp_dir() : fs::absolute(opts_.data_dir).string();
    fs::create_directories(data_dir_);
    // Named per test process and instance, so servers sharing a data dir never share a log.
    const std::string log_name =
        "server-output-" + std::to_string(::getpid()) + "-" + std::to_string(++output_sequence) + ".log";
    output_path_ = (fs::path(data_dir_) / log_name).string();
    env_ = {{"APP_ENV", "test"},  {"SERVER_HOST", "127.0.0.1"},     {"DATA_PATH", data_dir_},
            {"BCRYPT_COST", "4"}, {"JWT_SECRET", random_alnum(48)}, {"LOG_LEVEL", "info"}};
    if (testing_on_postgres() && !opts_.env.contains("DB_DRIVER") && !opts_.env.contains("DATABASE_URL")) {
        database_ = std::make_unique<postgres_database>(shared_postgres());
        for (const auto& [name, value] : database_->server_env()) env_[name] = value;
        // The SQLite run has as many io threads as cores (each connection on a strand); this
        // one has a single io thread, which serves connections without strands.
        env_["SERVER_THREADS"] = "1";
    }
    for (const auto& [name, value] : opts_.env) env_[name] = value;
    fixed_port_ = opts_.env.contains("SERVER_PORT");
    try {
        port_ = fixed_port_ ? parse_port(env_["SERVER_PORT"]) : pick_free_port();
        start();
    } catch (...) {
        if (owns_data_dir_ && !opts_.keep_data_dir) {
            std::error_code ec;
            fs::remove_all(data_dir_, ec);
        }
        throw;
    }
}

// Secrets and private details the server must never print (issue: hardening, item 6), in the
// form "what: the line that holds it". Literal values are those the harness handed the server;
// patterns catch tokens and password hashes of any user.
std::vector<std::string> server_output_leaks(const std::string& output, const std::map<std::string, std::string>& env,
                                             const std::string& data_dir)
{
    std::vector<std::pair<std::string, std::string>> literals{{"the data folder's path", data_dir},
                                                              {"a test user's password", "Test-password-"}};
    for (const char* name : {"JWT_SECRET", "DB_PASSWORD", "REDIS_PASSWORD"}) {
        auto it = env.find(name);
        if (it != env.end() && it->second.size() >= 6) literals.emplace_back(name, it->second);
    }
    static const std::regex jwt{R"(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})"};
    static const std::regex bcrypt{R"(\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53})"};
    std::vector<std::string> found;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        for (const auto& [what, value] : literals)
            if (!value.empty() && line.find(value) != std::string::npos) found.push_back(what + ": " + line);
        // (std::regex is slow in a debug build: only lines with the telltale prefix are searched.)
        if (line.find("eyJ") != std::string::npos && std::regex_search(line, jwt)) found.push_back("a token: " + line);
        if (line.find("$2") != std::string::npos && std::regex_search(line, bcrypt))
            found.push_back("a password hash: " + line);
    }
    return found;
}

server_process::~server_process()
{
    try {
        if (running()) stop();
        for (const auto& leak : server_output_leaks(output(), env_, data_dir_))
            ADD_FAILURE() << "the server printed " << leak.substr(0, 600);
        if (::testing::Test::HasFailure()) {
            std::cerr << "---- server output (" << output_path_ << ") ----\n"
                      << tail(output()) << "\n---- end of server output ----\n";
        }
    } catch (...) {
        // A destructor must not throw; the test has already failed or is ending.
    }
    if (owns_data_dir_ && !opts_.keep_data_dir) {
        std::error_code ec;
        fs::remove_all(data_dir_, ec);
    }
}

void server_process::start()
{
    for (int attempt = 0;; ++attempt) {
        if (spawn_and_wait(!fixed_port_ && attempt < port_retries)) return;
        port_ = pick_free_port();
    }
}

// Spawns the server and waits for GET /live == 200. Returns false when it exited because its
// port was taken meanwhile and `retry_allowed`; throws on any other failure.
bool server_process::spawn_and_wait(bool retry_allowed)
{
    const auto offset = file_size_or_zero(output_path_);
    // A fixed SERVER_PORT that is not a number is passed through untouched (start-up tests).
    if (!fixed_port_ || port_ != 0) env_["SERVER_PORT"] = std::to_string(port_);
    child_ = child_process(child_spec{opts_.binary, opts_.args, child_environment(), data_dir_, output_path_});
    if (!opts_.wait_until_live) return true;
    const auto deadline = clock_type::now() + start_timeout;
    http_client probe("127.0.0.1", port_);
    probe.set_timeout(1s);
    for (;;) {
        if (!running()) {
            const std::string out = read_from(output_path_, offset);
            if (retry_allowed && mentions_address_in_use(out)) return false;
            throw std::runtime_error("server_process: " + opts_.binary + " exited with status " +
                                     std::to_string(exit_status().value_or(-1)) + " during start-up. Output:\n" +
                                     tail(out));
        }
        try {
            if (probe.get("/live").status == 200) return true;
        } catch (const std::runtime_error&) {
            // Not listening yet.
        }
        if (clock_type::now() >= deadline) {
            kill9();
            throw std::runtime_error("server_process: GET /live did not answer 200 within 20 s on port " +
                                     std::to_string(port_) + ". Output:\n" + tail(read_from(output_path_, offset)));
        }
        std::this_thread::sleep_for(poll_interval);
    }
}

std::vector<std::string> server_process::child_environment() const
{
    std::vector<std::string> out;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view kv(*entry);
        const std::string_view name = kv.substr(0, kv.find('='));
        if (inherited_config(name) || env_.contains(std::string(name))) continue;
        out.emplace_back(kv);
    }
    for (const auto& [name, value] : env_) out.push_back(name + "=" + value);
    return out;
}

unsigned short server_process::port() const
{
    return port_;
}
std::string server_process::data_dir() const
{
    return data_dir_;
}
std::string server_process::base_url() const
{
    return "http://127.0.0.1:" + std::to_string(port_);
}
pid_t server_process::pid() const
{
    return child_.pid();
}
bool server_process::running()
{
    return child_.running();
}
std::optional<int> server_process::exit_status() const
{
    return child_.exit_status();
}
std::string server_process::output() const
{
    return read_from(output_path_, 0);
}
std::string server_process::output_path() const
{
    return output_path_;
}
http_client server_process::client() const
{
    return {"127.0.0.1", port_};
}

std::string server_process::env(const std::string& name) const
{
    const auto it = env_.find(name);
    return it == env_.end() ? std::string() : it->second;
}

std::optional<int> server_process::wait_exit(std::chrono::milliseconds timeout)
{
    return child_.wait_exit(timeout);
}

int server_process::stop(int signal, std::chrono::seconds wait)
{
    return child_.stop(signal, wait);
}

void server_process::kill9()
{
    child_.kill9();
}

void server_process::restart(std::map<std::string, std::string> extra_env)
{
    if (running()) stop();
    const bool new_port = extra_env.contains("SERVER_PORT");
    for (auto& [name, value] : extra_env) env_[name] = std::move(value);
    if (new_port) {
        fixed_port_ = true;
        port_ = parse_port(env_["SERVER_PORT"]);
    }
    start();
}

}  // namespace spotik::test
