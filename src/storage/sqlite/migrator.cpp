// Applies embedded migrations to a SQLite database. Throws storage_error on a newer schema,
// a duplicate version in the list or a failing migration; store_unavailable when locked.
#include "storage/sqlite/migrator.hpp"

#include "storage/sqlite/transaction.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace spotik::storage::sqlite {
namespace {

std::int64_t applied_version(connection& conn)
{
    auto stmt = conn.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    stmt.step();
    return stmt.integer(0);
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
    if (duplicate != list.end()) {
        throw storage_error("duplicate migration version " + std::to_string(duplicate->version));
    }
    return list;
}

std::int64_t now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

void apply_migrations(connection& conn, const std::vector<migration>& migrations)
{
    const auto list = ordered(migrations);
    const std::int64_t known = list.empty() ? 0 : list.back().version;
    conn.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        "create schema_migrations");
    refuse_newer(applied_version(conn), known);
    for (const auto& step : list) {
        transaction txn(conn);
        // Re-read under the write lock: another process may have migrated meanwhile.
        const std::int64_t applied = applied_version(conn);
        refuse_newer(applied, known);
        if (step.version <= applied) continue;
        conn.exec(step.sql, step.name);
        conn.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
            .bind_all(static_cast<std::int64_t>(step.version), step.name, now_ms())
            .run();
        txn.commit();
    }
}

}  // namespace spotik::storage::sqlite
