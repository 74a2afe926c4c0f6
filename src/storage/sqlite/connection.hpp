// One SQLite connection configured for Spotik (WAL, foreign keys, busy timeout) with a cache
// of prepared statements keyed by SQL text. Used by one thread at a time (see connection_pool).
// The constructor, prepare() and exec() throw store_unavailable or sqlite::error.
#pragma once
#include "storage/sqlite/statement.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace spotik::storage::sqlite {

class connection {
public:
    connection(const std::string& path, int busy_timeout_ms);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    // A cached statement for `sql` (one SQL statement, parameters bound by the caller).
    statement prepare(std::string_view sql);
    // Runs a script of one or more statements without caching; `context` names it in errors.
    void exec(const char* sql, std::string_view context);

    bool in_transaction() const noexcept;
    sqlite3* handle() const noexcept { return db_.get(); }
    // A connection whose state is unknown (failed rollback) is closed instead of reused.
    void mark_broken() noexcept { broken_ = true; }
    bool broken() const noexcept { return broken_; }

private:
    struct db_closer {
        void operator()(sqlite3* db) const noexcept;
    };
    struct stmt_finalizer {
        void operator()(sqlite3_stmt* stmt) const noexcept;
    };
    struct cached_statement {
        std::unique_ptr<sqlite3_stmt, stmt_finalizer> stmt;
        bool in_use = false;
    };

    void configure(int busy_timeout_ms);

    std::unique_ptr<sqlite3, db_closer> db_;
    // Declared after db_ so the statements are finalized before the connection closes.
    std::map<std::string, cached_statement, std::less<>> cache_;
    bool broken_ = false;
};

}  // namespace spotik::storage::sqlite
