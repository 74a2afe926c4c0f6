// PostgreSQL 15 for tests: a private cluster (initdb, then postgres) in a temporary directory
// on a free loopback port, with its unix socket in that directory too and durability turned
// off for speed, plus a fresh database per test. As root the server runs as the `postgres`
// user (initdb refuses root). Missing server binaries or a cluster that cannot start throw
// std::runtime_error with a clear message: the tests fail, they are never skipped.
#pragma once
#include "support/child_process.hpp"

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spotik::test {

// How to reach a running cluster.
struct postgres_endpoint {
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    std::string user;
    std::string password;
    std::string socket_dir;  // local connections (trust) from the test process
    std::string data_dir;
    pid_t pid = -1;  // the postmaster

    // libpq connection string for `database` over the unix socket.
    std::string conninfo(const std::string& database) const;
    // The DB_* variables that point a Spotik server at `database` (over TCP, with the password).
    std::map<std::string, std::string> server_env(const std::string& database) const;
};

class postgres_server {
public:
    // child: the postmaster is this process's child and dies with it. daemon: started through
    // pg_ctl, it outlives this process (the CTest fixture hands it to the test processes).
    enum class mode { child, daemon };

    // durable_commits: synchronous_commit on, so an acknowledged commit survives even an
    // immediate shutdown (fault tests); off otherwise, for speed.
    explicit postgres_server(mode how = mode::child, bool durable_commits = false);
    ~postgres_server();
    postgres_server(const postgres_server&) = delete;
    postgres_server& operator=(const postgres_server&) = delete;

    const postgres_endpoint& endpoint() const { return endpoint_; }
    // Fast shutdown (sessions are terminated, as in a real restart); start() brings the
    // same cluster back on the same port.
    void stop();
    void start();
    bool running();
    std::string log() const;

    // Daemon mode: leaves the cluster running and writes how to reach it to state_file.
    void detach_to(const std::string& state_file);
    // Stops and deletes the cluster a state file describes (no error if it is gone already).
    static void stop_detached(const std::string& state_file);

private:
    void init_cluster();
    child_spec spec(const std::string& binary, std::vector<std::string> args, const std::string& output) const;

    mode mode_;
    bool durable_commits_;
    std::string root_;
    std::string bindir_;
    std::optional<std::pair<uid_t, gid_t>> run_as_;
    postgres_endpoint endpoint_;
    child_process child_;
    bool detached_ = false;
};

// Runs `sql` (one or more statements) in `database`; the rows of the last result as text,
// NULL as nullopt. Throws std::runtime_error with the server's message.
std::vector<std::vector<std::optional<std::string>>> pg_query(const postgres_endpoint& at, const std::string& database,
                                                              const std::string& sql);

// A database created for one test, dropped (WITH FORCE) by the destructor.
class postgres_database {
public:
    explicit postgres_database(const postgres_endpoint& at, const std::string& prefix = "spotik");
    ~postgres_database();
    postgres_database(const postgres_database&) = delete;
    postgres_database& operator=(const postgres_database&) = delete;

    const std::string& name() const { return name_; }
    const postgres_endpoint& endpoint() const { return at_; }
    std::map<std::string, std::string> server_env() const { return at_.server_env(name_); }
    std::vector<std::vector<std::optional<std::string>>> query(const std::string& sql) const
    {
        return pg_query(at_, name_, sql);
    }

private:
    postgres_endpoint at_;
    std::string name_;
};

// SPOTIK_TEST_PG set: every server_process of this test process runs on PostgreSQL. Its value
// is the state file of a cluster started by the CTest fixture, or "1" to start one here.
bool testing_on_postgres();
// "postgres" or "sqlite": the driver this test process's servers use.
std::string test_store_driver();
// The cluster this test process uses: the fixture's, or one started on first use (from the
// main thread) and stopped when the process exits.
const postgres_endpoint& shared_postgres();

}  // namespace spotik::test
