// Opens the store DB_DRIVER names (not yet migrated). Throws storage::storage_error when the
// driver cannot be opened.
#pragma once
#include "config/config.hpp"
#include "storage/store.hpp"

#include <memory>

namespace spotik::app {

std::unique_ptr<storage::store> open_store(const config::config& cfg);

}  // namespace spotik::app
