// The database all replicas of a cluster test share, chosen by SPOTIK_TEST_STORE (default:
// postgres when the test process runs on PostgreSQL, SPOTIK_TEST_PG, as under ctest; else sqlite):
//   sqlite    one SQLite file in the cluster's shared directory; SQLite handles several
//             processes on one host (WAL, busy timeout, BEGIN IMMEDIATE writers)
//   postgres  a fresh database on the run's PostgreSQL cluster (postgres_server.hpp)
// make_shared_store throws std::runtime_error for an unknown or not yet available store.
#pragma once
#include <map>
#include <memory>
#include <string>

namespace spotik::test {

class shared_store {
public:
    virtual ~shared_store() = default;
    virtual std::string name() const = 0;
    // Variables every replica gets so that they all use this database.
    virtual std::map<std::string, std::string> replica_env() const = 0;
};

std::unique_ptr<shared_store> make_shared_store(const std::string& shared_dir);

}  // namespace spotik::test
