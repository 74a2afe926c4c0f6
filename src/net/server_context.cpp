// Session registry.
#include "net/server_context.hpp"

#include <vector>

namespace spotik::net {

std::uint64_t session_registry::add(std::weak_ptr<registered_session> s)
{
    std::lock_guard lock(mutex_);
    auto id = next_++;
    sessions_.emplace(id, std::move(s));
    return id;
}

void session_registry::remove(std::uint64_t id)
{
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
}

std::vector<std::shared_ptr<registered_session>> session_registry::live() const
{
    std::vector<std::shared_ptr<registered_session>> out;
    std::lock_guard lock(mutex_);
    out.reserve(sessions_.size());
    for (const auto& [id, weak] : sessions_)
        if (auto s = weak.lock()) out.push_back(std::move(s));
    return out;
}

// Both calls run outside the lock: they post to strands, and a session may end meanwhile.
void session_registry::close_idle_all()
{
    for (const auto& s : live()) s->close_if_idle();
}

void session_registry::ping_round_all(const realtime::token_sweep& sweep)
{
    for (const auto& s : live()) s->ping_round(sweep);
}

std::size_t session_registry::size() const
{
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

}  // namespace spotik::net
