// Starts, watches and stops the server binary with fork/exec: the child's stdout and stderr go
// to a file in its data dir (no pipe to fill up), it dies with the test process
// (PR_SET_PDEATHSIG), and inherits no descriptors. Start-up failures throw std::runtime_error
// carrying the server's output; the destructor never throws.
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
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

std::string random_alnum(std::size_t n) {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::random_device device;
    std::uniform_int_distribution<std::size_t> pick(0, sizeof(alphabet) - 2);
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += alphabet[pick(device)];
    return out;
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

unsigned short pick_free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(errno_text("server_process: socket"));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    const std::string error = ok ? std::string() : errno_text("server_process: bind 127.0.0.1:0");
    ::close(fd);
    if (!ok) throw std::runtime_error(error);
    return ntohs(addr.sin_port);
}

std::string make_temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "spotik-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error(errno_text("server_process: mkdtemp"));
    return pattern;
}

// Variables that configure the server: never inherited from the developer's shell or CI.
bool inherited_config(std::string_view name) {
    static constexpr std::string_view prefixes[] = {
        "SPOTIK_", "APP_",  "DB_",   "JWT_",  "SERVER_",        "HTTP_",          "LOG_",
        "CORS_",   "DATA_PATH", "BCRYPT_", "REDIS_", "WS_", "AUDIO_STORAGE", "PUBLIC_STORAGE",
        "TEMP_STORAGE", "MAX_FILE_SIZE", "RATE_LIMIT", "MAX_REQUESTS"};
    return std::any_of(std::begin(prefixes), std::end(prefixes),
                       [&](std::string_view p) { return name.starts_with(p); });
}

int decode_status(int wstatus) {
    if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
    return -1;
}

std::string read_from(const std::string& path, std::uintmax_t offset) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    in.seekg(static_cast<std::streamoff>(offset));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uintmax_t file_size_or_zero(const std::string& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    return ec ? 0 : size;
}

bool mentions_address_in_use(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text.find("address already in use") != std::string::npos ||
           text.find("address in use") != std::string::npos || text.find("eaddrinuse") != std::string::npos;
}

std::string tail(const std::string& text) {
    if (text.size() <= output_quote) return text;
    return "...(earlier output cut)...\n" + text.substr(text.size() - output_quote);
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(pid_t parent, int null_fd, int out_fd, const char* dir, const char* path,
                             char* const* argv, char* const* envp, const std::string& failure, int max_fd) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) ::signal(sig, SIG_DFL);
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    if (::close_range(3, ~0U, 0) != 0) {
        for (int fd = 3; fd < max_fd; ++fd) ::close(fd);
    }
    if (::chdir(dir) == 0) ::execve(path, argv, envp);
    const ssize_t written = ::write(2, failure.data(), failure.size());
    static_cast<void>(written);
    ::_exit(127);
}

std::atomic<int> output_sequence{0};

}  // namespace

server_process::server_process(server_options opts) : opts_(std::move(opts)) {
    if (opts_.binary.empty()) opts_.binary = SPOTIK_BINARY;
    if (::access(opts_.binary.c_str(), X_OK) != 0) {
        throw std::runtime_error(errno_text("server_process: cannot execute " + opts_.binary));
    }
    owns_data_dir_ = opts_.data_dir.empty();
    data_dir_ = owns_data_dir_ ? make_temp_dir() : fs::absolute(opts_.data_dir).string();
    fs::create_directories(data_dir_);
    output_path_ = (fs::path(data_dir_) / ("server-output-" + std::to_string(::getpid()) + "-" +
                                           std::to_string(++output_sequence) + ".log"))
                       .string();
    env_ = {{"APP_ENV", "test"},          {"SERVER_HOST", "127.0.0.1"},
            {"DATA_PATH", data_dir_},     {"JWT_SECRET", random_alnum(48)},
            {"BCRYPT_COST", "4"},         {"LOG_LEVEL", "info"}};
    for (const auto& [name, value] : opts_.env) env_[name] = value;
    fixed_port_ = opts_.env.contains("SERVER_PORT");
    port_ = fixed_port_ ? static_cast<unsigned short>(std::stoi(env_["SERVER_PORT"])) : pick_free_port();
    try {
        start();
    } catch (...) {
        if (owns_data_dir_ && !opts_.keep_data_dir) {
            std::error_code ec;
            fs::remove_all(data_dir_, ec);
        }
        throw;
    }
}

server_process::~server_process() {
    try {
        if (running()) stop();
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

void server_process::start() {
    for (int attempt = 0;; ++attempt) {
        if (spawn_and_wait(!fixed_port_ && attempt < port_retries)) return;
        port_ = pick_free_port();
    }
}

// Spawns the server and waits for GET /live == 200. Returns false when it exited because its
// port was taken meanwhile and `retry_allowed`; throws on any other failure.
bool server_process::spawn_and_wait(bool retry_allowed) {
    const auto offset = file_size_or_zero(output_path_);
    env_["SERVER_PORT"] = std::to_string(port_);
    spawn();
    if (!opts_.wait_until_live) return true;
    const auto deadline = clock_type::now() + start_timeout;
    http_client probe("127.0.0.1", port_);
    probe.set_timeout(1s);
    for (;;) {
        if (!running()) {
            const std::string out = read_from(output_path_, offset);
            if (retry_allowed && mentions_address_in_use(out)) return false;
            throw std::runtime_error("server_process: " + opts_.binary + " exited with status " +
                                     std::to_string(exit_status_.value_or(-1)) +
                                     " during start-up. Output:\n" + tail(out));
        }
        try {
            if (probe.get("/live").status == 200) return true;
        } catch (const std::runtime_error&) {
            // Not listening yet.
        }
        if (clock_type::now() >= deadline) {
            kill9();
            throw std::runtime_error("server_process: GET /live did not answer 200 within 20 s on port " +
                                     std::to_string(port_) + ". Output:\n" +
                                     tail(read_from(output_path_, offset)));
        }
        std::this_thread::sleep_for(poll_interval);
    }
}

void server_process::spawn() {
    std::vector<std::string> args{opts_.binary};
    args.insert(args.end(), opts_.args.begin(), opts_.args.end());
    std::vector<std::string> env = child_environment();
    const auto argv = c_strings(args);
    const auto envp = c_strings(env);
    const std::string failure = "server_process: cannot start " + opts_.binary + " in " + data_dir_ + "\n";
    rlimit files{};
    const int max_fd = ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 65536
                           ? static_cast<int>(files.rlim_cur)
                           : 65536;
    const int out_fd = ::open(output_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0) throw std::runtime_error(errno_text("server_process: open " + output_path_));
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = ::getpid();
    const pid_t child = null_fd < 0 ? -1 : ::fork();
    if (child == 0) {
        exec_child(parent, null_fd, out_fd, data_dir_.c_str(), opts_.binary.c_str(), argv.data(),
                   envp.data(), failure, max_fd);
    }
    const std::string error = child < 0 ? errno_text("server_process: fork") : std::string();
    ::close(out_fd);
    if (null_fd >= 0) ::close(null_fd);
    if (child < 0) throw std::runtime_error(error);
    pid_ = child;
    exit_status_.reset();
}

std::vector<std::string> server_process::child_environment() const {
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

void server_process::reap(int status) { exit_status_ = decode_status(status); }

unsigned short server_process::port() const { return port_; }
std::string server_process::data_dir() const { return data_dir_; }
std::string server_process::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
pid_t server_process::pid() const { return pid_; }
std::optional<int> server_process::exit_status() const { return exit_status_; }
std::string server_process::output() const { return read_from(output_path_, 0); }
std::string server_process::output_path() const { return output_path_; }
http_client server_process::client() const { return {"127.0.0.1", port_}; }

std::string server_process::env(const std::string& name) const {
    const auto it = env_.find(name);
    return it == env_.end() ? std::string() : it->second;
}

bool server_process::running() {
    if (pid_ <= 0 || exit_status_) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        reap(status);
        return false;
    }
    if (r < 0 && errno != EINTR) {
        exit_status_ = -1;  // not our child any more (should not happen)
        return false;
    }
    return true;
}

std::optional<int> server_process::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    while (running() && clock_type::now() < deadline) std::this_thread::sleep_for(10ms);
    running();
    return exit_status_;
}

int server_process::stop(int signal, std::chrono::seconds wait) {
    if (!running()) return exit_status_.value_or(-1);
    ::kill(pid_, signal);
    if (const auto status = wait_exit(wait)) return *status;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reap(status);
    return *exit_status_;
}

void server_process::kill9() { stop(SIGKILL, 10s); }

void server_process::restart(std::map<std::string, std::string> extra_env) {
    if (running()) stop();
    for (auto& [name, value] : extra_env) env_[name] = std::move(value);
    if (extra_env.contains("SERVER_PORT")) {
        fixed_port_ = true;
        port_ = static_cast<unsigned short>(std::stoi(env_["SERVER_PORT"]));
    }
    start();
}

}  // namespace spotik::test
