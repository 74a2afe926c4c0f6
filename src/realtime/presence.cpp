// Sockets open per user.
#include "realtime/presence.hpp"

namespace spotik::realtime {

void presence::opened(std::string_view user_id)
{
    std::lock_guard lock(mutex_);
    auto it = sockets_.find(user_id);
    if (it == sockets_.end()) it = sockets_.emplace(std::string(user_id), 0).first;
    ++it->second;
}

void presence::closed(std::string_view user_id)
{
    std::lock_guard lock(mutex_);
    auto it = sockets_.find(user_id);
    if (it == sockets_.end()) return;
    if (--it->second == 0) sockets_.erase(it);
}

std::size_t presence::sockets_of(std::string_view user_id) const
{
    std::lock_guard lock(mutex_);
    auto it = sockets_.find(user_id);
    return it == sockets_.end() ? 0 : it->second;
}

std::size_t presence::users() const
{
    std::lock_guard lock(mutex_);
    return sockets_.size();
}

}  // namespace spotik::realtime
