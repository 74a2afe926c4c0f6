// Which users have WebSocket sockets open on this process, joined to a room or not: what
// GET /api/websocket/status tells a signed-in caller about itself (user_connected) and the
// number of distinct users connected (authenticated_users). The hub knows only the sockets
// that joined a room. Thread-safe; one short lock per socket opened or closed.
#pragma once
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace spotik::realtime {

class presence {
public:
    void opened(std::string_view user_id);
    void closed(std::string_view user_id);
    // Sockets open for the user (0 when none).
    std::size_t sockets_of(std::string_view user_id) const;
    // Users with at least one socket open.
    std::size_t users() const;

private:
    struct text_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::size_t, text_hash, std::equal_to<>> sockets_;
};

}  // namespace spotik::realtime
