// RAII write transaction: BEGIN IMMEDIATE on construction (waiting on the busy timeout for
// other writers), ROLLBACK on destruction unless commit() succeeded, so every transaction is
// all-or-nothing. The constructor and commit() throw store_unavailable or sqlite::error.
#pragma once
#include "storage/sqlite/connection.hpp"

namespace spotik::storage::sqlite {

class transaction {
public:
    explicit transaction(connection& conn);
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    ~transaction();

    void commit();

private:
    connection& conn_;
    bool committed_ = false;
};

}  // namespace spotik::storage::sqlite
