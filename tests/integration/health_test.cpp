// Health probes and service endpoints (CONTRACT §7.9, §10, decisions): shapes, status codes,
// no secrets or paths, and the OpenAPI document kept in step with the route list.
#include "support/server_process.hpp"
#include "support/test_util.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

namespace spotik::test {
namespace {

namespace json = boost::json;

class service_endpoints : public ::testing::Test {
protected:
    server_process server_;
    http_client client_ = server_.client();

    void expect_no_secret(const http_response& r)
    {
        EXPECT_EQ(r.body.find(server_.env("JWT_SECRET")), std::string::npos) << r.body;
        EXPECT_EQ(r.body.find(server_.data_dir()), std::string::npos) << "no filesystem path: " << r.body;
    }
};

TEST_F(service_endpoints, health_reports_components)
{
    auto r = client_.get("/health");
    ASSERT_EQ(r.status, 200) << r.body;
    auto b = r.json().as_object();
    EXPECT_TRUE(b.at("status") == "healthy" || b.at("status") == "degraded");
    EXPECT_EQ(b.at("database").at("status"), "healthy");
    EXPECT_EQ(b.at("storage").at("status"), "healthy");
    EXPECT_EQ(b.at("storage").at("accessible_paths"), 3);
    EXPECT_TRUE(b.at("uptime").at("seconds").is_int64());
    EXPECT_TRUE(b.contains("version"));
    expect_no_secret(r);
}

TEST_F(service_endpoints, component_probes)
{
    auto db = client_.get("/health/database");
    ASSERT_EQ(db.status, 200);
    EXPECT_EQ(db.json().at("database").at("database"), "connected");
    EXPECT_EQ(std::string(db.json().at("database").at("driver").as_string()), test_store_driver());
    auto st = client_.get("/health/storage");
    ASSERT_EQ(st.status, 200);
    EXPECT_EQ(st.json().at("storage_paths").at("audio").at("writable"), true);
    EXPECT_EQ(st.json().at("configuration").at("max_file_size_mb"), 50);
    expect_no_secret(st);
    auto conf = client_.get("/health/configuration");
    EXPECT_EQ(conf.status, 200);
    expect_no_secret(conf);
    bool saw_secret = false;
    auto conf_json = conf.json();
    for (const auto& v : conf_json.at("configuration").at("environment_variables").as_array())
        if (v.at("key") == "JWT_SECRET") {
            saw_secret = true;
            EXPECT_EQ(v.at("value"), "(set)");
        }
    EXPECT_TRUE(saw_secret);
    auto ready = client_.get("/ready");
    ASSERT_EQ(ready.status, 200);
    EXPECT_EQ(ready.json().at("ready"), true);
    EXPECT_EQ(ready.json().at("checks").at("database"), true);
    auto live = client_.get("/live");
    ASSERT_EQ(live.status, 200);
    EXPECT_EQ(live.json().at("alive"), true);
    EXPECT_GT(live.json().at("memory_usage_mb").to_number<double>(), 0.0);
    EXPECT_EQ(client_.get("/health/basic").status, 200);
}

TEST_F(service_endpoints, health_is_503_when_storage_breaks)
{
    std::filesystem::permissions(server_.data_dir() + "/storage/audio", std::filesystem::perms::none);
    std::filesystem::remove_all(server_.data_dir() + "/storage/audio");
    // A regular file where the directory should be cannot be repaired by the probe.
    { std::ofstream{server_.data_dir() + "/storage/audio"} << "x"; }
    auto r = client_.get("/health");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json().at("status"), "unhealthy");
    EXPECT_EQ(client_.get("/ready").status, 503);
    EXPECT_EQ(client_.get("/health/storage").status, 503);
    EXPECT_EQ(client_.get("/live").status, 200) << "liveness does not depend on storage";
}

TEST_F(service_endpoints, time_has_milliseconds_and_no_store)
{
    auto r = client_.get("/api/time", {{"Cache-Control", "no-cache"}});
    ASSERT_EQ(r.status, 200);
    std::string ts(r.json().at("timestamp").as_string());
    ASSERT_EQ(ts.size(), 24u) << ts;
    EXPECT_EQ(ts[19], '.');
    EXPECT_EQ(ts.back(), 'Z');
    EXPECT_EQ(r.header("cache-control"), "no-store");
    EXPECT_EQ(r.json().at("timezone"), "UTC");
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_NEAR(double(r.json().at("server_time_ms").as_int64()), double(now_ms), 5000.0);
}

TEST_F(service_endpoints, ping_api_health_metrics_and_monitoring)
{
    EXPECT_EQ(client_.get("/api/ping").json().at("status"), "ok");
    auto h = client_.get("/api/health");
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.json().at("status"), "healthy");
    client_.get("/api/nope");
    auto m = client_.get("/api/metrics");
    ASSERT_EQ(m.status, 200);
    auto metrics = m.json().at("metrics").as_object();
    EXPECT_GE(metrics.at("requests").at("total").as_int64(), 3);
    EXPECT_TRUE(metrics.at("requests").at("avg_response_time").is_number());
    EXPECT_GE(metrics.at("status_codes").at("200").as_int64(), 2);
    EXPECT_GE(metrics.at("status_codes").at("404").as_int64(), 1);
    EXPECT_TRUE(metrics.at("routes").at("GET /api/ping").at("count").is_int64());
    auto perf = client_.get("/api/monitoring/performance");
    ASSERT_EQ(perf.status, 200);
    EXPECT_TRUE(perf.json().at("total_operations").is_int64());
}

TEST_F(service_endpoints, api_index_and_openapi_cover_every_route)
{
    auto index = client_.get("/api");
    ASSERT_EQ(index.status, 200);
    EXPECT_EQ(index.json().at("name"), "Spotik");
    auto endpoints = index.json().at("endpoints").as_array();
    ASSERT_GT(endpoints.size(), 20u);
    auto doc = client_.get("/api/openapi.json");
    ASSERT_EQ(doc.status, 200);
    auto spec = doc.json().as_object();
    EXPECT_EQ(std::string(spec.at("openapi").as_string()).substr(0, 2), "3.");
    auto paths = spec.at("paths").as_object();
    std::set<std::string> required = {"GET /api/auth/me", "POST /api/rooms", "GET /api/rooms/{room}", "GET /health",
                                      "GET /api/time", "POST /api/rooms/{room}/leave", "DELETE /api/rooms/{room}/leave"};
    for (const auto& e : endpoints) {
        std::string method(e.at("method").as_string()), path(e.at("path").as_string());
        required.erase(method + " " + path);
        if (auto tail = path.find("...}"); tail != std::string::npos) path.erase(tail, 3);
        for (auto& c : method) c = char(std::tolower(c));
        auto* item = paths.if_contains(path);
        ASSERT_NE(item, nullptr) << path << " missing from the OpenAPI document";
        EXPECT_TRUE(item->as_object().contains(method)) << method << " " << path;
        std::string auth(e.at("auth").as_string());
        EXPECT_EQ(item->at(method).as_object().contains("security"), auth != "none") << path;
    }
    EXPECT_TRUE(required.empty()) << *required.begin() << " not listed by /api";
}

}  // namespace
}  // namespace spotik::test
