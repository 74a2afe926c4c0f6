// Mapping of libpq error results to storage exceptions. The server's primary message is kept
// only for SQLSTATE classes whose messages name schema objects but never quote values (class
// 22, for one, quotes the offending input); the DETAIL field, which quotes key values, is never
// used.
#include "storage/postgres/error.hpp"

#include <libpq-fe.h>

#include <algorithm>

namespace spotik::storage::pg {
namespace {

constexpr std::size_t k_context_chars = 60;

std::string field(const PGresult* result, int code)
{
    const char* value = result != nullptr ? PQresultErrorField(result, code) : nullptr;
    return value != nullptr ? value : "";
}

bool message_is_safe(std::string_view sqlstate)
{
    static constexpr std::string_view k_safe_classes[] = {"08", "0A", "23", "25", "40", "42", "53", "55", "57"};
    const auto cls = sqlstate.substr(0, 2);
    return std::find(std::begin(k_safe_classes), std::end(k_safe_classes), cls) != std::end(k_safe_classes);
}

}  // namespace

bool is_transient(std::string_view sqlstate)
{
    const auto cls = sqlstate.substr(0, 2);
    // 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown,
    // statement timeout, cannot connect now), 40 serialization failure or deadlock, 55P03 lock
    // not available.
    return cls == "08" || cls == "53" || cls == "57" || cls == "40" || sqlstate == "55P03";
}

void throw_if_room_gone(const error& failure)
{
    // PostgreSQL names an unnamed REFERENCES constraint <table>_<column>_fkey.
    if (failure.sqlstate() == k_foreign_key_violation && failure.constraint().ends_with("_room_id_fkey"))
        throw room_gone("postgres: the room no longer exists");
}

void throw_result_error(const PGresult* result, bool connection_lost, std::string_view context)
{
    const std::string sqlstate = field(result, PG_DIAG_SQLSTATE);
    std::string message = "postgres: ";
    if (sqlstate.empty())
        message += connection_lost ? "connection lost" : "request failed";
    else if (message_is_safe(sqlstate))
        message += sqlstate + " " + field(result, PG_DIAG_MESSAGE_PRIMARY);
    else
        message += sqlstate + " (details withheld)";
    message += " (";
    message += context.substr(0, k_context_chars);
    message += ")";
    if (connection_lost || sqlstate.empty() || is_transient(sqlstate)) throw store_unavailable(message);
    throw error(sqlstate, field(result, PG_DIAG_CONSTRAINT_NAME), message);
}

}  // namespace spotik::storage::pg
