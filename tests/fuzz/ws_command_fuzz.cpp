// Fuzz target: WebSocket command decoding and handling (realtime/client_message,
// api/ws_commands and the routes they run), over the real services and a SQLite store
// (app_fixture.hpp). Input: one text frame per line, up to 8; an optional first line "@member"
// or "@outsider" chooses the connected user (admin otherwise). Placeholders are those of
// app_fixture. The state is reset before every input.
// Invariants: no exception escapes (the session would answer internal_error), and every frame
// sent back, directly or through the hub, is a JSON object with a string "type".
#include "app_fixture.hpp"
#include "realtime/client_message.hpp"
#include "support.hpp"

#include <boost/json/parse.hpp>

#include <exception>

using namespace spotik;

namespace {

constexpr std::size_t k_max_frames = 8;

void check_frame(const realtime::frame& f)
{
    fuzz::check(f != nullptr, "a null frame");
    boost::system::error_code ec;
    const auto v = boost::json::parse(*f, ec);
    fuzz::check(!ec && v.is_object(), "a frame that is not a JSON object", *f);
    const auto* type = v.as_object().if_contains("type");
    fuzz::check(type != nullptr && type->is_string(), "a frame without a string type", *f);
}

class client final : public realtime::hub_client {
public:
    explicit client(std::string id) : id_(std::move(id)) {}
    void deliver(const realtime::frame& f) override
    {
        if (fuzz::tracing()) fuzz::trace("(hub)", *f);
        check_frame(f);
    }
    std::string_view user_id() const override { return id_; }

private:
    std::string id_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static fuzz::app_fixture app;
    app.reset();
    std::string_view input = fuzz::as_text(data, size);
    std::string who = "admin";
    if (input.starts_with("@member\n") || input.starts_with("@outsider\n")) {
        who = std::string(input.substr(1, input.find('\n') - 1));
        input.remove_prefix(who.size() + 2);
    }
    auto identity = app.commands().authenticate(app.token_of(who));
    if (!identity) fuzz::fail("the fixture's token of " + who + " does not authenticate");
    realtime::ws_connection conn{util::inline_id("fuzz-connection-0001"), util::inline_id(identity->user.id),
                                 std::nullopt, identity->token_id, identity->expires_at};
    auto self = std::make_shared<client>(conn.user_id.str());
    try {
        for (std::size_t n = 0; n < k_max_frames && !input.empty(); ++n) {
            const auto eol = input.find('\n');
            const std::string text = app.substitute(std::string(input.substr(0, eol)));
            input = eol == std::string_view::npos ? std::string_view{} : input.substr(eol + 1);
            auto msg = realtime::decode_client_message(text);
            if (!msg || msg->type == "ping") continue;  // answered by the session itself
            for (const auto& f : app.commands().handle(conn, msg->type, msg->data, self)) {
                if (fuzz::tracing()) fuzz::trace(msg->type, *f);
                check_frame(f);
            }
        }
        app.commands().disconnect(conn, self.get());
    } catch (const std::exception& e) {
        fuzz::fail(std::string("a command threw (the client would get internal_error): ") + e.what());
    }
    return 0;
}
