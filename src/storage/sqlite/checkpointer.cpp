// The background checkpoint thread (see checkpointer.hpp). A failed checkpoint is not an error
// anyone could act on here: the log simply stays longer, and the next commit past the
// threshold tries again.
#include "storage/sqlite/checkpointer.hpp"

#include <sqlite3.h>

namespace spotik::storage::sqlite {

checkpointer::checkpointer(std::string path, checkpoint_limits limits)
    : path_(std::move(path)), limits_(limits), thread_([this] { run(); })
{
}

checkpointer::~checkpointer()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void checkpointer::watch(connection& conn)
{
    sqlite3_wal_hook(conn.handle(), &checkpointer::on_commit, this);
}

int checkpointer::checkpoints() const
{
    std::lock_guard lock(mutex_);
    return checkpoints_;
}

int checkpointer::restarts() const
{
    std::lock_guard lock(mutex_);
    return restarts_;
}

bool checkpointer::due_locked() const
{
    const int since = frames_ < copied_ ? frames_ : frames_ - copied_;  // the log may have restarted
    return since >= limits_.passive_frames;
}

// Runs inside every commit of a watched connection, so it only records and signals.
int checkpointer::on_commit(void* self, sqlite3*, const char*, int frames)
{
    auto& c = *static_cast<checkpointer*>(self);
    bool due;
    {
        std::lock_guard lock(c.mutex_);
        c.frames_ = frames;
        due = c.due_locked();
    }
    if (due) c.wake_.notify_one();
    return SQLITE_OK;
}

void checkpointer::run()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || due_locked(); });
        if (stopping_) return;
        const int frames = frames_;
        lock.unlock();
        checkpoint(frames);
        lock.lock();
    }
}

void checkpointer::checkpoint(int frames)
{
    int log = -1, copied = -1;  // SQLite's figures: -1 when it could not tell
    bool restarted = false;
    try {
        if (!conn_) conn_ = std::make_unique<connection>(path_, limits_.restart_wait_ms);
        // Copies what no reader still needs, without waiting for anyone.
        int rc = sqlite3_wal_checkpoint_v2(conn_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
        if (rc == SQLITE_OK && log >= limits_.restart_frames) {
            // Holds new writers back (for at most restart_wait_ms) until the readers have left the
            // log, so that the next commit writes it from its beginning again.
            rc = sqlite3_wal_checkpoint_v2(conn_->handle(), nullptr, SQLITE_CHECKPOINT_RESTART, &log, &copied);
            restarted = rc == SQLITE_OK;
        }
    } catch (const std::exception&) {
        // The connection could not be opened: retried at the next threshold.
    }
    std::lock_guard lock(mutex_);
    ++checkpoints_;
    if (restarted) {
        ++restarts_;
        frames_ = copied_ = 0;  // the next commit starts the log over
    } else {
        copied_ = log >= 0 ? log : frames;  // without figures, wait for another threshold's worth
    }
}

}  // namespace spotik::storage::sqlite
