// libpq in non-blocking mode under poll() deadlines: connecting (PQconnectStartParams and
// PQconnectPoll), preparing, sending, flushing and collecting results. Any failure that
// leaves the connection unusable marks it broken and throws store_unavailable.
#include "storage/postgres/connection.hpp"

#include "storage/postgres/error.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>

namespace spotik::storage::pg {
namespace {

constexpr std::size_t k_context_chars = 60;

void ignore_notice(void*, const char*) {}

int remaining_ms(steady::time_point deadline)
{
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1'000'000'000));
}

std::string first_line(const char* text)
{
    std::string line = text != nullptr ? text : "";
    if (const auto end = line.find('\n'); end != std::string::npos) line.resize(end);
    return line;
}

}  // namespace

connection::connection(const connect_settings& settings, steady::time_point deadline)
    : hidden_(settings.hidden), read_timeout_(settings.read_timeout)
{
    std::vector<const char*> keys;
    std::vector<const char*> values;
    for (const auto& [key, value] : settings.keywords) {
        keys.push_back(key.c_str());
        values.push_back(value.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectStartParams(keys.data(), values.data(), 1);
    if (conn_ == nullptr) throw store_unavailable("postgres: cannot allocate a connection");
    try {
        PQsetNoticeProcessor(conn_, &ignore_notice, nullptr);
        auto polling = PGRES_POLLING_WRITING;
        while (polling != PGRES_POLLING_OK) {
            if (PQstatus(conn_) == CONNECTION_BAD || polling == PGRES_POLLING_FAILED) fail("cannot connect", "connect");
            wait_socket(polling == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline, "connect");
            polling = PQconnectPoll(conn_);
        }
        if (PQsetnonblocking(conn_, 1) != 0) fail("cannot switch to non-blocking mode", "connect");
    } catch (...) {
        PQfinish(conn_);  // the destructor does not run for a constructor that throws
        throw;
    }
}

connection::~connection()
{
    PQfinish(conn_);
}

result connection::query(std::string_view sql, const params& args)
{
    const auto deadline = steady::now() + read_timeout_;
    auto found = prepared_.find(sql);
    if (found == prepared_.end()) {
        std::string name = "s" + std::to_string(prepared_.size() + 1);
        send_prepare(name, sql, args.size(), deadline);
        found = prepared_.emplace(std::string(sql), std::move(name)).first;
    }
    const auto values = args.pointers();
    if (PQsendQueryPrepared(conn_, found->second.c_str(), args.size(), values.data(), nullptr, nullptr, 0) == 0)
        fail("cannot send", sql);
    flush(deadline, sql);
    return collect(deadline, sql);
}

void connection::send_prepare(const std::string& name, std::string_view sql, int n_params, steady::time_point deadline)
{
    const std::string text(sql);
    if (PQsendPrepare(conn_, name.c_str(), text.c_str(), n_params, nullptr) == 0) fail("cannot send", sql);
    flush(deadline, sql);
    collect(deadline, sql);
}

void connection::run_script(const char* sql, std::string_view context, std::chrono::milliseconds timeout)
{
    const auto deadline = timeout.count() > 0 ? steady::now() + timeout : steady::time_point::max();
    if (PQsendQuery(conn_, sql) == 0) fail("cannot send", context);
    flush(deadline, context);
    collect(deadline, context);
}

void connection::flush(steady::time_point deadline, std::string_view context)
{
    for (;;) {
        const int rc = PQflush(conn_);
        if (rc == 0) return;
        if (rc < 0) fail("cannot send", context);
        // Reading while the output buffer is full keeps the server from blocking on us.
        wait_socket(POLLOUT | POLLIN, deadline, context);
        if (PQconsumeInput(conn_) == 0) fail("connection lost", context);
    }
}

result connection::collect(steady::time_point deadline, std::string_view context)
{
    result last;
    result first_error;
    for (;;) {
        while (PQisBusy(conn_) != 0) {
            wait_socket(POLLIN, deadline, context);
            if (PQconsumeInput(conn_) == 0) {
                if (first_error) break;
                fail("connection lost", context);
            }
        }
        PGresult* raw = PQgetResult(conn_);
        if (raw == nullptr) break;
        result res(raw);
        const auto status = PQresultStatus(raw);
        const bool failed = status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY;
        if (failed && !first_error)
            first_error = std::move(res);
        else if (!failed)
            last = std::move(res);
        if (PQstatus(conn_) == CONNECTION_BAD) break;
    }
    if (first_error) {
        const bool lost = PQstatus(conn_) == CONNECTION_BAD;
        if (lost) broken_ = true;
        throw_result_error(first_error.get(), lost, context);
    }
    return last;
}

void connection::wait_socket(short events, steady::time_point deadline, std::string_view context)
{
    for (;;) {
        pollfd fd{PQsocket(conn_), events, 0};
        if (fd.fd < 0) fail("connection lost", context);
        const int rc = ::poll(&fd, 1, remaining_ms(deadline));
        if (rc > 0) return;
        if (rc == 0) fail("no answer in time", context);
        if (errno != EINTR) fail("poll failed", context);
    }
}

void connection::fail(std::string_view what, std::string_view context)
{
    broken_ = true;
    std::string message = "postgres: ";
    message += what;
    if (const auto detail = scrubbed(first_line(PQerrorMessage(conn_))); !detail.empty()) message += ": " + detail;
    message += " (";
    message += context.substr(0, k_context_chars);
    message += ")";
    throw store_unavailable(message);
}

std::string connection::scrubbed(std::string text) const
{
    constexpr std::string_view k_mask = "(hidden)";
    for (const auto& secret : hidden_) {
        if (secret.empty()) continue;
        // Searching on after the mask: a password such as "d" is found in "(hidden)" too.
        for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + k_mask.size()))
            text.replace(at, secret.size(), k_mask);
    }
    return text;
}

std::string connection::target() const
{
    const char* host = PQhost(conn_);
    const std::string shown = host == nullptr ? "" : host[0] == '/' ? "(unix socket)" : host;
    return shown + ":" + (PQport(conn_) != nullptr ? PQport(conn_) : "") + "/" + (PQdb(conn_) ? PQdb(conn_) : "");
}

bool connection::looks_alive() const
{
    if (broken_ || PQstatus(conn_) != CONNECTION_OK) return false;
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    return fd.fd >= 0 && ::poll(&fd, 1, 0) == 0;
}

bool connection::reusable() const
{
    return !broken_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

}  // namespace spotik::storage::pg
