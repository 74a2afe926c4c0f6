// libpq keywords and pool sizes from config::database_settings (see conninfo.hpp), and the
// texts (URL, passwords, socket directory) kept out of libpq's messages.
#include "storage/postgres/conninfo.hpp"

#include "config/database_url.hpp"

#include <algorithm>

namespace spotik::storage::pg {

connect_settings connect_settings_from(const config::database_settings& db)
{
    connect_settings out;
    auto& kw = out.keywords;
    kw = {{"host", db.host}, {"port", std::to_string(db.port)}, {"user", db.user}};
    if (!db.password.empty()) kw.emplace_back("password", db.password);
    // libpq expands the first dbname that looks like a URL; its parts then override the above.
    kw.emplace_back("dbname", db.url.empty() ? db.name : db.url);
    const std::string timeout_ms = std::to_string(static_cast<long long>(db.read_timeout_s) * 1000);
    kw.insert(kw.end(), {{"client_encoding", "UTF8"},
                         {"application_name", "spotik"},
                         {"options", "-c statement_timeout=" + timeout_ms + " -c TimeZone=UTC"},
                         {"keepalives", "1"},
                         {"keepalives_idle", "30"},
                         {"keepalives_interval", "10"},
                         {"keepalives_count", "3"}});
    // libpq's messages may quote the URL (or its password); the longest texts go first, so a
    // URL is hidden whole rather than around its hidden password.
    out.hidden = config::database_url_secrets(db.url);
    if (!db.password.empty()) out.hidden.push_back(db.password);
    if (db.host.starts_with('/')) out.hidden.push_back(db.host);
    std::stable_sort(out.hidden.begin(), out.hidden.end(),
                     [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    out.read_timeout = std::chrono::seconds(db.read_timeout_s);
    return out;
}

pool_settings pool_settings_from(const config::database_settings& db)
{
    return {db.pool_min, db.pool_max, std::chrono::seconds(db.pool_timeout_s),
            std::chrono::seconds(db.connect_timeout_s)};
}

}  // namespace spotik::storage::pg
