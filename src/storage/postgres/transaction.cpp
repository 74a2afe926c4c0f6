// BEGIN / COMMIT / ROLLBACK for the RAII transaction, sent as prepared statements so they cost
// one round trip each.
#include "storage/postgres/transaction.hpp"

namespace spotik::storage::pg {

transaction::transaction(connection& conn) : conn_(conn)
{
    conn_.query("BEGIN");
}

transaction::~transaction()
{
    if (done_) return;
    try {
        conn_.query("ROLLBACK");
    } catch (...) {
        conn_.mark_broken();
    }
}

void transaction::commit()
{
    done_ = true;  // a failed COMMIT ends the transaction on the server too
    conn_.query("COMMIT");
}

}  // namespace spotik::storage::pg
