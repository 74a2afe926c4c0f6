// A bounded set of the most recent ids (event ids seen on the bus), forgetting the oldest.
// Not thread-safe.
#pragma once
#include <cstddef>
#include <deque>
#include <string>
#include <unordered_set>

namespace spotik::realtime {

class recent_ids {
public:
    explicit recent_ids(std::size_t capacity) : capacity_(capacity) {}
    bool contains(const std::string& id) const { return set_.contains(id); }
    void insert(const std::string& id)
    {
        if (!set_.insert(id).second) return;
        order_.push_back(id);
        while (order_.size() > capacity_) {
            set_.erase(order_.front());
            order_.pop_front();
        }
    }
    std::size_t size() const { return set_.size(); }

private:
    std::size_t capacity_;
    std::deque<std::string> order_;
    std::unordered_set<std::string> set_;
};

}  // namespace spotik::realtime
