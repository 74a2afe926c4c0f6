// The maintenance subcommands: `migrate`, `db reset` and `db seed`. Each takes a validated
// configuration, prints what it did on out (problems on err) and returns the exit code.
// Store and filesystem failures escape as exceptions (main reports them and exits 1).
#pragma once
#include "config/config.hpp"
#include "util/clock.hpp"

#include <iosfwd>
#include <string>

namespace spotik::app {

int run_migrate(const config::config& cfg, std::ostream& out);

// Development only: refuses (exit 1) when APP_ENV=production. Deletes every row, every
// stored audio file and cover, and the upload bodies (body-*.part) in TEMP_STORAGE_PATH, whose
// other files and folders stay; the schema stays.
int run_db_reset(const config::config& cfg, std::ostream& out, std::ostream& err);

// Adds count generated WAV tracks (15-45 s melodies, durations read back by the upload probe)
// to the room whose id or name is room; a name that matches no room creates that room. The
// tracks are uploaded by a "spotik-seed" user, who joins the room.
int run_db_seed(const config::config& cfg, const util::clock& clock, const std::string& room, int count,
                std::ostream& out, std::ostream& err);

}  // namespace spotik::app
