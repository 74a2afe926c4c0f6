// BEGIN IMMEDIATE / COMMIT / ROLLBACK for the RAII write transaction. A rollback that fails
// marks the connection broken so the pool closes it instead of reusing it.
#include "storage/sqlite/transaction.hpp"

namespace spotik::storage::sqlite {

transaction::transaction(connection& conn) : conn_(conn)
{
    conn_.prepare("BEGIN IMMEDIATE").run();
}

transaction::~transaction()
{
    // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL).
    if (committed_ || !conn_.in_transaction()) return;
    try {
        conn_.prepare("ROLLBACK").run();
    } catch (...) {
        conn_.mark_broken();
    }
}

void transaction::commit()
{
    conn_.prepare("COMMIT").run();
    committed_ = true;
}

}  // namespace spotik::storage::sqlite
