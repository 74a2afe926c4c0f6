// Binding, stepping and column reads on a prepared SQLite statement, and the mapping of
// SQLite result codes to storage exceptions. Throws sqlite::error or store_unavailable.
#include "storage/sqlite/statement.hpp"

#include <sqlite3.h>

namespace spotik::storage::sqlite {
namespace {

constexpr std::size_t k_context_chars = 60;

bool is_unavailable(int rc)
{
    const int primary = rc & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_CANTOPEN;
}

// sqlite3_errmsg is only used where it names schema objects (constraint failures, SQL
// errors); for every other code the generic text is used so no path can leak.
std::string describe(sqlite3* db, int rc)
{
    const int primary = rc & 0xff;
    if (db != nullptr && (primary == SQLITE_CONSTRAINT || primary == SQLITE_ERROR)) {
        return sqlite3_errmsg(db);
    }
    return sqlite3_errstr(rc);
}

}  // namespace

void throw_error(sqlite3* db, int rc, std::string_view context)
{
    std::string message = "sqlite: ";
    message += describe(db, rc);
    message += " (";
    message += context.substr(0, k_context_chars);
    message += ")";
    if (is_unavailable(rc)) throw store_unavailable(message);
    throw error(rc, message);
}

statement::statement(sqlite3_stmt* stmt, bool* in_use, bool owned) noexcept
    : stmt_(stmt), in_use_(in_use), owned_(owned)
{
}

statement::~statement()
{
    if (owned_) {
        sqlite3_finalize(stmt_);
        return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (in_use_ != nullptr) *in_use_ = false;
}

void statement::check_bind(int rc) const
{
    if (rc != SQLITE_OK) throw_error(sqlite3_db_handle(stmt_), rc, "bind");
}

statement& statement::bind(int index, std::string_view value)
{
    // A null data pointer would bind SQL NULL; an empty view must bind ''.
    const char* data = value.data() != nullptr ? value.data() : "";
    check_bind(sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
}

statement& statement::bind(int index, std::int64_t value)
{
    check_bind(sqlite3_bind_int64(stmt_, index, value));
    return *this;
}

statement& statement::bind(int index, bool value)
{
    check_bind(sqlite3_bind_int(stmt_, index, value ? 1 : 0));
    return *this;
}

statement& statement::bind(int index, const std::optional<std::string>& value)
{
    if (value) return bind(index, std::string_view(*value));
    check_bind(sqlite3_bind_null(stmt_, index));
    return *this;
}

statement& statement::bind(int index, const std::optional<std::int64_t>& value)
{
    if (value) return bind(index, *value);
    check_bind(sqlite3_bind_null(stmt_, index));
    return *this;
}

bool statement::step()
{
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_error(sqlite3_db_handle(stmt_), rc, sqlite3_sql(stmt_));
}

std::int64_t statement::run()
{
    while (step()) {
    }
    return sqlite3_changes(sqlite3_db_handle(stmt_));
}

std::int64_t run_in_room(statement& stmt)
{
    try {
        return stmt.run();
    } catch (const error& e) {
        if (e.code() == SQLITE_CONSTRAINT_FOREIGNKEY) throw room_gone("sqlite: the room no longer exists");
        throw;
    }
}

std::string statement::text(int column) const
{
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) return {};
    return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::optional<std::string> statement::optional_text(int column) const
{
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return text(column);
}

std::int64_t statement::integer(int column) const
{
    return sqlite3_column_int64(stmt_, column);
}

std::optional<std::int64_t> statement::optional_integer(int column) const
{
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return integer(column);
}

}  // namespace spotik::storage::sqlite
