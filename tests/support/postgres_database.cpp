// Test-side PostgreSQL access: one-off queries through libpq, a database per test (created
// from template1, dropped WITH (FORCE) afterwards), the state file a CTest fixture leaves for
// the test processes, and the cluster shared by one test process. Throws std::runtime_error.
#include "support/postgres_server.hpp"

#include <libpq-fe.h>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

namespace spotik::test {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> read_state(const std::string& path)
{
    std::ifstream in(path);
    if (!in) throw std::runtime_error("postgres: cannot read the cluster state file " + path);
    std::map<std::string, std::string> values;
    for (std::string line; std::getline(in, line);)
        if (const auto eq = line.find('='); eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
    return values;
}

postgres_endpoint endpoint_from_state(const std::string& path)
{
    auto values = read_state(path);
    postgres_endpoint at;
    at.port = static_cast<unsigned short>(std::stoi(values.at("port")));
    at.user = values.at("user");
    at.password = values.at("password");
    at.socket_dir = values.at("socket_dir");
    at.data_dir = values.at("data_dir");
    at.pid = std::stoi(values.at("pid"));
    return at;
}

std::atomic<int> database_counter{0};

}  // namespace

std::vector<std::vector<std::optional<std::string>>> pg_query(const postgres_endpoint& at, const std::string& database,
                                                              const std::string& sql)
{
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(at.conninfo(database).c_str()), &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK)
        throw std::runtime_error("pg_query: cannot connect: " + std::string(PQerrorMessage(conn.get())));
    std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
    const auto status = PQresultStatus(res.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
        throw std::runtime_error("pg_query: " + std::string(PQerrorMessage(conn.get())) + " in: " + sql);
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (int r = 0; r < PQntuples(res.get()); ++r) {
        auto& row = rows.emplace_back();
        for (int c = 0; c < PQnfields(res.get()); ++c)
            row.push_back(PQgetisnull(res.get(), r, c) ? std::nullopt
                                                       : std::optional<std::string>(PQgetvalue(res.get(), r, c)));
    }
    return rows;
}

postgres_database::postgres_database(const postgres_endpoint& at, const std::string& prefix)
    : at_(at),
      name_(prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(database_counter.fetch_add(1)) + "_" +
            std::to_string(std::random_device{}() % 100000))
{
    pg_query(at_, "postgres", "CREATE DATABASE " + name_);
}

postgres_database::~postgres_database()
{
    try {
        pg_query(at_, "postgres", "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
        // The cluster may be gone already (its directory goes with it).
    }
}

void postgres_server::stop_detached(const std::string& state_file)
{
    std::error_code ec;
    if (!std::filesystem::exists(state_file, ec)) return;
    auto values = read_state(state_file);
    const pid_t pid = std::stoi(values.at("pid"));
    // Only a postmaster still serving that data directory is ours to stop.
    std::ifstream pid_file(values.at("data_dir") + "/postmaster.pid");
    pid_t listed = -1;
    pid_file >> listed;
    if (pid_file && listed == pid && ::kill(pid, SIGQUIT) == 0)
        for (int i = 0; i < 400 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(50ms);
    std::filesystem::remove_all(values.at("root"), ec);
    std::filesystem::remove(state_file, ec);
}

bool testing_on_postgres()
{
    const char* value = std::getenv("SPOTIK_TEST_PG");
    return value != nullptr && *value != '\0';
}

std::string test_store_driver()
{
    return testing_on_postgres() ? "postgres" : "sqlite";
}

const postgres_endpoint& shared_postgres()
{
    static std::mutex mutex;
    static std::unique_ptr<postgres_server> own;  // stopped and deleted when the process exits
    static std::optional<postgres_endpoint> shared;
    std::lock_guard lock(mutex);
    if (shared) return *shared;
    const char* state = std::getenv("SPOTIK_TEST_PG");
    if (state != nullptr && *state != '\0' && std::string_view(state) != "1") {
        shared = endpoint_from_state(state);
    } else {
        own = std::make_unique<postgres_server>();
        shared = own->endpoint();
    }
    return *shared;
}

}  // namespace spotik::test
