// The io-thread guard shared by the storage drivers: a thread-local mark set by the
// application on its io threads and checked when a driver is about to block.
#include "storage/store.hpp"

namespace spotik::storage {
namespace {

thread_local bool t_io_thread = false;

}  // namespace

void mark_io_thread() noexcept
{
    t_io_thread = true;
}

void forbid_io_thread(const char* driver)
{
    if (t_io_thread) throw storage_error(std::string(driver) + ": blocking database call on an io thread");
}

}  // namespace spotik::storage
