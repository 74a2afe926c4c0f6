// Auto-advance timers.
#include "app/track_end_timers.hpp"

#include "obs/log.hpp"

#include <boost/asio/post.hpp>

namespace spotik::app {
namespace asio = boost::asio;

track_end_timers::track_end_timers(asio::io_context& ioc, asio::thread_pool& pool, const util::clock& clock)
    : strand_(asio::make_strand(ioc)), pool_(pool), clock_(clock)
{
}

void track_end_timers::schedule(const std::string& room_id, std::int64_t at_ms)
{
    asio::post(strand_, [this, room_id, at_ms] {
        auto& e = timers_[room_id];
        if (!e.timer) e.timer = std::make_unique<asio::steady_timer>(strand_);
        std::uint64_t generation = e.generation = next_generation_++;
        e.timer->expires_after(std::chrono::milliseconds(std::max<std::int64_t>(0, at_ms - clock_.now_ms())));
        e.timer->async_wait([this, room_id, generation](const boost::system::error_code& ec) {
            auto it = timers_.find(room_id);
            if (ec || it == timers_.end() || it->second.generation != generation) return;
            timers_.erase(it);
            asio::post(pool_, [this, room_id] {
                try {
                    if (handler_) handler_(room_id);
                } catch (const std::exception& ex) {
                    obs::error("auto-advance failed", {{"room_id", room_id}, {"detail", ex.what()}});
                }
            });
        });
    });
}

void track_end_timers::cancel(const std::string& room_id)
{
    asio::post(strand_, [this, room_id] { timers_.erase(room_id); });
}

void track_end_timers::cancel_all()
{
    asio::post(strand_, [this] { timers_.clear(); });
}

}  // namespace spotik::app
