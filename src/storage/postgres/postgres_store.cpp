// postgres_store construction, migrations, health check and the id helpers; the table
// operations live in postgres_store_{users,rooms,participants,tracks}.cpp. Throws
// store_unavailable or storage_error (see postgres_store.hpp).
#include "storage/postgres/postgres_store.hpp"

#include "storage/postgres/migrator.hpp"
#include "util/ids.hpp"

#include <algorithm>

namespace spotik::storage {

postgres_store::postgres_store(pg::connect_settings connect, pg::pool_settings pool, std::vector<migration> migrations)
    : migrations_(std::move(migrations)), pool_(std::make_unique<pg::connection_pool>(std::move(connect), pool))
{
}

postgres_store::~postgres_store() = default;

void postgres_store::migrate()
{
    auto conn = pool_->acquire();
    pg::apply_migrations(*conn, migrations_);
}

void postgres_store::ping()
{
    auto conn = pool_->acquire();
    const auto res = conn->query("SELECT 1");
    if (res.rows() != 1 || res.integer(0, 0) != 1) throw storage_error("postgres: ping returned no row");
}

void postgres_store::erase_all_data()
{
    auto conn = pool_->acquire();
    // One statement over every table: the foreign keys between them need no CASCADE.
    conn->query("TRUNCATE track_votes, room_participants, tracks, rooms, users, jwt_blacklist");
}

store_status postgres_store::status() const
{
    return pool_->status();
}

namespace pg {

bool all_uuids(std::initializer_list<std::string_view> ids)
{
    return std::all_of(ids.begin(), ids.end(), [](std::string_view id) { return util::is_uuid(id); });
}

void require_uuids(std::initializer_list<std::string_view> ids)
{
    if (!all_uuids(ids)) throw storage_error("postgres: an id is not a UUID");
}

std::optional<std::string> viewer_param(std::string_view viewer_id)
{
    if (!util::is_uuid(viewer_id)) return std::nullopt;
    return std::string(viewer_id);
}

}  // namespace pg
}  // namespace spotik::storage
