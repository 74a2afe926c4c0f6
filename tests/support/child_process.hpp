// A child process for tests (the server, or a service such as PostgreSQL, Redis or nginx):
// fork/exec with stdout+stderr appended to a file, no inherited descriptors, killed if the test
// process dies. The spawning constructor and the helpers throw std::runtime_error; the
// destructor SIGKILLs a child still running and never throws.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace spotik::test {

struct child_spec {
    std::string binary;                 // path of the executable (no PATH search)
    std::vector<std::string> args{};    // arguments after the program name
    std::vector<std::string> env{};     // the child's whole environment, "NAME=value" each
    std::string cwd{};                  // working directory; empty: the parent's
    std::string output_path{};          // stdout and stderr are appended here; empty: /dev/null
    // Run as this user and group instead (needs root), e.g. PostgreSQL, which refuses root.
    std::optional<std::pair<uid_t, gid_t>> run_as{};
};

class child_process {
public:
    child_process() = default;  // no process
    explicit child_process(const child_spec& spec);
    ~child_process();
    child_process(child_process&& other) noexcept;
    child_process& operator=(child_process&& other) noexcept;
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const;
    // False once the process has exited (its status is then recorded).
    bool running();
    // Waits up to `timeout` for the process to exit by itself; its status, or nullopt.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    // The exit status (0-255), or 128+signal when killed by a signal; nullopt while running.
    std::optional<int> exit_status() const;
    // Sends `signal`, waits up to `wait`, then SIGKILLs; returns the exit status. Returns the
    // recorded status if the process has already exited.
    int stop(int signal, std::chrono::milliseconds wait);
    void kill9();

private:
    pid_t pid_ = -1;
    std::optional<int> exit_status_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
unsigned short pick_free_port();

// A new empty directory under the system temp dir, named <prefix>XXXXXX.
std::string make_temp_dir(const std::string& prefix = "spotik-test-");

}  // namespace spotik::test
