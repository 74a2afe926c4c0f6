// postgres_store: users and token revocation (jwt_blacklist). A duplicate username or email is
// an outcome: the insert skips on any unique conflict, then the username is checked first, as
// the SQLite driver does. Other failures throw store_unavailable or storage_error.
#include "storage/postgres/postgres_store.hpp"
#include "storage/postgres/rows.hpp"

#include <string>

namespace spotik::storage {
namespace {

std::optional<user_record> find_one_user(pg::connection& conn, const std::string& sql, std::string_view key)
{
    const auto res = conn.query(sql, pg::params(key));
    if (res.rows() == 0) return std::nullopt;
    return pg::read_user(pg::row(res, 0));
}

bool exists(pg::connection& conn, const char* sql, std::string_view value)
{
    return conn.query(sql, pg::params(value)).boolean(0, 0);
}

}  // namespace

create_user_outcome postgres_store::create_user(const user_record& user)
{
    static const std::string insert =
        "INSERT INTO users (id, username, email, password_hash, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, " +
        pg::at(5) + ", " + pg::at(6) + ") ON CONFLICT DO NOTHING";
    pg::require_uuids({user.id});
    auto conn = pool_->acquire();
    const auto res = conn->query(
        insert, pg::params(user.id, user.username, user.email, user.password_hash, user.created_at, user.updated_at));
    if (res.affected() == 1) return create_user_outcome::created;
    if (exists(*conn, "SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)", user.username))
        return create_user_outcome::username_taken;
    if (exists(*conn, "SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)", user.email))
        return create_user_outcome::email_taken;
    throw storage_error("postgres: a new user's id is already taken");
}

std::optional<user_record> postgres_store::find_user(std::string_view id)
{
    static const std::string sql = "SELECT " + pg::user_columns() + " FROM users u WHERE u.id = $1";
    if (!pg::all_uuids({id})) return std::nullopt;
    auto conn = pool_->acquire();
    return find_one_user(*conn, sql, id);
}

std::optional<user_record> postgres_store::find_user_by_email(std::string_view email)
{
    static const std::string sql = "SELECT " + pg::user_columns() + " FROM users u WHERE u.email = $1";
    if (email.find('\0') != std::string_view::npos) return std::nullopt;
    auto conn = pool_->acquire();
    return find_one_user(*conn, sql, email);
}

void postgres_store::revoke_token(std::string_view jti, std::int64_t expires_at, std::int64_t effective_from)
{
    // created_at holds the instant the revocation takes effect; a second revocation can only
    // bring it earlier, and the row lives until the later expiry.
    static const std::string sql =
        "INSERT INTO jwt_blacklist (jti, expires_at, created_at, updated_at) VALUES ($1, " + pg::at(2) + ", " +
        pg::at(3) + ", " + pg::at(3) +
        ") ON CONFLICT (jti) DO UPDATE SET "
        "expires_at = GREATEST(jwt_blacklist.expires_at, excluded.expires_at), "
        "created_at = LEAST(jwt_blacklist.created_at, excluded.created_at), updated_at = excluded.updated_at";
    auto conn = pool_->acquire();
    conn->query(sql, pg::params(jti, expires_at, effective_from));
}

bool postgres_store::is_token_revoked(std::string_view jti, std::int64_t now)
{
    static const std::string sql =
        "SELECT EXISTS (SELECT 1 FROM jwt_blacklist WHERE jti = $1 AND created_at <= " + pg::at(2) + ")";
    if (jti.find('\0') != std::string_view::npos) return false;
    auto conn = pool_->acquire();
    return conn->query(sql, pg::params(jti, now)).boolean(0, 0);
}

token_holder postgres_store::find_token_holder(std::string_view jti, std::string_view user_id, std::int64_t now)
{
    // One row whether or not the user exists: the user's columns (NULL without one), then the flag.
    static const std::string sql =
        "SELECT " + pg::user_columns() +
        ", EXISTS (SELECT 1 FROM jwt_blacklist WHERE jti = $1 AND created_at <= " + pg::at(2) +
        ") FROM (SELECT 1) AS one LEFT JOIN users u ON u.id = $3";
    // Values the column types cannot hold name no row, as in the separate lookups.
    if (!pg::all_uuids({user_id}) || jti.find('\0') != std::string_view::npos)
        return store::find_token_holder(jti, user_id, now);
    auto conn = pool_->acquire();
    const auto res = conn->query(sql, pg::params(jti, now, user_id));
    const pg::row r(res, 0);
    token_holder out;
    out.revoked = r.boolean(pg::user_column_count);
    if (r.optional_text(0)) out.user = pg::read_user(r);
    return out;
}

std::vector<std::string> postgres_store::tokens_revoked_between(std::int64_t after, std::int64_t until)
{
    static const std::string sql =
        "SELECT jti FROM jwt_blacklist WHERE created_at > " + pg::at(1) + " AND created_at <= " + pg::at(2);
    auto conn = pool_->acquire();
    const auto res = conn->query(sql, pg::params(after, until));
    std::vector<std::string> jtis;
    jtis.reserve(static_cast<std::size_t>(res.rows()));
    for (int i = 0; i < res.rows(); ++i) jtis.push_back(res.text(i, 0));
    return jtis;
}

std::int64_t postgres_store::purge_expired_tokens(std::int64_t now)
{
    static const std::string sql = "DELETE FROM jwt_blacklist WHERE expires_at < " + pg::at(1);
    auto conn = pool_->acquire();
    return conn->query(sql, pg::params(now)).affected();
}

}  // namespace spotik::storage
