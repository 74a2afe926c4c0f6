// For the hub's unit tests: a client that keeps every frame it is given, as one user.
#pragma once
#include "realtime/hub.hpp"

#include <string>
#include <vector>

namespace spotik::realtime {

class recorder final : public hub_client {
public:
    explicit recorder(std::string user = "viewer") : user_(std::move(user)) {}
    void deliver(const frame& f) override { frames.push_back(*f); }
    std::string_view user_id() const override { return user_; }
    std::vector<std::string> frames;

private:
    std::string user_;
};

}  // namespace spotik::realtime
