// A borrowed, prepared SQLite statement: binds parameters, steps, reads columns, and is reset
// (bindings cleared) when it goes out of scope so its connection can cache and reuse it.
// step() throws sqlite::error (a storage_error) or store_unavailable on failure.
#pragma once
#include "storage/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace spotik::storage::sqlite {

// A SQLite failure; code() is the extended result code (e.g. SQLITE_CONSTRAINT_UNIQUE).
// The message never holds parameter values or file paths.
class error : public storage_error {
public:
    error(int code, const std::string& message) : storage_error(message), code_(code) {}
    int code() const noexcept { return code_; }

private:
    int code_;
};

// Throws store_unavailable for busy/locked/cannot-open, sqlite::error otherwise. `context`
// names the operation (a statement's leading SQL text or a step name), never user data.
[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view context);

class statement {
public:
    // `in_use` is the cache's lease flag, cleared on destruction (may be null).
    statement(sqlite3_stmt* stmt, bool* in_use, bool owned) noexcept;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement();

    statement& bind(int index, std::string_view value);
    statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    statement& bind(int index, std::int64_t value);
    statement& bind(int index, bool value);
    statement& bind(int index, const std::optional<std::string>& value);
    statement& bind(int index, const std::optional<std::int64_t>& value);

    // Binds every argument in order, starting at parameter 1.
    template <class... Args>
    statement& bind_all(const Args&... args)
    {
        int index = 0;
        (bind(++index, args), ...);
        return *this;
    }

    // True when a row is available, false when done.
    bool step();
    // Steps to completion, returning the number of rows changed by this statement.
    std::int64_t run();

    std::string text(int column) const;
    std::optional<std::string> optional_text(int column) const;
    std::int64_t integer(int column) const;
    std::optional<std::int64_t> optional_integer(int column) const;
    bool boolean(int column) const { return integer(column) != 0; }

private:
    void check_bind(int rc) const;

    sqlite3_stmt* stmt_;
    bool* in_use_;
    bool owned_;
};

// run() for an insert of a row that belongs to a room: a foreign key failure (the room was
// deleted meanwhile) throws room_gone.
std::int64_t run_in_room(statement& stmt);

}  // namespace spotik::storage::sqlite
