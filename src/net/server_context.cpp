// Session registry.
#include "net/server_context.hpp"

#include <vector>

namespace spotik::net {

std::uint64_t session_registry::add(std::weak_ptr<registered_session> s, bool pinged)
{
    std::lock_guard lock(mutex_);
    auto id = next_++;
    sessions_[id % buckets].emplace(id, entry{std::move(s), pinged});
    ++size_;
    return id;
}

void session_registry::remove(std::uint64_t id)
{
    std::lock_guard lock(mutex_);
    size_ -= sessions_[id % buckets].erase(id);
}

void session_registry::collect(const bucket& b, bool pinged_only, std::vector<std::shared_ptr<registered_session>>& out)
{
    for (const auto& [id, e] : b)
        if (!pinged_only || e.pinged)
            if (auto s = e.session.lock()) out.push_back(std::move(s));
}

// The calls run outside the lock: they post to strands, and a session may end meanwhile.
void session_registry::close_idle_all()
{
    std::vector<std::shared_ptr<registered_session>> all;
    {
        std::lock_guard lock(mutex_);
        all.reserve(size_);
        for (const auto& b : sessions_) collect(b, false, all);
    }
    for (const auto& s : all) s->close_if_idle();
}

void session_registry::ping_round(const realtime::token_sweep& sweep, std::size_t first, std::size_t last,
                                  bool everyone)
{
    std::vector<std::shared_ptr<registered_session>> due, others;
    {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < buckets; ++i) {
            if (i >= first && i < last)
                collect(sessions_[i], true, due);
            else if (everyone)
                collect(sessions_[i], true, others);
        }
    }
    for (const auto& s : due) s->ping_round(sweep, true);
    for (const auto& s : others) s->ping_round(sweep, false);
}

std::size_t session_registry::size() const
{
    std::lock_guard lock(mutex_);
    return size_;
}

}  // namespace spotik::net
