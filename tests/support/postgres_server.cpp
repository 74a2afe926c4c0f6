// The test cluster's life: initdb into a temporary directory (as the postgres user when run
// as root), settings for speed (no fsync, no full-page writes, minimal WAL), start as a child
// or through pg_ctl, readiness by PQping, fast shutdown, and removal. Throws
// std::runtime_error carrying initdb's or the server's output.
#include "support/postgres_server.hpp"

#include <libpq-fe.h>

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace spotik::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* k_default_bindir = "/usr/lib/postgresql/15/bin";
constexpr const char* k_user = "spotik_test";
constexpr auto k_start_timeout = 60s;

std::string read_text(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string random_password()
{
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device device;
    std::uniform_int_distribution<std::size_t> pick(0, sizeof(alphabet) - 2);
    std::string out;
    for (int i = 0; i < 24; ++i) out += alphabet[pick(device)];
    return out;
}

std::string find_bindir()
{
    const char* configured = std::getenv("SPOTIK_PG_BINDIR");
    const std::string dir = configured != nullptr && *configured != '\0' ? configured : k_default_bindir;
    for (const char* tool : {"initdb", "postgres", "pg_ctl"}) {
        if (::access((dir + "/" + tool).c_str(), X_OK) != 0)
            throw std::runtime_error("postgres_server: PostgreSQL 15 server binaries not found (no executable " + dir +
                                     "/" + tool +
                                     "). Install them with `scripts/install-deps.sh test` (Debian "
                                     "package postgresql-15) or point SPOTIK_PG_BINDIR at their directory.");
    }
    return dir;
}

// initdb and postgres refuse to run as root: use the postgres account the Debian package creates.
std::optional<std::pair<uid_t, gid_t>> server_user()
{
    if (::geteuid() != 0) return std::nullopt;
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr)
        throw std::runtime_error(
            "postgres_server: running as root needs a `postgres` user to run the server as "
            "(the postgresql-15 package creates it)");
    return std::pair{pw->pw_uid, pw->pw_gid};
}

void give_to(const std::optional<std::pair<uid_t, gid_t>>& owner, const std::string& path)
{
    if (owner && ::chown(path.c_str(), owner->first, owner->second) != 0)
        throw std::runtime_error("postgres_server: cannot chown " + path);
}

std::string tail(const std::string& text)
{
    constexpr std::size_t k_quote = 6000;
    return text.size() <= k_quote ? text : "...\n" + text.substr(text.size() - k_quote);
}

pid_t postmaster_pid(const std::string& data_dir)
{
    std::ifstream in(data_dir + "/postmaster.pid");
    pid_t pid = -1;
    in >> pid;
    return in ? pid : -1;
}

bool alive(pid_t pid)
{
    return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

}  // namespace

std::string postgres_endpoint::conninfo(const std::string& database) const
{
    return "host=" + socket_dir + " port=" + std::to_string(port) + " user=" + user + " dbname=" + database;
}

std::map<std::string, std::string> postgres_endpoint::server_env(const std::string& database) const
{
    return {{"DB_DRIVER", "postgres"}, {"DB_HOST", host}, {"DB_PORT", std::to_string(port)},
            {"DB_NAME", database},     {"DB_USER", user}, {"DB_PASSWORD", password}};
}

postgres_server::postgres_server(mode how, bool durable_commits)
    : mode_(how), durable_commits_(durable_commits), bindir_(find_bindir()), run_as_(server_user())
{
    root_ = make_temp_dir("spotik-pg-");
    try {
        init_cluster();
        start();
    } catch (...) {
        if (child_.running()) child_.kill9();
        std::error_code ec;
        fs::remove_all(root_, ec);
        throw;
    }
}

postgres_server::~postgres_server()
{
    if (detached_) return;
    try {
        // Immediate shutdown: the data is thrown away anyway.
        if (mode_ == mode::child)
            child_.stop(SIGQUIT, 20s);
        else if (alive(endpoint_.pid))
            ::kill(endpoint_.pid, SIGQUIT);
        for (int i = 0; i < 400 && alive(endpoint_.pid) && mode_ == mode::daemon; ++i)
            std::this_thread::sleep_for(50ms);
    } catch (...) {
        // A destructor must not throw; the directory is removed regardless.
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
}

child_spec postgres_server::spec(const std::string& binary, std::vector<std::string> args,
                                 const std::string& output) const
{
    return {bindir_ + "/" + binary, std::move(args), {"PATH=/usr/bin:/bin", "LC_ALL=C"}, root_, output, run_as_};
}

void postgres_server::init_cluster()
{
    endpoint_.user = k_user;
    endpoint_.password = random_password();
    endpoint_.socket_dir = root_ + "/socket";
    endpoint_.data_dir = root_ + "/data";
    fs::create_directories(endpoint_.socket_dir);
    const std::string pwfile = root_ + "/pwfile";
    std::ofstream(pwfile) << endpoint_.password << "\n";
    for (const auto& path : {root_, endpoint_.socket_dir, pwfile}) give_to(run_as_, path);
    const std::string log = root_ + "/initdb.log";
    child_process initdb(
        spec("initdb",
             {"-D", endpoint_.data_dir, "-U", k_user, "--pwfile=" + pwfile, "--auth-local=trust",
              "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
             log));
    const auto status = initdb.wait_exit(120s);
    if (status != 0)
        throw std::runtime_error("postgres_server: initdb failed (status " + std::to_string(status.value_or(-1)) +
                                 "):\n" + tail(read_text(log)));
    std::ofstream conf(endpoint_.data_dir + "/postgresql.conf", std::ios::app);
    conf << "\n# Spotik test cluster: fast and disposable.\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << endpoint_.socket_dir << "'\n"
         << "fsync = off\nfull_page_writes = off\n"
         << "synchronous_commit = " << (durable_commits_ ? "on" : "off") << "\n"
         << "wal_level = minimal\nmax_wal_senders = 0\nmax_wal_size = '1GB'\ncheckpoint_timeout = '30min'\n"
         << "max_connections = 200\nshared_buffers = '32MB'\nautovacuum = off\n"
         << "log_min_messages = warning\nlog_line_prefix = '%m [%p] '\n";
}

void postgres_server::start()
{
    const std::string log = root_ + "/server.log";
    for (int attempt = 0;; ++attempt) {
        if (endpoint_.port == 0 || attempt > 0) endpoint_.port = pick_free_port();
        const std::string port = std::to_string(endpoint_.port);
        const auto offset = read_text(log).size();
        if (mode_ == mode::child) {
            child_ = child_process(spec("postgres", {"-D", endpoint_.data_dir, "-p", port}, log));
        } else {
            child_process ctl(spec("pg_ctl",
                                   {"-D", endpoint_.data_dir, "-l", log, "-o", "-p " + port, "-w", "-t", "60", "start"},
                                   root_ + "/pg_ctl.log"));
            ctl.wait_exit(k_start_timeout + 10s);
        }
        const auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
        const std::string probe = endpoint_.conninfo("postgres");
        while (PQping(probe.c_str()) != PQPING_OK && std::chrono::steady_clock::now() < deadline &&
               (mode_ == mode::daemon || child_.running()))
            std::this_thread::sleep_for(20ms);
        if (PQping(probe.c_str()) == PQPING_OK) {
            endpoint_.pid = mode_ == mode::child ? child_.pid() : postmaster_pid(endpoint_.data_dir);
            return;
        }
        const std::string output = read_text(log).substr(offset);
        if (attempt < 2 && output.find("could not bind") != std::string::npos) continue;  // port taken meanwhile
        if (child_.running()) child_.kill9();
        throw std::runtime_error("postgres_server: the server did not start on port " + port + ":\n" + tail(output));
    }
}

void postgres_server::stop()
{
    if (mode_ == mode::child) {
        child_.stop(SIGINT, 30s);
        return;
    }
    if (alive(endpoint_.pid)) ::kill(endpoint_.pid, SIGINT);
    for (int i = 0; i < 600 && alive(endpoint_.pid); ++i) std::this_thread::sleep_for(50ms);
}

bool postgres_server::running()
{
    return mode_ == mode::child ? child_.running() : alive(endpoint_.pid);
}

std::string postgres_server::log() const
{
    return read_text(root_ + "/server.log");
}

void postgres_server::detach_to(const std::string& state_file)
{
    std::ofstream out(state_file, std::ios::trunc);
    out << "port=" << endpoint_.port << "\nuser=" << endpoint_.user << "\npassword=" << endpoint_.password
        << "\nsocket_dir=" << endpoint_.socket_dir << "\ndata_dir=" << endpoint_.data_dir << "\nroot=" << root_
        << "\npid=" << endpoint_.pid << "\n";
    if (!out.flush()) throw std::runtime_error("postgres_server: cannot write " + state_file);
    detached_ = true;
}

}  // namespace spotik::test
