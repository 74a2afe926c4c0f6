// DATABASE_URL read with libpq's own parser (PQconninfoParse, which opens no connection), so
// that a URL libpq cannot read stops start-up as a configuration error rather than as a
// connection failure retried for DB_CONNECT_TIMEOUT, and so that the texts a message must never
// show (the URL, its password) are known. Nothing here throws except std::bad_alloc.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spotik::config {

// Checks url and lower-cases its scheme (libpq reads only postgres:// and postgresql:// and
// takes any other spelling for a database name). The problem never quotes the URL.
std::optional<std::string> normalize_database_url(std::string& url);

// The texts of url that no message may show, longest first: the URL itself and its password
// (as written and as decoded). Empty for an empty URL.
std::vector<std::string> database_url_secrets(const std::string& url);

}  // namespace spotik::config
