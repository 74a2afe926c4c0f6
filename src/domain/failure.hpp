// Expected outcomes of the use cases, returned as values and mapped to the contract's
// status codes and bodies in one place per API area.
#pragma once
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <string_view>

namespace spotik::domain {

enum class failure {
    not_found,          // the room, track or user does not exist (or the id is malformed)
    forbidden,          // authenticated but not allowed (not the administrator, ...)
    not_participant,    // the caller is not a member of the room
    admin_cannot_leave, // the administrator tried to leave
    wrong_room,         // the track exists but belongs to another room
    invalid_state,      // e.g. pause while nothing plays
    invalid_input,
};

std::string_view to_string(failure f) noexcept;

[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);

template <class T>
using result = boost::system::result<T, failure>;

}  // namespace spotik::domain
