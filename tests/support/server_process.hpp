// Runs the real server binary (SPOTIK_BINARY) as a child process for one test: free port,
// private data dir, hermetic environment, output captured to a file, waits for GET /live.
// When the test process runs on PostgreSQL (SPOTIK_TEST_PG), each server gets a fresh database
// on the shared test cluster unless the test sets DB_DRIVER or DATABASE_URL itself.
// The constructor and restart() throw std::runtime_error (with the server's output) when the
// server cannot start; the destructor never throws and stops the server (SIGTERM, then SIGKILL).
#pragma once
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/postgres_server.hpp"

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spotik::test {

struct server_options {
    // Variables set for the child after the defaults (APP_ENV=test, SERVER_HOST, SERVER_PORT,
    // DATA_PATH, JWT_SECRET, BCRYPT_COST=4, LOG_LEVEL=info); an override of SERVER_PORT is used
    // as the port as is.
    std::map<std::string, std::string> env{};
    // Empty: a fresh temporary directory, deleted by the destructor unless keep_data_dir.
    std::string data_dir{};
    bool keep_data_dir = false;
    // Arguments after the program name.
    std::vector<std::string> args{};
    // False: return as soon as the process is spawned (for start-up failure tests).
    bool wait_until_live = true;
    // Empty: SPOTIK_BINARY.
    std::string binary{};
};

// What a server's output must never contain: the data folder's path, a test user's password,
// the JWT_SECRET, DB_PASSWORD or REDIS_PASSWORD it was given (from `env`), any token or
// password hash. One entry ("what: line") per finding. Every server_process checks its output
// with it when it ends and fails the test on a finding.
std::vector<std::string> server_output_leaks(const std::string& output, const std::map<std::string, std::string>& env,
                                             const std::string& data_dir);

class server_process {
public:
    explicit server_process(server_options opts = {});
    ~server_process();
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    unsigned short port() const;
    std::string data_dir() const;
    // "http://127.0.0.1:<port>"
    std::string base_url() const;
    // The value the child got for an environment variable ("" if unset), e.g. JWT_SECRET.
    std::string env(const std::string& name) const;
    pid_t pid() const;

    // Sends `signal`, waits up to `wait` for exit, then SIGKILLs. Returns the exit status, or
    // 128+signal when killed by a signal. Returns the earlier status if already stopped.
    int stop(int signal = SIGTERM, std::chrono::seconds wait = std::chrono::seconds(15));
    void kill9();
    // False once the process has exited (the exit status is then recorded).
    bool running();
    // Waits up to `timeout` for the process to exit by itself; its status, or nullopt.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    // The exit status once the process has exited.
    std::optional<int> exit_status() const;

    // Everything the server printed to stdout and stderr, across restarts.
    std::string output() const;
    std::string output_path() const;

    // Stops the server if running, then starts it again on the same data dir, environment
    // (same JWT secret) and, if still free, port; `extra_env` adds or replaces variables.
    void restart(std::map<std::string, std::string> extra_env = {});

    // A new keep-alive client for this server.
    http_client client() const;
    // The server's own PostgreSQL database, or nullptr on SQLite (or DB_* set by the test).
    const postgres_database* database() const { return database_.get(); }

private:
    void start();
    bool spawn_and_wait(bool retry_allowed);
    std::vector<std::string> child_environment() const;

    server_options opts_;
    std::unique_ptr<postgres_database> database_;  // dropped after the server has stopped
    std::string data_dir_;
    bool owns_data_dir_ = false;
    std::string output_path_;
    std::map<std::string, std::string> env_;  // what the child gets on top of the filtered parent env
    bool fixed_port_ = false;
    unsigned short port_ = 0;
    child_process child_;
};

}  // namespace spotik::test
