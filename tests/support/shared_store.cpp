// Shared stores for cluster tests.
#include "support/shared_store.hpp"

#include "support/postgres_server.hpp"

#include <cstdlib>
#include <stdexcept>

namespace spotik::test {
namespace {

class sqlite_shared_store final : public shared_store {
public:
    explicit sqlite_shared_store(std::string dir) : path_(std::move(dir) + "/spotik.db") {}
    std::string name() const override { return "sqlite"; }
    std::map<std::string, std::string> replica_env() const override
    {
        return {{"DB_DRIVER", "sqlite"}, {"DB_PATH", path_}, {"DB_BUSY_TIMEOUT_MS", "10000"}};
    }

private:
    std::string path_;
};

// A fresh database on the test run's PostgreSQL cluster, dropped with the store.
class postgres_shared_store final : public shared_store {
public:
    postgres_shared_store() : database_(shared_postgres(), "spotik_cluster") {}
    std::string name() const override { return "postgres"; }
    std::map<std::string, std::string> replica_env() const override { return database_.server_env(); }

private:
    postgres_database database_;
};

}  // namespace

std::unique_ptr<shared_store> make_shared_store(const std::string& shared_dir)
{
    const char* chosen = std::getenv("SPOTIK_TEST_STORE");
    std::string store = chosen && *chosen ? chosen : test_store_driver();
    if (store == "sqlite") return std::make_unique<sqlite_shared_store>(shared_dir);
    if (store == "postgres") return std::make_unique<postgres_shared_store>();
    throw std::runtime_error("SPOTIK_TEST_STORE=" + store + ": unknown store (sqlite or postgres)");
}

}  // namespace spotik::test
