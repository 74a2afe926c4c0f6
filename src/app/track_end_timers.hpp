// Auto-advance timers: one Asio steady timer per playing room (no polling loop over rooms).
// schedule/cancel are thread-safe; the handler runs on the blocking pool because it touches
// the database.
#pragma once
#include "service/playback_service.hpp"
#include "util/clock.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace spotik::app {

class track_end_timers final : public service::track_end_scheduler {
public:
    using handler = std::function<void(const std::string& room_id)>;

    track_end_timers(boost::asio::io_context& ioc, boost::asio::thread_pool& pool, const util::clock& clock);
    void set_handler(handler fn) { handler_ = std::move(fn); }
    void schedule(const std::string& room_id, std::int64_t at_ms) override;
    void cancel(const std::string& room_id) override;
    void cancel_all();

private:
    struct entry {
        std::unique_ptr<boost::asio::steady_timer> timer;
        std::uint64_t generation = 0;
    };

    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    boost::asio::thread_pool& pool_;
    const util::clock& clock_;
    handler handler_;
    std::unordered_map<std::string, entry> timers_;  // touched on strand_ only
    std::uint64_t next_generation_ = 1;
};

}  // namespace spotik::app
