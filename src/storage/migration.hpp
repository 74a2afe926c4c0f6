// Versioned, forward-only schema migrations, embedded in the binary at build time from
// migrations/<driver>/NNNN_name.sql (see cmake/embed_migrations.cmake).
#pragma once
#include <vector>

namespace spotik::storage {

struct migration {
    int version;
    const char* name;
    const char* sql;
};

const std::vector<migration>& embedded_migrations_sqlite();
const std::vector<migration>& embedded_migrations_postgres();

}  // namespace spotik::storage
