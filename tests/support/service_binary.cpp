// Service binary lookup.
#include "support/service_binary.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace spotik::test {

std::string find_service_binary(const std::string& name, const std::string& debian_package)
{
    std::string dirs = "/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin";
    if (const char* path = std::getenv("PATH")) dirs = std::string(path) + ":" + dirs;
    std::stringstream in(dirs);
    for (std::string dir; std::getline(in, dir, ':');) {
        if (dir.empty()) continue;
        std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    throw std::runtime_error(name + " is not installed: these tests start their own " + name + " on loopback. Install " +
                             debian_package + " with `make deps-test` (scripts/install-deps.sh test).");
}

}  // namespace spotik::test
