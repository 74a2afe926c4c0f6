// PostgreSQL failures as storage exceptions. pg::error carries the SQLSTATE and constraint;
// a lost connection, a server shutting down or starting up, overload, timeouts and
// serialization conflicts become store_unavailable (answered 503). No message ever holds a
// parameter value, a password or a file path.
#pragma once
#include "storage/store.hpp"

#include <string>
#include <string_view>

struct pg_result;  // libpq's PGresult

namespace spotik::storage::pg {

class error : public storage_error {
public:
    error(std::string sqlstate, std::string constraint, const std::string& message)
        : storage_error(message), sqlstate_(std::move(sqlstate)), constraint_(std::move(constraint))
    {
    }
    const std::string& sqlstate() const noexcept { return sqlstate_; }
    const std::string& constraint() const noexcept { return constraint_; }

private:
    std::string sqlstate_;
    std::string constraint_;
};

inline constexpr std::string_view k_unique_violation = "23505";
inline constexpr std::string_view k_foreign_key_violation = "23503";

// True for SQLSTATEs that mean "try again later" rather than "this request is wrong".
bool is_transient(std::string_view sqlstate);
// Rethrows a foreign key failure on a room_id column (the room was deleted meanwhile) as
// room_gone; returns otherwise.
void throw_if_room_gone(const error& failure);

// Throws store_unavailable for a transient SQLSTATE (or a connection that is gone), pg::error
// otherwise. `context` names the statement (its leading SQL text), never user data.
[[noreturn]] void throw_result_error(const pg_result* result, bool connection_lost, std::string_view context);

}  // namespace spotik::storage::pg
