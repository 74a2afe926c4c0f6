// postgres_store: room membership. add_participant is idempotent and safe under concurrent
// joins: ON CONFLICT DO NOTHING on the (room_id, user_id) unique constraint waits for a racing
// insert and skips it, then the row is read back. Throws store_unavailable or storage_error.
#include "storage/postgres/error.hpp"
#include "storage/postgres/postgres_store.hpp"
#include "storage/postgres/rows.hpp"

#include <string>

namespace spotik::storage {
namespace {

const std::string& select_participants()
{
    static const std::string sql =
        "SELECT " + pg::participant_columns() + " FROM room_participants p JOIN users u ON u.id = p.user_id ";
    return sql;
}

// A join racing a leave may find its row gone between the insert and the read: try again.
constexpr int k_join_attempts = 3;

}  // namespace

join_outcome postgres_store::add_participant(const participant_record& row)
{
    static const std::string insert =
        "INSERT INTO room_participants (id, room_id, user_id, joined_at) VALUES ($1, $2, $3, " + pg::at(4) +
        ") ON CONFLICT (room_id, user_id) DO NOTHING";
    static const std::string select = select_participants() + "WHERE p.room_id = $1 AND p.user_id = $2";
    pg::require_uuids({row.id, row.room_id, row.user_id});
    auto conn = pool_->acquire();
    for (int attempt = 0; attempt < k_join_attempts; ++attempt) {
        join_outcome outcome;
        try {
            outcome.inserted =
                conn->query(insert, pg::params(row.id, row.room_id, row.user_id, row.joined_at)).affected() > 0;
        } catch (const pg::error& failure) {
            pg::throw_if_room_gone(failure);
            throw;
        }
        const auto res = conn->query(select, pg::params(row.room_id, row.user_id));
        if (res.rows() == 0) continue;
        outcome.participant = pg::read_participant(pg::row(res, 0));
        return outcome;
    }
    throw store_unavailable("postgres: participant row kept disappearing after insert");
}

bool postgres_store::remove_participant(std::string_view room_id, std::string_view user_id)
{
    if (!pg::all_uuids({room_id, user_id})) return false;
    auto conn = pool_->acquire();
    return conn->query("DELETE FROM room_participants WHERE room_id = $1 AND user_id = $2",
                       pg::params(room_id, user_id))
               .affected() > 0;
}

bool postgres_store::is_participant(std::string_view room_id, std::string_view user_id)
{
    if (!pg::all_uuids({room_id, user_id})) return false;
    auto conn = pool_->acquire();
    return conn
        ->query("SELECT EXISTS (SELECT 1 FROM room_participants WHERE room_id = $1 AND user_id = $2)",
                pg::params(room_id, user_id))
        .boolean(0, 0);
}

std::vector<participant_record> postgres_store::list_participants(std::string_view room_id)
{
    static const std::string sql = select_participants() + "WHERE p.room_id = $1 ORDER BY p.joined_at, p.id";
    if (!pg::all_uuids({room_id})) return {};
    auto conn = pool_->acquire();
    const auto res = conn->query(sql, pg::params(room_id));
    std::vector<participant_record> rows;
    rows.reserve(static_cast<std::size_t>(res.rows()));
    for (int i = 0; i < res.rows(); ++i) rows.push_back(pg::read_participant(pg::row(res, i)));
    return rows;
}

std::int64_t postgres_store::count_participants(std::string_view room_id)
{
    if (!pg::all_uuids({room_id})) return 0;
    auto conn = pool_->acquire();
    return conn->query("SELECT COUNT(*) FROM room_participants WHERE room_id = $1", pg::params(room_id)).integer(0, 0);
}

}  // namespace spotik::storage
