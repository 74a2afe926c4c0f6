// sqlite_store: room membership. add_participant is idempotent and safe under concurrent
// joins (insert-or-ignore, then read the row in the same transaction). Throws
// store_unavailable or storage_error.
#include "storage/sqlite/connection_pool.hpp"
#include "storage/sqlite/rows.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/sqlite/transaction.hpp"

#include <string>

namespace spotik::storage {
namespace {

const std::string& select_participants()
{
    static const std::string sql = std::string("SELECT ") + sqlite::k_participant_columns +
                                   " FROM room_participants p JOIN users u ON u.id = p.user_id ";
    return sql;
}

}  // namespace

join_outcome sqlite_store::add_participant(const participant_record& row)
{
    static const std::string sql = select_participants() + "WHERE p.room_id = ? AND p.user_id = ?";
    auto conn = pool_->acquire();
    sqlite::transaction txn(*conn);
    join_outcome outcome;
    outcome.inserted =
        sqlite::run_in_room(conn->prepare("INSERT INTO room_participants (id, room_id, user_id, joined_at) "
                                          "VALUES (?, ?, ?, ?) ON CONFLICT (room_id, user_id) DO NOTHING")
                                .bind_all(row.id, row.room_id, row.user_id, row.joined_at)) > 0;
    {
        auto stmt = conn->prepare(sql);
        stmt.bind_all(row.room_id, row.user_id);
        if (!stmt.step()) throw storage_error("sqlite: participant row missing after insert");
        outcome.participant = sqlite::read_participant(stmt);
    }  // the read is reset before COMMIT
    txn.commit();
    return outcome;
}

bool sqlite_store::remove_participant(std::string_view room_id, std::string_view user_id)
{
    auto conn = pool_->acquire();
    return conn->prepare("DELETE FROM room_participants WHERE room_id = ? AND user_id = ?")
               .bind_all(room_id, user_id)
               .run() > 0;
}

bool sqlite_store::is_participant(std::string_view room_id, std::string_view user_id)
{
    auto conn = pool_->acquire();
    auto stmt = conn->prepare("SELECT EXISTS (SELECT 1 FROM room_participants WHERE room_id = ? AND user_id = ?)");
    stmt.bind_all(room_id, user_id);
    return stmt.step() && stmt.boolean(0);
}

std::vector<participant_record> sqlite_store::list_participants(std::string_view room_id)
{
    static const std::string sql = select_participants() + "WHERE p.room_id = ? ORDER BY p.joined_at, p.id";
    auto conn = pool_->acquire();
    auto stmt = conn->prepare(sql);
    stmt.bind(1, room_id);
    std::vector<participant_record> rows;
    while (stmt.step()) rows.push_back(sqlite::read_participant(stmt));
    return rows;
}

std::int64_t sqlite_store::count_participants(std::string_view room_id)
{
    auto conn = pool_->acquire();
    auto stmt = conn->prepare("SELECT COUNT(*) FROM room_participants WHERE room_id = ?");
    stmt.bind(1, room_id);
    return stmt.step() ? stmt.integer(0) : 0;
}

}  // namespace spotik::storage
