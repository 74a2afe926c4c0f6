// An owned libpq result in text format, read row by row with typed getters, and the list of
// text parameters sent with a statement. Getters do not throw beyond std::bad_alloc; adding a
// parameter that holds a NUL character throws storage_error (PostgreSQL text cannot hold one,
// and libpq would silently cut the value there).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_result;  // libpq's PGresult

namespace spotik::storage::pg {

class result {
public:
    result() = default;
    explicit result(pg_result* res) noexcept : res_(res) {}

    int rows() const noexcept;
    // Rows written by INSERT/UPDATE/DELETE (0 for other commands).
    std::int64_t affected() const noexcept;
    pg_result* get() const noexcept { return res_.get(); }
    explicit operator bool() const noexcept { return res_ != nullptr; }

    bool is_null(int row, int column) const noexcept;
    std::string text(int row, int column) const;
    std::optional<std::string> optional_text(int row, int column) const;
    std::int64_t integer(int row, int column) const noexcept;
    std::optional<std::int64_t> optional_integer(int row, int column) const noexcept;
    bool boolean(int row, int column) const noexcept;

private:
    struct clear {
        void operator()(pg_result* res) const noexcept;
    };
    std::unique_ptr<pg_result, clear> res_;
};

// One row of a result, for the record readers.
class row {
public:
    row(const result& res, int index) noexcept : res_(res), index_(index) {}
    std::string text(int column) const { return res_.text(index_, column); }
    std::optional<std::string> optional_text(int column) const { return res_.optional_text(index_, column); }
    std::int64_t integer(int column) const noexcept { return res_.integer(index_, column); }
    std::optional<std::int64_t> optional_integer(int column) const noexcept
    {
        return res_.optional_integer(index_, column);
    }
    bool boolean(int column) const noexcept { return res_.boolean(index_, column); }

private:
    const result& res_;
    int index_;
};

class params {
public:
    template <class... Args>
    explicit params(const Args&... args)
    {
        values_.reserve(sizeof...(args));
        (add(args), ...);
    }

    params& add(std::string_view value);
    params& add(const std::string& value) { return add(std::string_view(value)); }
    params& add(const char* value) { return add(std::string_view(value)); }
    params& add(std::int64_t value);
    params& add(bool value);
    params& add(const std::optional<std::string>& value);
    params& add(const std::optional<std::int64_t>& value);
    params& add(std::nullopt_t);

    int size() const noexcept { return static_cast<int>(values_.size()); }
    // Pointers for PQsendQueryPrepared, valid while this object is unchanged.
    std::vector<const char*> pointers() const;

private:
    std::vector<std::optional<std::string>> values_;
};

}  // namespace spotik::storage::pg
