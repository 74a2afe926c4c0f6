// Finds the binary of a service the tests start themselves (redis-server, nginx): in PATH,
// /usr/sbin or /usr/bin. Throws std::runtime_error naming the Debian package and the make
// target that installs it, so a missing service is a clear test failure, never a skip.
#pragma once
#include <string>

namespace spotik::test {

std::string find_service_binary(const std::string& name, const std::string& debian_package);

}  // namespace spotik::test
