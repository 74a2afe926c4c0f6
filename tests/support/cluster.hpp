// Several Spotik replicas for one test, as production runs them: a private Redis, a shared
// database (support/shared_store), shared storage directories and JWT secret, and nginx in
// front. Replica i is reachable directly (to place a socket on it) and everything through
// nginx. The constructor throws std::runtime_error when a service cannot start (redis-server
// or nginx missing included); the destructor stops everything.
#pragma once
#include "support/nginx_server.hpp"
#include "support/redis_server.hpp"
#include "support/server_process.hpp"
#include "support/shared_store.hpp"
#include "support/ws_client.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace spotik::test {

struct cluster_options {
    int replicas = 3;
    std::map<std::string, std::string> env{};  // extra variables for every replica
    bool nginx = true;
};

class cluster {
public:
    explicit cluster(cluster_options opts = {});
    ~cluster();

    std::size_t size() const { return replicas_.size(); }
    server_process& replica(std::size_t i) { return *replicas_.at(i); }
    redis_server& redis() { return *redis_; }
    nginx_server& nginx() { return *nginx_; }
    const shared_store& store() const { return *store_; }
    http_client client(std::size_t i) { return replica(i).client(); }
    http_client via_nginx() { return {"127.0.0.1", nginx_->port()}; }
    // A socket on replica i (or through nginx), past its connection_established.
    ws_client socket(std::size_t i, const std::string& token);
    ws_client socket_via_nginx(const std::string& token);
    // Waits until every running replica reports its bus connected (GET /health/redis 200).
    void wait_bus_connected(std::chrono::milliseconds timeout);
    // Lines of replica i's output containing `text` (log messages are JSON lines).
    std::size_t count_in_output(std::size_t i, const std::string& text);

private:
    std::string shared_dir_;
    std::unique_ptr<shared_store> store_;
    std::unique_ptr<redis_server> redis_;
    std::vector<std::unique_ptr<server_process>> replicas_;
    std::unique_ptr<nginx_server> nginx_;
};

}  // namespace spotik::test
