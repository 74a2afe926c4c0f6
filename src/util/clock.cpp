// System clock implementation.
#include "util/clock.hpp"

#include <chrono>

namespace spotik::util {

std::int64_t system_clock::now_ms() const
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t steady_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace spotik::util
