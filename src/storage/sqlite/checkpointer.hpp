// Keeps SQLite's write-ahead log short without making any request wait for it.
//
// SQLite copies the log back into the database inside whichever commit takes it past 1 000
// frames, fsyncs included, so that request pays for everyone's writes. Worse, under steady load
// the log never starts over: a log is only reused from its beginning when a writer finds no
// reader inside it, and with a pool of connections reading all the time one always is, so the
// file grows for as long as the load lasts (hundreds of MiB in a minute of votes) and every
// page lookup walks a longer index.
//
// watch() hands a connection's commits to this object instead (sqlite3_wal_hook, which turns
// SQLite's own checkpoint off for that connection). A thread of its own, on its own
// connection, copies the log back once it has grown by `passive_frames` since the last copy,
// without blocking anyone; once the log holds `restart_frames` it waits for the readers still
// inside (new writers wait meanwhile) and has the next writer start the log over.
#pragma once
#include "storage/sqlite/connection.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace spotik::storage::sqlite {

struct checkpoint_limits {
    int passive_frames = 1000;  // SQLite's own threshold
    int restart_frames = 2000;  // about 8 MiB of 4 KiB pages
    int restart_wait_ms = 200;  // how long new writers may be held back for a restart
};

class checkpointer {
public:
    checkpointer(std::string path, checkpoint_limits limits = {});
    checkpointer(const checkpointer&) = delete;
    checkpointer& operator=(const checkpointer&) = delete;
    // Stops the thread; a copy in progress finishes first.
    ~checkpointer();

    void watch(connection& conn);
    // Checkpoints run so far (both kinds) and restarts among them; for tests and figures.
    int checkpoints() const;
    int restarts() const;

private:
    static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
    // Whether the log grew by passive_frames since the last checkpoint; mutex_ held.
    bool due_locked() const;
    void run();
    void checkpoint(int frames);

    const std::string path_;
    const checkpoint_limits limits_;
    std::unique_ptr<connection> conn_;  // the thread's own, opened on first use
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    int frames_ = 0;  // the log's length at the latest commit
    int copied_ = 0;  // the log's length at the latest checkpoint
    int checkpoints_ = 0;
    int restarts_ = 0;
    bool stopping_ = false;
    std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace spotik::storage::sqlite
