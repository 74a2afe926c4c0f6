// Opening and configuring SQLite connections and caching their prepared statements.
// Throws store_unavailable when the file cannot be opened or stays locked, sqlite::error
// for any other SQLite failure.
#include "storage/sqlite/connection.hpp"

#include <sqlite3.h>

namespace spotik::storage::sqlite {

void connection::db_closer::operator()(sqlite3* db) const noexcept
{
    sqlite3_close_v2(db);
}

void connection::stmt_finalizer::operator()(sqlite3_stmt* stmt) const noexcept
{
    sqlite3_finalize(stmt);
}

connection::connection(const std::string& path, int busy_timeout_ms)
{
    sqlite3* raw = nullptr;
    // NOMUTEX: the pool guarantees a connection is used by one thread at a time.
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) throw_error(nullptr, rc, "open database");
    configure(busy_timeout_ms);
}

connection::~connection() = default;

void connection::configure(int busy_timeout_ms)
{
    sqlite3_extended_result_codes(db_.get(), 1);
    sqlite3_busy_timeout(db_.get(), busy_timeout_ms);
    exec("PRAGMA foreign_keys=ON", "enable foreign keys");
    exec("PRAGMA journal_mode=WAL", "enable WAL");
    // In WAL mode NORMAL keeps every committed transaction when the process is killed (SIGKILL,
    // crash); only a power loss or OS crash may take the last ones back.
    exec("PRAGMA synchronous=NORMAL", "set synchronous");
    // A library built without foreign key support would silently ignore the pragma.
    statement check = prepare("PRAGMA foreign_keys");
    if (!check.step() || check.integer(0) != 1) {
        throw error(SQLITE_MISUSE, "sqlite: foreign keys are not supported by this SQLite build");
    }
}

statement connection::prepare(std::string_view sql)
{
    auto found = cache_.find(sql);
    if (found != cache_.end() && !found->second.in_use) {
        found->second.in_use = true;
        return {found->second.stmt.get(), &found->second.in_use, false};
    }
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &raw, nullptr);
    std::unique_ptr<sqlite3_stmt, stmt_finalizer> fresh(raw);
    if (rc != SQLITE_OK) throw_error(db_.get(), rc, sql);
    if (!fresh) throw error(SQLITE_MISUSE, "sqlite: empty statement");
    if (found != cache_.end()) {
        // The cached copy is borrowed by an enclosing caller: use a private one.
        return {fresh.release(), nullptr, true};
    }
    auto& entry = cache_[std::string(sql)];
    entry.stmt = std::move(fresh);
    entry.in_use = true;
    return {raw, &entry.in_use, false};
}

void connection::exec(const char* sql, std::string_view context)
{
    const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) throw_error(db_.get(), rc, context);
}

bool connection::in_transaction() const noexcept
{
    return sqlite3_get_autocommit(db_.get()) == 0;
}

}  // namespace spotik::storage::sqlite
