// Typed reads of text-format libpq results and the text encoding of statement parameters.
// Only params::add can throw (storage_error for a NUL character, std::bad_alloc).
#include "storage/postgres/result.hpp"

#include "storage/store.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>

namespace spotik::storage::pg {

void result::clear::operator()(PGresult* res) const noexcept
{
    PQclear(res);
}

int result::rows() const noexcept
{
    return res_ ? PQntuples(res_.get()) : 0;
}

std::int64_t result::affected() const noexcept
{
    if (!res_) return 0;
    const char* text = PQcmdTuples(res_.get());
    std::int64_t value = 0;
    std::from_chars(text, text + std::char_traits<char>::length(text), value);
    return value;
}

bool result::is_null(int row, int column) const noexcept
{
    return PQgetisnull(res_.get(), row, column) != 0;
}

std::string result::text(int row, int column) const
{
    return {PQgetvalue(res_.get(), row, column), static_cast<std::size_t>(PQgetlength(res_.get(), row, column))};
}

std::optional<std::string> result::optional_text(int row, int column) const
{
    if (is_null(row, column)) return std::nullopt;
    return text(row, column);
}

std::int64_t result::integer(int row, int column) const noexcept
{
    const char* text = PQgetvalue(res_.get(), row, column);
    std::int64_t value = 0;
    std::from_chars(text, text + PQgetlength(res_.get(), row, column), value);
    return value;
}

std::optional<std::int64_t> result::optional_integer(int row, int column) const noexcept
{
    if (is_null(row, column)) return std::nullopt;
    return integer(row, column);
}

bool result::boolean(int row, int column) const noexcept
{
    return PQgetvalue(res_.get(), row, column)[0] == 't';
}

params& params::add(std::string_view value)
{
    if (value.find('\0') != std::string_view::npos)
        throw storage_error("postgres: a text value holds a NUL character, which PostgreSQL cannot store");
    values_.emplace_back(std::string(value));
    return *this;
}

params& params::add(std::int64_t value)
{
    values_.emplace_back(std::to_string(value));
    return *this;
}

params& params::add(bool value)
{
    values_.emplace_back(value ? "true" : "false");
    return *this;
}

params& params::add(const std::optional<std::string>& value)
{
    if (value) return add(std::string_view(*value));
    return add(std::nullopt);
}

params& params::add(const std::optional<std::int64_t>& value)
{
    if (value) return add(*value);
    return add(std::nullopt);
}

params& params::add(std::nullopt_t)
{
    values_.emplace_back(std::nullopt);
    return *this;
}

std::vector<const char*> params::pointers() const
{
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
    return out;
}

}  // namespace spotik::storage::pg
