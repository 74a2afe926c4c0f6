// Applies embedded migrations to a PostgreSQL database under pg_advisory_lock. Each migration
// runs in its own transaction with its schema_migrations row; PostgreSQL DDL is transactional,
// so a failing migration leaves nothing behind. Throws storage_error or store_unavailable.
#include "storage/postgres/migrator.hpp"

#include "storage/postgres/transaction.hpp"
#include "storage/store.hpp"

#include <algorithm>
#include <string>

namespace spotik::storage::pg {
namespace {

using namespace std::chrono_literals;

// Waiting for another replica's migrations and running DDL have no client-side time limit;
// the session's statement_timeout is lifted for the same reason.
constexpr std::chrono::milliseconds k_no_limit{0};

std::int64_t applied_version(connection& conn)
{
    return conn.query("SELECT COALESCE(MAX(version), 0)::int8 FROM schema_migrations").integer(0, 0);
}

void refuse_newer(std::int64_t applied, std::int64_t known)
{
    if (applied <= known) return;
    throw storage_error("database schema version " + std::to_string(applied) + " is newer than this binary supports (" +
                        std::to_string(known) + ")");
}

std::vector<migration> ordered(const std::vector<migration>& migrations)
{
    std::vector<migration> list = migrations;
    std::sort(list.begin(), list.end(), [](const migration& a, const migration& b) { return a.version < b.version; });
    auto duplicate = std::adjacent_find(list.begin(), list.end(),
                                        [](const migration& a, const migration& b) { return a.version == b.version; });
    if (duplicate != list.end())
        throw storage_error("duplicate migration version " + std::to_string(duplicate->version));
    return list;
}

// Holds the migration lock for its lifetime; a failed unlock closes the connection, which
// releases a session lock just as well.
class migration_lock {
public:
    explicit migration_lock(connection& conn) : conn_(conn)
    {
        conn_.run_script("SET statement_timeout = 0", "lift statement_timeout", k_no_limit);
        conn_.run_script(("SELECT pg_advisory_lock(" + std::to_string(k_migration_lock_key) + ")").c_str(),
                         "pg_advisory_lock", k_no_limit);
    }
    migration_lock(const migration_lock&) = delete;
    migration_lock& operator=(const migration_lock&) = delete;
    ~migration_lock()
    {
        try {
            conn_.run_script(("SELECT pg_advisory_unlock(" + std::to_string(k_migration_lock_key) + ")").c_str(),
                             "pg_advisory_unlock", 10s);
            conn_.run_script("RESET statement_timeout", "reset statement_timeout", 10s);
        } catch (...) {
            conn_.mark_broken();
        }
    }

private:
    connection& conn_;
};

}  // namespace

int apply_migrations(connection& conn, const std::vector<migration>& migrations)
{
    const auto list = ordered(migrations);
    const std::int64_t known = list.empty() ? 0 : list.back().version;
    migration_lock lock(conn);
    conn.run_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz(3) NOT NULL DEFAULT now())",
        "create schema_migrations", k_no_limit);
    std::int64_t applied = applied_version(conn);
    refuse_newer(applied, known);
    int count = 0;
    for (const auto& step : list) {
        if (step.version <= applied) continue;
        transaction txn(conn);
        conn.run_script(step.sql, step.name, k_no_limit);
        conn.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                   params(static_cast<std::int64_t>(step.version), step.name));
        txn.commit();
        applied = step.version;
        ++count;
    }
    return count;
}

}  // namespace spotik::storage::pg
