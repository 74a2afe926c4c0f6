// fork/exec for test child processes. Between fork and execve the child makes only
// async-signal-safe calls (the test process has other threads). PR_SET_PDEATHSIG ties the
// child to the thread that spawned it, so spawn from the test's main thread; it is set after
// any change of user, which would clear it. Throws
// std::runtime_error when a process cannot be spawned or a port or directory cannot be made.
#include "support/child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <utility>

namespace spotik::test {
namespace {

using clock_type = std::chrono::steady_clock;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

int decode_status(int wstatus) {
    if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
    return -1;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

struct child_fds {
    int null_fd;
    int out_fd;
    int max_fd;  // for closing inherited descriptors when close_range is unavailable
    bool switch_user;
    uid_t uid;
    gid_t gid;
};

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(pid_t parent, const child_fds& fds, const char* cwd, const char* path,
                             char* const* argv, char* const* envp, const std::string& failure) {
    if (fds.switch_user && (::setgroups(0, nullptr) != 0 || ::setgid(fds.gid) != 0 || ::setuid(fds.uid) != 0)) {
        const ssize_t written = ::write(fds.out_fd, failure.data(), failure.size());
        static_cast<void>(written);
        ::_exit(127);
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) ::signal(sig, SIG_DFL);
    ::dup2(fds.null_fd, 0);
    ::dup2(fds.out_fd, 1);
    ::dup2(fds.out_fd, 2);
    if (::close_range(3, ~0U, 0) != 0) {
        for (int fd = 3; fd < fds.max_fd; ++fd) ::close(fd);
    }
    if (*cwd == '\0' || ::chdir(cwd) == 0) ::execve(path, argv, envp);
    const ssize_t written = ::write(2, failure.data(), failure.size());
    static_cast<void>(written);
    ::_exit(127);
}

}  // namespace

child_process::child_process(const child_spec& spec) {
    std::vector<std::string> args{spec.binary};
    args.insert(args.end(), spec.args.begin(), spec.args.end());
    std::vector<std::string> env = spec.env;
    const auto argv = c_strings(args);
    const auto envp = c_strings(env);
    const std::string failure = "child_process: cannot run " + spec.binary + " in '" + spec.cwd + "'\n";
    rlimit files{};
    const bool small_limit = ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 65536;
    const std::string out = spec.output_path.empty() ? "/dev/null" : spec.output_path;
    child_fds fds{-1, -1, small_limit ? static_cast<int>(files.rlim_cur) : 65536, spec.run_as.has_value(),
                  spec.run_as ? spec.run_as->first : 0, spec.run_as ? spec.run_as->second : 0};
    fds.out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fds.out_fd < 0) throw std::runtime_error(errno_text("child_process: open " + out));
    fds.null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = ::getpid();
    const pid_t child = fds.null_fd < 0 ? -1 : ::fork();
    if (child == 0) exec_child(parent, fds, spec.cwd.c_str(), spec.binary.c_str(), argv.data(), envp.data(), failure);
    const std::string error = child < 0 ? errno_text("child_process: fork " + spec.binary) : std::string();
    ::close(fds.out_fd);
    if (fds.null_fd >= 0) ::close(fds.null_fd);
    if (child < 0) throw std::runtime_error(error);
    pid_ = child;
}

child_process::~child_process() {
    if (running()) kill9();
}

child_process::child_process(child_process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), exit_status_(std::exchange(other.exit_status_, std::nullopt)) {}

child_process& child_process::operator=(child_process&& other) noexcept {
    if (this != &other) {
        if (running()) kill9();
        pid_ = std::exchange(other.pid_, -1);
        exit_status_ = std::exchange(other.exit_status_, std::nullopt);
    }
    return *this;
}

pid_t child_process::pid() const { return pid_; }
std::optional<int> child_process::exit_status() const { return exit_status_; }

bool child_process::running() {
    if (pid_ <= 0 || exit_status_) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        exit_status_ = decode_status(status);
        return false;
    }
    if (r < 0 && errno != EINTR) {
        exit_status_ = -1;  // not our child any more (someone else reaped it)
        return false;
    }
    return true;
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    while (running() && clock_type::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return exit_status_;
}

int child_process::stop(int signal, std::chrono::milliseconds wait) {
    if (!running()) return exit_status_.value_or(-1);
    ::kill(pid_, signal);
    if (const auto status = wait_exit(wait)) return *status;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) return *(exit_status_ = -1);
    }
    exit_status_ = decode_status(status);
    return *exit_status_;
}

void child_process::kill9() { stop(SIGKILL, std::chrono::seconds(10)); }

unsigned short pick_free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(errno_text("pick_free_port: socket"));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    const std::string error = ok ? std::string() : errno_text("pick_free_port: bind 127.0.0.1:0");
    ::close(fd);
    if (!ok) throw std::runtime_error(error);
    return ntohs(addr.sin_port);
}

std::string make_temp_dir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error(errno_text("make_temp_dir: mkdtemp"));
    return pattern;
}

}  // namespace spotik::test
