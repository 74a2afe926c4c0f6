// Session registry.
#include "net/server_context.hpp"

#include <vector>

namespace spotik::net {

std::uint64_t session_registry::add(std::shared_ptr<session_handle> h)
{
    std::lock_guard lock(mutex_);
    auto id = next_++;
    sessions_.emplace(id, std::move(h));
    return id;
}

void session_registry::remove(std::uint64_t id)
{
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
}

void session_registry::close_idle_all()
{
    std::vector<std::shared_ptr<session_handle>> copy;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, h] : sessions_) copy.push_back(h);
    }
    for (auto& h : copy) h->close_if_idle();  // outside the lock: it posts to strands
}

void session_registry::ping_round_all(const realtime::token_sweep& sweep)
{
    std::vector<std::shared_ptr<session_handle>> copy;
    {
        std::lock_guard lock(mutex_);
        copy.reserve(sessions_.size());
        for (auto& [id, h] : sessions_)
            if (h->ping_round) copy.push_back(h);
    }
    for (auto& h : copy) h->ping_round(sweep);
}

std::size_t session_registry::size() const
{
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

}  // namespace spotik::net
