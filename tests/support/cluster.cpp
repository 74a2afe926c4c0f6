// Cluster of replicas for tests.
#include "support/cluster.hpp"

#include "util/ids.hpp"

#include <filesystem>
#include <sstream>
#include <thread>

namespace spotik::test {
namespace {

using namespace std::chrono_literals;

std::string secret() { return util::random_hex(24); }

}  // namespace

cluster::cluster(cluster_options opts)
{
    shared_dir_ = make_temp_dir("spotik-cluster-");
    store_ = make_shared_store(shared_dir_);
    redis_ = std::make_unique<redis_server>();
    std::map<std::string, std::string> env = store_->replica_env();
    env.merge(std::map<std::string, std::string>{
        {"REDIS_URL", redis_->url()},
        {"REDIS_TIMEOUT_MS", "1000"},
        {"JWT_SECRET", secret()},
        {"AUDIO_STORAGE_PATH", shared_dir_ + "/storage/audio"},
        {"PUBLIC_STORAGE_PATH", shared_dir_ + "/storage/public"},
        {"TEMP_STORAGE_PATH", shared_dir_ + "/storage/temp"},
        {"TRUSTED_PROXIES", "127.0.0.1"},
        {"SERVER_THREADS", "2"},
        {"DB_POOL_MAX", "4"}});
    for (auto& [k, v] : opts.env) env[k] = v;
    for (int i = 0; i < opts.replicas; ++i) replicas_.push_back(std::make_unique<server_process>(server_options{.env = env}));
    std::vector<unsigned short> ports;
    for (auto& r : replicas_) ports.push_back(r->port());
    if (opts.nginx) nginx_ = std::make_unique<nginx_server>(nginx_options{.upstream_ports = ports});
    wait_bus_connected(15s);
}

cluster::~cluster()
{
    nginx_.reset();
    replicas_.clear();
    redis_.reset();
    std::error_code ec;
    std::filesystem::remove_all(shared_dir_, ec);
}

ws_client cluster::socket(std::size_t i, const std::string& token)
{
    ws_client c("127.0.0.1", replica(i).port(), ws_client::target_for(token));
    c.expect("connection_established", 15s);
    return c;
}

ws_client cluster::socket_via_nginx(const std::string& token)
{
    ws_client c("127.0.0.1", nginx_->port(), ws_client::target_for(token));
    c.expect("connection_established", 15s);
    return c;
}

void cluster::wait_bus_connected(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& r : replicas_) {
        if (!r->running()) continue;
        auto http = r->client();
        http.set_timeout(2s);
        for (;;) {
            try {
                if (http.get("/health/redis").status == 200) break;
            } catch (const std::exception&) {
            }
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("cluster: replica on port " + std::to_string(r->port()) +
                                         " did not connect to Redis in time");
            std::this_thread::sleep_for(50ms);
        }
    }
}

std::size_t cluster::count_in_output(std::size_t i, const std::string& text)
{
    std::istringstream in(replica(i).output());
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);)
        if (line.find(text) != std::string::npos) ++n;
    return n;
}

}  // namespace spotik::test
