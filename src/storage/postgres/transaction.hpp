// RAII transaction on a PostgreSQL connection: BEGIN on construction, ROLLBACK on destruction
// unless commit() succeeded, so every multi-statement write is all-or-nothing. A rollback that
// fails marks the connection broken so the pool closes it. The constructor and commit() throw
// store_unavailable or pg::error.
#pragma once
#include "storage/postgres/connection.hpp"

namespace spotik::storage::pg {

class transaction {
public:
    explicit transaction(connection& conn);
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    ~transaction();

    void commit();

private:
    connection& conn_;
    bool done_ = false;
};

}  // namespace spotik::storage::pg
