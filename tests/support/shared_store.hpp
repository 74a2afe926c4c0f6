// The database all replicas of a cluster test share, chosen by SPOTIK_TEST_STORE:
//   sqlite (default)  one SQLite file in the cluster's shared directory; SQLite handles several
//                     processes on one host (WAL, busy timeout, BEGIN IMMEDIATE writers)
//   postgres          reserved for tests/support/postgres_server (branch pg-store): add a class
//                     here that starts it and returns DB_DRIVER=postgres and the DB_* variables.
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
