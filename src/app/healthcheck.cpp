// The healthcheck subcommand: a Beast HTTP/1.1 GET on a private io_context with one deadline.
#include "app/healthcheck.hpp"

#include "config/config.hpp"
#include "config/load.hpp"
#include "config/value_text.hpp"
#include "config/variables.hpp"
#include "util/ip_range.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <optional>
#include <ostream>

namespace spotik::app {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// A URL's port, digits only, 1-65535 (port_number() would wrap 83987 to 18451).
std::optional<unsigned short> port_of(std::string_view text)
{
    const auto value = config::text::parse_whole(text);
    if (!value || *value < 1 || *value > 65535) return std::nullopt;
    return static_cast<unsigned short>(*value);
}

}  // namespace

probe_result http_probe(const std::string& host, unsigned short port, const std::string& target, int timeout_s)
{
    probe_result result;
    asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    auto run = [&]() -> asio::awaitable<void> {
        stream.expires_after(std::chrono::seconds(timeout_s));
        asio::ip::tcp::resolver resolver{ioc};
        auto endpoints = co_await resolver.async_resolve(host, std::to_string(port), asio::use_awaitable);
        co_await stream.async_connect(endpoints, asio::use_awaitable);
        bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
        req.set(bhttp::field::host, util::url_authority(host, port));
        req.set(bhttp::field::user_agent, "spotik-healthcheck");
        req.set(bhttp::field::connection, "close");
        co_await bhttp::async_write(stream, req, asio::use_awaitable);
        beast::flat_buffer buffer;
        bhttp::response<bhttp::string_body> res;
        co_await bhttp::async_read(stream, buffer, res, asio::use_awaitable);
        result.status = res.result_int();
    };
    asio::co_spawn(ioc, run(), [&](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const boost::system::system_error& se) {
            result.detail = se.code() == beast::error::timeout ? "no answer within " + std::to_string(timeout_s) + " s"
                                                               : se.code().message();
        } catch (const std::exception& ex) {
            result.detail = ex.what();
        }
    });
    ioc.run();
    return result;
}

probe_target resolve_probe_target(const command& cmd, const std::map<std::string, std::string>& env,
                                  const std::map<std::string, std::string>& dotenv)
{
    probe_target t;
    if (!cmd.url.empty()) {
        auto url = boost::urls::parse_uri(cmd.url);
        if (!url || url->host().empty()) {
            t.error = "--url is not a valid http:// URL";
            return t;
        }
        // host_address() drops the brackets of an IPv6 literal, which the resolver refuses.
        t.host = url->host_address();
        const auto port = url->has_port() ? port_of(url->port()) : std::optional<unsigned short>(80);
        if (!port) {
            t.error = "--url has a port outside 1-65535";
            return t;
        }
        t.port = *port;
        t.path = url->encoded_target().empty() ? std::string("/") : std::string(url->encoded_target());
        return t;
    }
    config::config cfg;
    for (const char* name : {"SERVER_HOST", "SERVER_PORT"}) {
        const std::string* value = nullptr;
        if (auto it = env.find(name); it != env.end())
            value = &it->second;
        else if (auto jt = dotenv.find(name); jt != dotenv.end())
            value = &jt->second;
        if (value == nullptr) continue;
        if (auto problem = config::find_variable(name)->set(cfg, *value)) {
            t.error = std::string(name) + ": " + *problem;
            return t;
        }
    }
    if (cfg.server.port == 0) {
        t.error = "SERVER_PORT is 0 (a random port): pass --url";
        return t;
    }
    t.host = util::is_unspecified(cfg.server.host) ? "127.0.0.1" : cfg.server.host;
    t.port = static_cast<unsigned short>(cfg.server.port);
    t.path = cmd.probe_path;
    return t;
}

int run_healthcheck(const command& cmd, std::ostream& out, std::ostream& err)
{
    std::map<std::string, std::string> dotenv;
    if (auto text = config::read_file(".env")) {
        std::vector<std::string> ignored;  // a broken .env is the server's problem to report
        dotenv = config::parse_dotenv(*text, ignored);
    }
    const auto target = resolve_probe_target(cmd, config::read_process_env(), dotenv);
    if (!target.error.empty()) {
        err << "spotik healthcheck: " << target.error << "\n";
        return 1;  // Docker's HEALTHCHECK reserves 2: every failure of the probe is 1
    }
    const std::string shown = "http://" + util::url_authority(target.host, target.port) + target.path;
    const auto r = http_probe(target.host, target.port, target.path, cmd.timeout_s);
    if (r.status == 200) {
        out << "healthy: " << shown << " answered 200\n";
        return 0;
    }
    if (r.status != 0)
        err << "unhealthy: " << shown << " answered " << r.status << "\n";
    else
        err << "unhealthy: " << shown << ": " << r.detail << "\n";
    return 1;
}

}  // namespace spotik::app
