// SQL fragments and result readers shared by the PostgreSQL store's queries. Instants cross
// the wire as epoch milliseconds (bigint), converted exactly by ms() and at(); a reader
// expects exactly the columns of its list, in that order. Nothing here throws beyond
// std::bad_alloc.
#pragma once
#include "storage/postgres/result.hpp"
#include "storage/records.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace spotik::storage::pg {

// A timestamptz column as epoch milliseconds (NULL stays NULL).
std::string ms(std::string_view column);
// Parameter $n (epoch milliseconds) as a timestamptz.
std::string at(int n);

// users u: 6 columns (password_hash included).
const std::string& user_columns();
inline constexpr int user_column_count = 6;  // a column selected after them has this index
// rooms r: 10 columns.
const std::string& room_columns();
// room_participants p joined with users u: 8 columns (no password hash).
const std::string& participant_columns();
// tracks t joined with users u, then user_has_voted for the viewer bound as $1: 14 columns.
const std::string& track_columns();

user_record read_user(const row& r);
room_record read_room(const row& r);
participant_record read_participant(const row& r);
track_record read_track(const row& r);
// Every row of a `SELECT id, file_path FROM tracks ...`.
std::vector<track_file> read_track_files(const result& res);

}  // namespace spotik::storage::pg
