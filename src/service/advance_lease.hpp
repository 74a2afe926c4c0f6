// A lease that lets exactly one replica advance a room at the end of its track (the Redis bus
// implements it with SET NX PX). The playback service also advances with a compare-and-set on
// the room's columns, so a lease that cannot be reached degrades to that, never to two
// advances. try_acquire blocks briefly (a Redis round trip): call on the blocking pool.
#pragma once
#include <cstdint>
#include <string>

namespace spotik::service {

class advance_lease {
public:
    enum class outcome { acquired, taken, unavailable };
    virtual ~advance_lease() = default;
    virtual outcome try_acquire(const std::string& name, std::int64_t ttl_ms) = 0;
};

}  // namespace spotik::service
