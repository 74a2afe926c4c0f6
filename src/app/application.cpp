// Server start-up and graceful shutdown.
#include "app/application.hpp"

#include "api/context.hpp"
#include "api/routes.hpp"
#include "api/ws_commands.hpp"
#include "app/cluster.hpp"
#include "app/track_end_timers.hpp"
#include "auth/jwt.hpp"
#include "limits/guard.hpp"
#include "net/http_server.hpp"
#include "net/ws_session.hpp"
#include "obs/log.hpp"
#include "obs/system_info.hpp"
#include "realtime/event.hpp"
#include "realtime/hub.hpp"
#include "service/auth_service.hpp"
#include "service/playback_service.hpp"
#include "service/room_events.hpp"
#include "service/room_service.hpp"
#include "service/storage_sweep.hpp"
#include "service/track_service.hpp"
#include "storage/open_store.hpp"
#include "util/ids.hpp"
#include "util/ip_range.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

namespace spotik::app {
namespace asio = boost::asio;
using namespace std::chrono_literals;

std::string resolve_jwt_secret(const config::config& cfg, bool& generated)
{
    generated = false;
    if (!cfg.auth.jwt_secret.empty()) return cfg.auth.jwt_secret;
    auto path = std::filesystem::path(cfg.app.data_path) / "jwt_secret";
    if (std::ifstream in{path}; in) {
        std::string secret;
        std::getline(in, secret);
        if (secret.size() >= 32) return secret;
    }
    std::string secret = util::random_hex(32);
    auto tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out{tmp, std::ios::trunc};
        out << secret << '\n';
        if (!out.flush()) throw std::runtime_error("cannot write the generated JWT secret into DATA_PATH");
    }
    ::chmod(tmp.c_str(), 0600);
    std::filesystem::rename(tmp, path);
    generated = true;
    return secret;
}

application::application(config::config cfg, std::vector<std::string> warnings)
    : cfg_(std::move(cfg)), warnings_(std::move(warnings))
{
}

namespace {

std::string make_instance_id()
{
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return std::string(host) + "-" + std::to_string(::getpid());
}

asio::awaitable<void> purge_revocations_periodically(asio::thread_pool& pool, service::auth_service& auth)
{
    asio::steady_timer timer{co_await asio::this_coro::executor};
    for (;;) {
        timer.expires_after(1h);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        asio::post(pool, [&auth] {
            try {
                if (auto n = auth.purge_revocations(); n > 0) obs::info("purged revoked tokens", {{"count", n}});
            } catch (const std::exception& e) {
                obs::warn("token purge failed", {{"detail", e.what()}});
            }
        });
    }
}

// Every minute, the allocator's free pages go back to the system. glibc keeps what a burst of
// work freed (each io and pool thread has its own arena), so without this the resident size
// ratchets up with every peak (room histories, upload buffers) and stays there.
asio::awaitable<void> release_free_memory_periodically(asio::thread_pool& pool)
{
    asio::steady_timer timer{co_await asio::this_coro::executor};
    for (;;) {
        timer.expires_after(1min);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        asio::post(pool, [] {
            if (auto bytes = obs::release_free_memory(); bytes > 16 * 1024 * 1024)
                obs::info("returned free memory to the system", {{"bytes", bytes}});
        });
    }
}

// Removes what a killed process left in the storage folders (service/storage_sweep). A failure
// is reported and start-up goes on: the leftovers then wait for the next start.
void sweep_leftovers(storage::store& store, const config::storage_settings& paths)
{
    try {
        const auto swept = service::sweep_storage(store, paths);
        obs::info("storage swept", {{"partial_files_removed", swept.partial_files},
                                    {"orphan_audio_files_removed", swept.orphan_audio},
                                    {"orphan_covers_removed", swept.orphan_covers},
                                    {"files_in_use", swept.in_use}});
    } catch (const std::exception& e) {
        obs::warn("storage sweep failed", {{"detail", e.what()}});
    }
}

// Applies the migrations, waiting up to DB_CONNECT_TIMEOUT for a database that does not answer
// yet (replicas and the database often start together). Throws what migrate() throws.
void migrate_when_reachable(storage::store& store, int wait_s)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
    for (bool logged = false;; std::this_thread::sleep_for(250ms)) {
        try {
            store.migrate();
            return;
        } catch (const storage::store_unavailable& e) {
            if (std::chrono::steady_clock::now() >= deadline) throw;
            if (!logged) obs::warn("waiting for the database", {{"detail", e.what()}, {"timeout_s", wait_s}});
            logged = true;
        }
    }
}

// Start-up failed: the log is drained first, so that its record comes before the console line;
// the line goes out in one write.
int fail_start(const std::string& reason)
{
    obs::shutdown_logging();
    std::cerr << ("spotik: " + reason + "\n") << std::flush;
    return 1;
}

asio::awaitable<void> drain(asio::io_context& ioc, net::server_context& sctx, net::http_server& server, int timeout_s)
{
    sctx.stopping = true;
    server.stop_accepting();
    sctx.sessions.close_idle_all();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    asio::steady_timer tick{ioc};
    while (sctx.sessions.size() > 0 && std::chrono::steady_clock::now() < deadline) {
        tick.expires_after(20ms);
        co_await tick.async_wait(asio::use_awaitable);
        sctx.sessions.close_idle_all();
    }
    obs::info("shutdown complete", {{"connections_left", sctx.sessions.size()}});
    ioc.stop();
}

}  // namespace

int application::run()
{
    obs::init_logging(cfg_.log, make_instance_id());
    for (const auto& w : warnings_) obs::warn(w);
    bool generated = false;
    std::string secret = resolve_jwt_secret(cfg_, generated);
    if (generated) obs::warn("JWT_SECRET is not set: generated one and kept it in DATA_PATH (development only)");

    auto owned_store = storage::open_store(cfg_.database);
    storage::store& store = *owned_store;
    try {
        migrate_when_reachable(store, cfg_.database.connect_timeout_s);
    } catch (const storage::storage_error& e) {
        obs::error("cannot open the database", {{"detail", e.what()}, {"driver", store.driver()}});
        return fail_start(std::string("cannot open the database: ") + e.what());
    }
    sweep_leftovers(store, cfg_.storage);
    util::system_clock clock;
    auth::jwt_codec codec{secret, "spotik", clock, cfg_.auth.jwt_leeway_s};
    service::auth_service auth{store, codec, cfg_.auth, clock};
    service::room_service rooms{store, cfg_, clock};
    int threads =
        cfg_.server.threads > 0 ? cfg_.server.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    asio::io_context ioc{threads};
    asio::thread_pool pool{std::size_t(cfg_.database.pool_max)};
    realtime::hub hub{std::size_t(cfg_.websocket.history_size), std::size_t(cfg_.websocket.history_max_bytes)};
    realtime::presence presence;
    cluster replicas{cfg_, hub, clock, make_instance_id()};
    service::room_events events{replicas.sink(), rooms, cfg_, clock};
    track_end_timers timers{ioc, pool, clock};
    service::playback_service playback{store, events, timers, cfg_, clock};
    timers.set_handler([&playback](const std::string& room_id) { playback.advance_if_ended(room_id); });
    service::track_service tracks{store, events, playback, cfg_, clock};
    obs::metrics metrics;
    api::context ctx{cfg_, clock, store, metrics, auth, rooms, events, tracks, playback, hub, clock.now_ms()};
    ctx.bus = replicas.monitor();
    ctx.presence = &presence;
    auto guard = limits::make_guard(cfg_, clock, [&codec](std::string_view token) {
        auto claims = codec.verify(token);
        return claims ? claims->sub : std::string();
    });
    ctx.guard = guard.get();
    http::router router;
    api::build_router(router, ctx);
    api::ws_commands commands{ctx, router, hub};
    playback.restore_timers();
    replicas.start(playback, events, ioc, pool);
    net::server_context sctx{cfg_, router, http::cors_policy{cfg_.server.cors_origins}, metrics, pool};
    std::string proxies;
    for (const auto& proxy : cfg_.server.trusted_proxies) proxies += proxy + ",";
    util::ip_range_list::parse(proxies, sctx.trusted_proxies);  // validated with the configuration
    sctx.guard = guard.get();
    net::ws_write_starts write_starts(ioc.get_executor());
    net::ws_context wctx{cfg_.websocket, commands, pool, metrics.websocket, sctx.sessions, write_starts, presence};
    sctx.ws = &wctx;
    net::http_server server{ioc, threads, sctx};
    unsigned short port = 0;
    try {
        port = server.open(cfg_.server.host, cfg_.server.port);
    } catch (const std::exception& e) {
        // A system error in its own words ("Address already in use"), not what() with the
        // library's source location.
        const auto* system = dynamic_cast<const boost::system::system_error*>(&e);
        const std::string detail = system != nullptr ? system->code().message() : e.what();
        obs::error("cannot listen", {{"detail", detail}, {"port", cfg_.server.port}});
        return fail_start("cannot listen on " + cfg_.server.host + ":" + std::to_string(cfg_.server.port) + ": " +
                          detail);
    }
    server.start();
    asio::co_spawn(ioc, purge_revocations_periodically(pool, auth), asio::detached);
    asio::co_spawn(ioc, release_free_memory_periodically(pool), asio::detached);
    asio::co_spawn(ioc, net::run_ws_pinger(wctx), asio::detached);
    asio::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        obs::info("shutting down", {{"signal", signo}});
        asio::co_spawn(ioc, drain(ioc, sctx, server, cfg_.server.shutdown_timeout_s), asio::detached);
    });
    const std::string url =
        "http://" + util::url_authority(util::is_unspecified(cfg_.server.host) ? "localhost" : cfg_.server.host, port);
    obs::info("listening", {{"url", url},
                            {"threads", threads},
                            {"database", store.driver()},
                            {"database_target", store.status().target},
                            {"event_bus", replicas.enabled() ? "redis" : "in-process"}});
    // One write: the asynchronous log thread shares the terminal and must not split the line.
    std::cerr << ("Spotik " + cfg_.app.version + " is listening on " + url + "\n") << std::flush;

    std::vector<std::thread> workers;
    // Store calls block: on an io thread they would stall every connection it serves.
    for (int i = 1; i < threads; ++i)
        workers.emplace_back([&ioc] {
            storage::mark_io_thread();
            ioc.run();
        });
    storage::mark_io_thread();
    ioc.run();
    for (auto& t : workers) t.join();
    replicas.stop();
    pool.join();
    obs::info("stopped");
    obs::shutdown_logging();
    return 0;
}

}  // namespace spotik::app
