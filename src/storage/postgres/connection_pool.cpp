// Checkout, return and upkeep of pooled PostgreSQL connections. Connections are opened and
// closed outside the lock. After a failed attempt, new attempts wait a backoff (100 ms doubling
// to 1 s) and only one runs at a time, so an outage answers requests at once with 503.
#include "storage/postgres/connection_pool.hpp"

#include <algorithm>

namespace spotik::storage::pg {
namespace {

using namespace std::chrono_literals;

constexpr auto k_upkeep_interval = 1s;

std::chrono::milliseconds backoff(int failures)
{
    return std::min<std::chrono::milliseconds>(100ms * (1 << std::min(failures - 1, 4)), 1s);
}

}  // namespace

connection_pool::connection_pool(connect_settings connect, pool_settings settings)
    : connect_(std::move(connect)), settings_(settings), maintenance_([this](std::stop_token stop) { maintain(stop); })
{
}

connection_pool::~connection_pool()
{
    maintenance_.request_stop();
    maintenance_.join();
}

connection_pool::lease connection_pool::acquire()
{
    forbid_io_thread("postgres");
    const auto deadline = steady::now() + settings_.wait_timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            ++in_use_;
            lock.unlock();
            if (conn->looks_alive()) return {*this, std::move(conn)};
            conn.reset();  // closed outside the lock
            lock.lock();
            --in_use_;
            --open_;
            continue;
        }
        if (open_ < settings_.max) {
            ++open_;
            ++in_use_;
            lock.unlock();
            return {*this, open(deadline, true)};
        }
        if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= settings_.max)
            throw store_unavailable("postgres: no connection free within DB_POOL_TIMEOUT");
    }
}

std::unique_ptr<connection> connection_pool::open(steady::time_point deadline, bool leased)
{
    const auto give_back = [&] {
        --open_;
        if (leased) --in_use_;
        freed_.notify_one();
    };
    {
        std::lock_guard lock(mutex_);
        if (failures_ > 0 && (probing_ || steady::now() < retry_at_)) {
            give_back();
            throw store_unavailable("postgres: database unreachable (" + last_failure_ + ")");
        }
        probing_ = failures_ > 0;
    }
    try {
        auto conn =
            std::make_unique<connection>(connect_, std::min(deadline, steady::now() + settings_.connect_timeout));
        std::lock_guard lock(mutex_);
        failures_ = 0;
        probing_ = false;
        target_ = conn->target();
        return conn;
    } catch (const std::exception& failure) {
        std::lock_guard lock(mutex_);
        give_back();
        probing_ = false;
        ++failures_;
        retry_at_ = steady::now() + backoff(failures_);
        last_failure_ = failure.what();
        throw;
    }
}

void connection_pool::release(std::unique_ptr<connection> conn) noexcept
{
    bool keep = conn && conn->reusable();
    if (!keep) conn.reset();  // closed outside the lock
    std::lock_guard lock(mutex_);
    --in_use_;
    if (keep) {
        try {
            idle_.push_back(std::move(conn));
        } catch (...) {
            keep = false;  // out of memory growing the idle list: closing it is enough
        }
    }
    if (!keep) --open_;
    freed_.notify_one();
}

store_status connection_pool::status() const
{
    std::lock_guard lock(mutex_);
    return {target_, open_, settings_.max, in_use_, static_cast<int>(idle_.size())};
}

void connection_pool::drop_dead_idle()
{
    std::vector<std::unique_ptr<connection>> checked;
    {
        std::lock_guard lock(mutex_);
        checked.swap(idle_);
    }
    const auto before = checked.size();
    std::erase_if(checked, [](const auto& conn) { return !conn->looks_alive(); });
    std::lock_guard lock(mutex_);
    open_ -= static_cast<int>(before - checked.size());
    for (auto& conn : checked) idle_.push_back(std::move(conn));
    freed_.notify_all();
}

void connection_pool::maintain(std::stop_token stop)
{
    while (!stop.stop_requested()) {
        drop_dead_idle();
        for (;;) {
            {
                std::lock_guard lock(mutex_);
                if (open_ >= settings_.min || open_ >= settings_.max) break;
                ++open_;
            }
            try {
                auto conn = open(steady::now() + settings_.connect_timeout, false);
                std::lock_guard lock(mutex_);
                idle_.push_back(std::move(conn));
                freed_.notify_one();
            } catch (...) {
                break;  // counted as a failure; retried after the backoff
            }
        }
        std::unique_lock lock(mutex_);
        const auto next =
            failures_ > 0 ? std::min(retry_at_, steady::now() + k_upkeep_interval) : steady::now() + k_upkeep_interval;
        wake_.wait_until(lock, stop, next, [] { return false; });
    }
}

}  // namespace spotik::storage::pg
