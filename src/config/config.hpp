// Spotik's configuration: one struct of plain structs with defaults, filled from the
// environment (and an optional .env file) by load_config, validated once at start-up and then
// passed by const reference. See config/variables.cpp for the table of variables.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace spotik::config {

struct app_settings {
    std::string name = "Spotik";
    std::string env = "development";  // development | production | test
    bool debug = false;
    std::string version = SPOTIK_VERSION;
    std::string url = "http://localhost:3000";
    std::string data_path = "./var";  // database file, generated secrets
};

struct server_settings {
    std::string host = "0.0.0.0";
    int port = 3000;
    int threads = 0;            // 0 = number of cores
    int header_timeout_s = 10;  // whole request line + headers must arrive within this
    int body_timeout_s = 120;   // whole body must arrive within this
    int idle_timeout_s = 65;    // keep-alive connection with no request
    int max_header_bytes = 16384;
    int max_body_bytes = 1048576;  // JSON and form bodies (uploads have their own limit)
    int shutdown_timeout_s = 10;
    std::vector<std::string> cors_origins{"*"};
    // Proxies (addresses or CIDR ranges) whose X-Forwarded-For / X-Real-IP are believed.
    std::vector<std::string> trusted_proxies;
};

struct database_settings {
    std::string driver = "sqlite";  // sqlite | postgres (a DATABASE_URL alone selects postgres)
    std::string sqlite_path;        // default: <data_path>/spotik.db
    // PostgreSQL: DATABASE_URL (postgres://...) when set, its parts win over the DB_* fields.
    std::string url;
    std::string host = "localhost";  // a name, an address, or a unix socket directory
    int port = 5432;
    std::string name = "spotik";
    std::string user = "spotik_user";
    std::string password;
    int pool_min = 2;            // PostgreSQL connections kept open
    int pool_max = 8;            // threads that run blocking database work; PostgreSQL connections
    int pool_timeout_s = 5;      // longest wait for a free (or new) connection before a 503
    int connect_timeout_s = 10;  // one connection attempt; also the start-up wait for the database
    int read_timeout_s = 30;     // one statement's answer
    int busy_timeout_ms = 5000;  // SQLite lock wait
    int sqlite_cache_mb = 8;     // SQLite: all connections' page caches together (soft limit)
};

struct storage_settings {
    std::string audio_path;   // default: <data_path>/storage/audio
    std::string public_path;  // default: <data_path>/storage/public
    std::string temp_path;    // default: <data_path>/storage/temp
    int max_file_size_mb = 50;
};

struct auth_settings {
    std::string jwt_secret;  // empty in development: generated and kept in <data_path>
    int jwt_ttl_min = 60;
    int jwt_refresh_ttl_min = 20160;
    int jwt_leeway_s = 0;
    int jwt_blacklist_grace_s = 30;
    int bcrypt_cost = 12;
};

struct websocket_settings {
    int ping_interval_s = 30;       // protocol-level Ping frames
    int activity_timeout_s = 120;   // close a socket that sent nothing (not even a pong) this long
    int max_connections = 1000;     // handshakes beyond this get 503
    int max_queue_bytes = 1048576;  // a socket whose unsent data exceeds this is closed (slow consumer)
    int max_message_bytes = 65536;  // largest client message
    int rate_per_s = 20;            // client messages per second per socket (token bucket)
    int rate_burst = 40;
    int history_size = 256;           // events kept per room for replay after a reconnect
    int history_max_bytes = 1048576;  // and at most this many bytes of them per room
};

struct playback_settings {
    bool auto_advance = true;          // a server timer moves to the next track when one ends
    int auto_advance_grace_ms = 1000;  // waited after the end before advancing
};

// The Redis event bus between replicas. Off (in-process delivery) unless REDIS_URL or
// REDIS_HOST is set; config/redis_endpoint.hpp turns these into one endpoint.
struct redis_settings {
    std::string url;   // redis://[:password@]host[:port][/db]
    std::string host;  // alternative to url
    int port = 6379;
    std::string password;               // wins over a password in url
    int db = -1;                        // -1: the url's, else 0
    std::string key_prefix = "spotik";  // keys and channel names start with this
    int timeout_ms = 2000;              // connect and command timeout
    bool enabled() const { return !url.empty() || !host.empty(); }
};

// Abuse controls (src/limits): one switch for all of them, on by default except with
// APP_ENV=test (where test suites make thousands of requests from one address).
struct limit_settings {
    bool enabled = true;
    int requests_per_window = 1000;  // per client: the user for a valid token, else the address
    int window_s = 3600;
    int burst = 100;             // requests allowed at once on top of the steady rate
    int login_max_attempts = 5;  // failed logins per email and address before a lockout
    int login_lockout_s = 30;    // first lockout; doubles with every further failure
    int login_lockout_max_s = 900;
    int uploads_per_user = 2;           // uploads one user may have in progress at once
    int ws_handshakes_per_minute = 60;  // per address
    int ws_handshake_burst = 30;
};

struct log_settings {
    std::string level = "info";   // trace | debug | info | warn | error | critical | off
    std::string format = "json";  // json | text
    std::string file;             // empty: stdout
};

struct config {
    app_settings app;
    server_settings server;
    database_settings database;
    storage_settings storage;
    auth_settings auth;
    playback_settings playback;
    websocket_settings websocket;
    redis_settings redis;
    limit_settings limits;
    log_settings log;

    bool production() const { return app.env == "production"; }
};

}  // namespace spotik::config
