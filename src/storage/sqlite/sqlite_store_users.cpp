// sqlite_store: users and token revocation (jwt_blacklist). Duplicate usernames and emails
// are outcomes, not exceptions; other failures throw store_unavailable or storage_error.
#include "storage/sqlite/connection_pool.hpp"
#include "storage/sqlite/rows.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/sqlite/transaction.hpp"

#include <sqlite3.h>

#include <string>

namespace spotik::storage {
namespace {

bool exists(sqlite::connection& conn, const char* sql, std::string_view value)
{
    auto stmt = conn.prepare(sql);
    stmt.bind(1, value);
    return stmt.step() && stmt.boolean(0);
}

std::optional<create_user_outcome> taken(sqlite::connection& conn, const user_record& user)
{
    if (exists(conn, "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?)", user.username)) {
        return create_user_outcome::username_taken;
    }
    if (exists(conn, "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?)", user.email)) {
        return create_user_outcome::email_taken;
    }
    return std::nullopt;
}

// Maps "UNIQUE constraint failed: users.<column>" to its outcome; other errors are rethrown.
create_user_outcome unique_violation(const sqlite::error& failure)
{
    const std::string message = failure.what();
    if (failure.code() == SQLITE_CONSTRAINT_UNIQUE) {
        if (message.find("users.username") != std::string::npos) return create_user_outcome::username_taken;
        if (message.find("users.email") != std::string::npos) return create_user_outcome::email_taken;
    }
    throw failure;
}

std::optional<user_record> find_one_user(sqlite::connection& conn, const std::string& sql, std::string_view key)
{
    auto stmt = conn.prepare(sql);
    stmt.bind(1, key);
    if (!stmt.step()) return std::nullopt;
    return sqlite::read_user(stmt);
}

}  // namespace

create_user_outcome sqlite_store::create_user(const user_record& user)
{
    auto conn = pool_->acquire();
    sqlite::transaction txn(*conn);
    if (auto outcome = taken(*conn, user)) return *outcome;
    try {
        conn->prepare(
                "INSERT INTO users (id, username, email, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)")
            .bind_all(user.id, user.username, user.email, user.password_hash, user.created_at, user.updated_at)
            .run();
    } catch (const sqlite::error& failure) {
        return unique_violation(failure);
    }
    txn.commit();
    return create_user_outcome::created;
}

std::optional<user_record> sqlite_store::find_user(std::string_view id)
{
    static const std::string sql = std::string("SELECT ") + sqlite::k_user_columns + " FROM users u WHERE u.id = ?";
    auto conn = pool_->acquire();
    return find_one_user(*conn, sql, id);
}

std::optional<user_record> sqlite_store::find_user_by_email(std::string_view email)
{
    static const std::string sql = std::string("SELECT ") + sqlite::k_user_columns + " FROM users u WHERE u.email = ?";
    auto conn = pool_->acquire();
    return find_one_user(*conn, sql, email);
}

void sqlite_store::revoke_token(std::string_view jti, std::int64_t expires_at, std::int64_t effective_from)
{
    auto conn = pool_->acquire();
    // created_at holds the instant the revocation takes effect; a second revocation can only
    // bring it earlier, and the row lives until the later expiry.
    conn->prepare(
            "INSERT INTO jwt_blacklist (jti, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (jti) DO UPDATE SET "
            "expires_at = MAX(expires_at, excluded.expires_at), "
            "created_at = MIN(created_at, excluded.created_at), updated_at = excluded.updated_at")
        .bind_all(jti, expires_at, effective_from, effective_from)
        .run();
}

bool sqlite_store::is_token_revoked(std::string_view jti, std::int64_t now)
{
    auto conn = pool_->acquire();
    auto stmt = conn->prepare("SELECT EXISTS (SELECT 1 FROM jwt_blacklist WHERE jti = ? AND created_at <= ?)");
    stmt.bind_all(jti, now);
    return stmt.step() && stmt.boolean(0);
}

token_holder sqlite_store::find_token_holder(std::string_view jti, std::string_view user_id, std::int64_t now)
{
    // One row whether or not the user exists: the user's columns (NULL without one), then the flag.
    static const std::string sql = std::string("SELECT ") + sqlite::k_user_columns +
                                   ", EXISTS (SELECT 1 FROM jwt_blacklist WHERE jti = ? AND created_at <= ?) "
                                   "FROM (SELECT 1) LEFT JOIN users u ON u.id = ?";
    auto conn = pool_->acquire();
    auto stmt = conn->prepare(sql);
    stmt.bind_all(jti, now, user_id);
    if (!stmt.step()) throw storage_error("sqlite: token holder query returned no row");
    token_holder out;
    out.revoked = stmt.boolean(sqlite::k_user_column_count);
    if (stmt.optional_text(0)) out.user = sqlite::read_user(stmt);
    return out;
}

std::vector<std::string> sqlite_store::tokens_revoked_between(std::int64_t after, std::int64_t until)
{
    auto conn = pool_->acquire();
    auto stmt = conn->prepare("SELECT jti FROM jwt_blacklist WHERE created_at > ? AND created_at <= ?");
    stmt.bind_all(after, until);
    std::vector<std::string> jtis;
    while (stmt.step()) jtis.push_back(stmt.text(0));
    return jtis;
}

std::int64_t sqlite_store::purge_expired_tokens(std::int64_t now)
{
    auto conn = pool_->acquire();
    return conn->prepare("DELETE FROM jwt_blacklist WHERE expires_at < ?").bind_all(now).run();
}

}  // namespace spotik::storage
