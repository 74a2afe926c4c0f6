// The table of environment variables and the setters behind it (the text checks they share are
// in value_text): whole numbers, booleans, fixed choices, URLs, addresses and CORS origin lists.
// A bad value yields a message, never an exception (only std::bad_alloc can escape).
#include "config/variables.hpp"

#include "config/database_url.hpp"
#include "config/redis_endpoint.hpp"
#include "config/value_text.hpp"
#include "util/ip_range.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <initializer_list>

namespace spotik::config {
namespace {

using kind = sensitivity;
using text::is_http_url;
using text::is_origin;
using text::lower;
using text::parse_bool;
using text::parse_whole;
using text::shown;
using text::trim;

// Stores the lower-cased text in field if it is one of allowed.
std::optional<std::string> set_choice(std::string& field, std::string_view text,
                                      std::initializer_list<std::string_view> allowed)
{
    const std::string t = lower(text);
    if (std::find(allowed.begin(), allowed.end(), t) != allowed.end()) {
        field = t;
        return std::nullopt;
    }
    std::string list;
    for (std::string_view a : allowed) list += (list.empty() ? "" : " | ") + std::string(a);
    return "expected one of " + list + ", got " + shown(text);
}

template <auto Section, auto Field, long long Lo, long long Hi>
std::optional<std::string> set_int(config& cfg, std::string_view text)
{
    const auto value = parse_whole(text);
    if (!value || *value < Lo || *value > Hi)
        return "expected a whole number from " + std::to_string(Lo) + " to " + std::to_string(Hi) + ", got " +
               shown(text);
    (cfg.*Section).*Field = static_cast<int>(*value);
    return std::nullopt;
}

template <auto Section, auto Field>
std::string get_int(const config& cfg)
{
    return std::to_string((cfg.*Section).*Field);
}

template <auto Section, auto Field>
std::optional<std::string> set_bool(config& cfg, std::string_view text)
{
    const auto value = parse_bool(text);
    if (!value) return "expected true/false, 1/0, yes/no or on/off, got " + shown(text);
    (cfg.*Section).*Field = *value;
    return std::nullopt;
}

template <auto Section, auto Field>
std::string get_bool(const config& cfg)
{
    return (cfg.*Section).*Field ? "true" : "false";
}

// Free text; AllowEmpty says whether an empty (or blank) value is meaningful.
template <auto Section, auto Field, bool AllowEmpty>
std::optional<std::string> set_text(config& cfg, std::string_view text)
{
    if (!AllowEmpty && trim(text).empty()) return std::string("must not be empty");
    (cfg.*Section).*Field = std::string(text);
    return std::nullopt;
}

template <auto Section, auto Field>
std::string get_text(const config& cfg)
{
    return (cfg.*Section).*Field;
}

std::optional<std::string> set_app_env(config& cfg, std::string_view text)
{
    return set_choice(cfg.app.env, text, {"development", "production", "test"});
}

std::optional<std::string> set_log_level(config& cfg, std::string_view text)
{
    return set_choice(cfg.log.level, text, {"trace", "debug", "info", "warn", "error", "critical", "off"});
}

std::optional<std::string> set_log_format(config& cfg, std::string_view text)
{
    return set_choice(cfg.log.format, text, {"json", "text"});
}

std::optional<std::string> set_db_driver(config& cfg, std::string_view text)
{
    return set_choice(cfg.database.driver, text, {"sqlite", "postgres"});
}

// Secret (it may hold a password): the problem never quotes the value. Empty means unset.
std::optional<std::string> set_database_url(config& cfg, std::string_view text)
{
    if (text.find_first_of(" \t\r\n") != std::string_view::npos)
        return std::string("must not contain spaces or line breaks");
    std::string url(text);
    if (!url.empty())
        if (auto problem = normalize_database_url(url)) return problem;
    cfg.database.url = std::move(url);
    return std::nullopt;
}

// The listener binds an IP address, not a name: "localhost" would pass here and fail only
// after the database was opened. An IPv6 address may come in brackets ([::]), stored without.
std::optional<std::string> set_server_host(config& cfg, std::string_view text)
{
    std::string_view address = trim(text);
    if (address.size() > 2 && address.front() == '[' && address.back() == ']')
        address = address.substr(1, address.size() - 2);
    boost::system::error_code ec;
    boost::asio::ip::make_address(std::string(address), ec);
    if (ec) return "expected an IPv4 or IPv6 address such as 0.0.0.0, 127.0.0.1 or ::, got " + shown(text);
    cfg.server.host = std::string(address);
    return std::nullopt;
}

std::optional<std::string> set_app_url(config& cfg, std::string_view text)
{
    if (!is_http_url(text)) return "expected an http:// or https:// URL, got " + shown(text);
    cfg.app.url = std::string(text);
    return std::nullopt;
}

// Comma separated; items trimmed, empty items skipped, one trailing '/' dropped (browsers send
// origins without it). An empty list allows no cross-origin requests.
std::optional<std::string> set_cors(config& cfg, std::string_view text)
{
    std::vector<std::string> origins;
    for (std::size_t start = 0; start <= text.size();) {
        const auto comma = std::min(text.find(',', start), text.size());
        std::string_view item = trim(text.substr(start, comma - start));
        start = comma + 1;
        if (item.empty()) continue;
        if (item.size() > 1 && item.ends_with('/')) item.remove_suffix(1);
        if (item != "*" && !is_origin(item))
            return shown(item) + " is not an origin like https://example.com:8080 or *";
        origins.emplace_back(item);
    }
    cfg.server.cors_origins = std::move(origins);
    return std::nullopt;
}

std::string get_cors(const config& cfg)
{
    std::string out;
    for (const auto& o : cfg.server.cors_origins) out += (out.empty() ? "" : ",") + o;
    return out;
}

std::optional<std::string> set_trusted_proxies(config& cfg, std::string_view text)
{
    util::ip_range_list parsed;
    if (auto problem = util::ip_range_list::parse(text, parsed)) return problem;
    std::vector<std::string> items;
    for (std::size_t start = 0; start <= text.size();) {
        const auto end = std::min(text.find_first_of(", \t", start), text.size());
        if (end > start) items.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    cfg.server.trusted_proxies = std::move(items);
    return std::nullopt;
}

std::string get_trusted_proxies(const config& cfg)
{
    std::string out;
    for (const auto& p : cfg.server.trusted_proxies) out += (out.empty() ? "" : ",") + p;
    return out;
}

// The URL may hold the password: the message never quotes it.
std::optional<std::string> set_redis_url(config& cfg, std::string_view text)
{
    redis_settings probe;
    probe.url = std::string(trim(text));
    std::string problem;
    if (!probe.url.empty() && !redis_endpoint_of(probe, problem)) return problem.substr(problem.find(": ") + 2);
    cfg.redis.url = probe.url;
    return std::nullopt;
}

std::optional<std::string> set_redis_db(config& cfg, std::string_view text)
{
    const auto value = parse_whole(text);
    if (!value || *value > 1000) return "expected a database number from 0 to 1000, got " + shown(text);
    cfg.redis.db = static_cast<int>(*value);
    return std::nullopt;
}

std::string get_redis_db(const config& cfg)
{
    return cfg.redis.db < 0 ? std::string() : std::to_string(cfg.redis.db);
}

template <auto Section, auto Field, long long Lo, long long Hi>
constexpr variable int_var(std::string_view name, std::string_view description, std::string_view note = {})
{
    return {name, note, description, kind::plain, &set_int<Section, Field, Lo, Hi>, &get_int<Section, Field>};
}

template <auto Section, auto Field>
constexpr variable bool_var(std::string_view name, std::string_view description)
{
    return {name, {}, description, kind::plain, &set_bool<Section, Field>, &get_bool<Section, Field>};
}

template <auto Section, auto Field, bool AllowEmpty>
constexpr variable text_var(std::string_view name, std::string_view description, kind k = kind::plain,
                            std::string_view note = {})
{
    return {name, note, description, k, &set_text<Section, Field, AllowEmpty>, &get_text<Section, Field>};
}

using C = config;
using app = app_settings;
using srv = server_settings;
using db = database_settings;
using sto = storage_settings;
using au = auth_settings;
using lg = log_settings;
using pb = playback_settings;
using ws = websocket_settings;
using rd = redis_settings;
using lim = limit_settings;

constexpr variable k_variables[] = {
    text_var<&C::app, &app::name, false>("APP_NAME", "Name reported by GET /api and in logs"),
    {"APP_ENV",
     {},
     "development | production | test; production requires a strong JWT_SECRET",
     kind::plain,
     &set_app_env,
     &get_text<&C::app, &app::env>},
    bool_var<&C::app, &app::debug>("APP_DEBUG", "Verbose errors and logging (true/false/1/0/yes/no/on/off)"),
    {"APP_URL",
     {},
     "Public base URL of the server (http:// or https://)",
     kind::plain,
     &set_app_url,
     &get_text<&C::app, &app::url>},
    text_var<&C::app, &app::data_path, false>("DATA_PATH", "Directory for the database, generated secrets and storage",
                                              kind::path),
    {"SERVER_HOST",
     {},
     "IP address to listen on (IPv4 or IPv6, not a host name)",
     kind::plain,
     &set_server_host,
     &get_text<&C::server, &srv::host>},
    int_var<&C::server, &srv::port, 0, 65535>("SERVER_PORT", "TCP port, 1-65535; 0 picks a free port (tests)"),
    int_var<&C::server, &srv::threads, 0, 256>("SERVER_THREADS", "I/O threads, 0-256; 0 uses one per core",
                                               "0 (one per core)"),
    int_var<&C::server, &srv::header_timeout_s, 1, 3600>("HTTP_HEADER_TIMEOUT",
                                                         "Seconds for a request line and headers to arrive"),
    int_var<&C::server, &srv::body_timeout_s, 1, 86400>("HTTP_BODY_TIMEOUT", "Seconds for a request body to arrive"),
    int_var<&C::server, &srv::idle_timeout_s, 1, 86400>("HTTP_IDLE_TIMEOUT",
                                                        "Seconds an idle keep-alive connection is kept open"),
    int_var<&C::server, &srv::max_header_bytes, 1024, 1048576>("HTTP_MAX_HEADER_BYTES",
                                                               "Largest request line + headers, in bytes"),
    int_var<&C::server, &srv::max_body_bytes, 1024, 1073741824>(
        "HTTP_MAX_BODY_BYTES", "Largest JSON or form body, in bytes (uploads use MAX_FILE_SIZE_MB)"),
    int_var<&C::server, &srv::shutdown_timeout_s, 0, 3600>("SHUTDOWN_TIMEOUT",
                                                           "Seconds to drain connections after SIGTERM"),
    {"CORS_ORIGINS",
     {},
     "Allowed browser origins, comma separated; * allows any, empty allows none",
     kind::plain,
     &set_cors,
     &get_cors},
    {"DB_DRIVER",
     {},
     "sqlite | postgres; a DATABASE_URL alone selects postgres",
     kind::plain,
     &set_db_driver,
     &get_text<&C::database, &db::driver>},
    text_var<&C::database, &db::sqlite_path, true>("DB_PATH", "SQLite database file", kind::path,
                                                   "<DATA_PATH>/spotik.db"),
    {"DATABASE_URL", "(none)", "PostgreSQL URL postgres://user:password@host:port/name; its parts win over DB_*",
     kind::secret, &set_database_url, &get_text<&C::database, &db::url>},
    text_var<&C::database, &db::host, false>("DB_HOST", "PostgreSQL host name, address or unix socket directory"),
    int_var<&C::database, &db::port, 1, 65535>("DB_PORT", "PostgreSQL port, 1-65535"),
    text_var<&C::database, &db::name, false>("DB_NAME", "PostgreSQL database name"),
    text_var<&C::database, &db::name, false>("DB_DATABASE", "Another name for DB_NAME"),
    text_var<&C::database, &db::user, false>("DB_USER", "PostgreSQL user"),
    text_var<&C::database, &db::user, false>("DB_USERNAME", "Another name for DB_USER"),
    text_var<&C::database, &db::password, true>("DB_PASSWORD", "PostgreSQL password", kind::secret, "(none)"),
    int_var<&C::database, &db::pool_min, 0, 256>("DB_POOL_MIN", "PostgreSQL connections kept open, 0-256"),
    int_var<&C::database, &db::pool_max, 1, 256>(
        "DB_POOL_MAX", "Threads that run blocking database work, and the most PostgreSQL connections, 1-256"),
    int_var<&C::database, &db::pool_timeout_s, 1, 3600>(
        "DB_POOL_TIMEOUT", "Seconds a request waits for a PostgreSQL connection before it is answered 503"),
    int_var<&C::database, &db::connect_timeout_s, 1, 3600>(
        "DB_CONNECT_TIMEOUT", "Seconds for one PostgreSQL connection attempt; also the start-up wait for the database"),
    int_var<&C::database, &db::read_timeout_s, 1, 86400>("DB_READ_TIMEOUT",
                                                         "Seconds a PostgreSQL statement may take to answer"),
    int_var<&C::database, &db::busy_timeout_ms, 0, 600000>("DB_BUSY_TIMEOUT_MS",
                                                           "Milliseconds SQLite waits for a locked database"),
    int_var<&C::database, &db::sqlite_cache_mb, 0, 65536>(
        "DB_CACHE_MB", "MiB of memory SQLite may use for all its connections' page caches together; 0: 2 MiB each"),
    text_var<&C::storage, &sto::audio_path, true>("AUDIO_STORAGE_PATH", "Directory of uploaded audio files", kind::path,
                                                  "<DATA_PATH>/storage/audio"),
    text_var<&C::storage, &sto::public_path, true>("PUBLIC_STORAGE_PATH", "Directory of public files (room covers)",
                                                   kind::path, "<DATA_PATH>/storage/public"),
    text_var<&C::storage, &sto::temp_path, true>("TEMP_STORAGE_PATH",
                                                 "Directory of uploads in progress (same filesystem as audio)",
                                                 kind::path, "<DATA_PATH>/storage/temp"),
    int_var<&C::storage, &sto::max_file_size_mb, 1, 2048>("MAX_FILE_SIZE_MB", "Largest audio upload in MiB, 1-2048"),
    text_var<&C::auth, &au::jwt_secret, true>(
        "JWT_SECRET", "HS256 signing key, 32+ bytes; required in production (random: 8+ different characters)",
        kind::secret, "(none)"),
    int_var<&C::auth, &au::jwt_ttl_min, 6, 525600>("JWT_TTL", "Access token lifetime in minutes, more than 5"),
    int_var<&C::auth, &au::jwt_refresh_ttl_min, 6, 5256000>(
        "JWT_REFRESH_TTL", "Minutes after login during which a token may be refreshed, >= JWT_TTL"),
    int_var<&C::auth, &au::jwt_leeway_s, 0, 30>("JWT_LEEWAY", "Clock skew allowed when checking tokens, 0-30 s"),
    int_var<&C::auth, &au::jwt_blacklist_grace_s, 0, 3600>(
        "JWT_BLACKLIST_GRACE_PERIOD", "Seconds a refreshed token still works (a logged-out one stops at once), 0-3600"),
    int_var<&C::auth, &au::bcrypt_cost, 4, 31>("BCRYPT_COST", "bcrypt work factor for new password hashes, 4-31"),
    bool_var<&C::playback, &pb::auto_advance>("AUTO_ADVANCE",
                                              "Advance to the next track by itself when one ends (true/false)"),
    int_var<&C::playback, &pb::auto_advance_grace_ms, 0, 60000>(
        "AUTO_ADVANCE_GRACE_MS", "Milliseconds waited after a track's end before advancing, 0-60000"),
    int_var<&C::websocket, &ws::ping_interval_s, 1, 3600>("WS_PING_INTERVAL", "Seconds between WebSocket Ping frames"),
    int_var<&C::websocket, &ws::activity_timeout_s, 2, 86400>(
        "WS_ACTIVITY_TIMEOUT", "Seconds without any frame (pongs included) before a socket is closed"),
    int_var<&C::websocket, &ws::max_connections, 1, 1000000>("WS_MAX_CONNECTIONS",
                                                             "Open WebSockets allowed; more get 503"),
    int_var<&C::websocket, &ws::max_queue_bytes, 1024, 1073741824>(
        "WS_MAX_QUEUE_BYTES", "Unsent bytes allowed per socket before it is closed as too slow"),
    int_var<&C::websocket, &ws::max_message_bytes, 256, 16777216>("WS_MAX_MESSAGE_BYTES",
                                                                  "Largest message a client may send"),
    int_var<&C::websocket, &ws::rate_per_s, 1, 100000>("WS_RATE_LIMIT", "Client messages per second per socket"),
    int_var<&C::websocket, &ws::rate_burst, 1, 100000>("WS_RATE_BURST", "Burst of client messages per socket"),
    int_var<&C::websocket, &ws::history_size, 1, 100000>("WS_HISTORY_SIZE",
                                                         "Events kept per room for replay after a reconnect"),
    int_var<&C::websocket, &ws::history_max_bytes, 1024, 1073741824>(
        "WS_HISTORY_MAX_BYTES", "Bytes of events kept per room for replay (the newest event always is)"),
    bool_var<&C::limits, &lim::enabled>("RATE_LIMITING_ENABLED",
                                        "Request, login, upload and handshake limits (default off with APP_ENV=test)"),
    int_var<&C::limits, &lim::requests_per_window, 1, 100000000>(
        "MAX_REQUESTS_PER_HOUR", "Requests per client per RATE_LIMIT_TIME_WINDOW (time, streams, sockets exempt)"),
    int_var<&C::limits, &lim::window_s, 1, 86400>("RATE_LIMIT_TIME_WINDOW", "Seconds MAX_REQUESTS_PER_HOUR applies to"),
    int_var<&C::limits, &lim::burst, 1, 1000000>("RATE_LIMIT_BURST", "Requests a client may make at once"),
    int_var<&C::limits, &lim::login_max_attempts, 1, 1000>("LOGIN_MAX_ATTEMPTS",
                                                           "Failed logins per email and address before a lockout"),
    int_var<&C::limits, &lim::login_lockout_s, 1, 86400>("LOGIN_LOCKOUT_SECONDS",
                                                         "First login lockout; doubles with each further failure"),
    int_var<&C::limits, &lim::login_lockout_max_s, 1, 604800>("LOGIN_LOCKOUT_MAX_SECONDS", "Longest login lockout"),
    int_var<&C::limits, &lim::uploads_per_user, 1, 1000>("MAX_CONCURRENT_UPLOADS",
                                                         "Uploads one user may have in progress at once"),
    int_var<&C::limits, &lim::ws_handshakes_per_minute, 1, 1000000>("WS_HANDSHAKES_PER_MINUTE",
                                                                    "WebSocket handshakes per client address"),
    int_var<&C::limits, &lim::ws_handshake_burst, 1, 1000000>("WS_HANDSHAKE_BURST",
                                                              "WebSocket handshakes an address may make at once"),
    {"TRUSTED_PROXIES",
     {},
     "Proxy addresses or CIDR ranges whose X-Forwarded-For / X-Real-IP are believed",
     kind::plain,
     &set_trusted_proxies,
     &get_trusted_proxies},
    {"REDIS_URL", "(none: in-process bus)", "redis://[:password@]host[:port][/db]: the event bus between replicas",
     kind::secret, &set_redis_url, &get_text<&C::redis, &rd::url>},
    text_var<&C::redis, &rd::host, true>("REDIS_HOST", "Redis host, when REDIS_URL is not set (enables the bus)",
                                         kind::plain, "(none)"),
    int_var<&C::redis, &rd::port, 1, 65535>("REDIS_PORT", "Redis port, with REDIS_HOST"),
    text_var<&C::redis, &rd::password, true>("REDIS_PASSWORD", "Redis password (wins over the one in REDIS_URL)",
                                             kind::secret, "(none)"),
    {"REDIS_DB", "0 (or the REDIS_URL's)", "Redis database number", kind::plain, &set_redis_db, &get_redis_db},
    text_var<&C::redis, &rd::key_prefix, false>("REDIS_PREFIX", "Prefix of the bus's Redis keys and channel"),
    int_var<&C::redis, &rd::timeout_ms, 50, 60000>("REDIS_TIMEOUT_MS", "Redis connect and command timeout in ms"),
    {"LOG_LEVEL",
     {},
     "trace | debug | info | warn | error | critical | off",
     kind::plain,
     &set_log_level,
     &get_text<&C::log, &lg::level>},
    {"LOG_FORMAT", {}, "json | text", kind::plain, &set_log_format, &get_text<&C::log, &lg::format>},
    text_var<&C::log, &lg::file, true>("LOG_FILE", "Log file; empty writes to stdout", kind::path, "(stdout)"),
};

}  // namespace

std::span<const variable> variables()
{
    return k_variables;
}

const variable* find_variable(std::string_view name)
{
    for (const auto& v : k_variables)
        if (v.name == name) return &v;
    return nullptr;
}

std::string default_text(const variable& v)
{
    if (!v.default_note.empty()) return std::string(v.default_note);
    std::string text = v.get(config{});
    return text.empty() ? "(empty)" : text;
}

}  // namespace spotik::config
