// Names of the expected failures.
#include "domain/failure.hpp"

#include <stdexcept>
#include <string>

namespace spotik::domain {

std::string_view to_string(failure f) noexcept
{
    switch (f) {
    case failure::not_found: return "not_found";
    case failure::forbidden: return "forbidden";
    case failure::not_participant: return "not_participant";
    case failure::admin_cannot_leave: return "admin_cannot_leave";
    case failure::wrong_room: return "wrong_room";
    case failure::invalid_state: return "invalid_state";
    case failure::invalid_input: return "invalid_input";
    }
    return "unknown";
}

void throw_exception_from_error(const failure& f, const boost::source_location&)
{
    throw std::logic_error("unchecked domain failure: " + std::string(to_string(f)));
}

}  // namespace spotik::domain
