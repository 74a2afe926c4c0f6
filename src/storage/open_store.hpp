// Builds the store the configuration asks for: SQLite (the default) or PostgreSQL. Nothing is
// opened or connected here; the first call (usually migrate) does that. Throws
// storage_error only for an unknown driver name.
#pragma once
#include "config/config.hpp"
#include "storage/store.hpp"

#include <memory>

namespace spotik::storage {

std::unique_ptr<store> open_store(const config::database_settings& db);

}  // namespace spotik::storage
