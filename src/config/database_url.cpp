// DATABASE_URL checks (see database_url.hpp). libpq's parse errors quote the URL, or the part
// of it that is wrong (which may be the password): only their unquoted words are kept.
#include "config/database_url.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace spotik::config {
namespace {

// libpq's message with every quoted text longer than one character (a URL, a parameter, a
// percent escape) replaced by (hidden); `"]"` and the like stay, they explain the mistake.
std::string without_quotes(std::string_view text)
{
    std::string out;
    while (!text.empty()) {
        const auto open = text.find('"');
        const auto close = open == std::string_view::npos ? open : text.find('"', open + 1);
        if (close == std::string_view::npos) {
            out += text.substr(0, open == std::string_view::npos ? text.size() : open);
            break;
        }
        out += text.substr(0, open);
        out += close - open == 2 ? text.substr(open, 3) : std::string_view("(hidden)");
        text.remove_prefix(close + 1);
    }
    while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    return out;
}

using options_ptr = std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)>;

options_ptr parse(const std::string& url, std::string* problem)
{
    char* error = nullptr;
    options_ptr options(PQconninfoParse(url.c_str(), &error), &PQconninfoFree);
    if (problem != nullptr) *problem = error != nullptr ? without_quotes(error) : std::string("cannot be read");
    PQfreemem(error);
    return options;
}

}  // namespace

std::optional<std::string> normalize_database_url(std::string& url)
{
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return std::string("expected a postgres:// or postgresql:// URL");
    std::transform(url.begin(), url.begin() + static_cast<std::ptrdiff_t>(scheme_end), url.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string_view scheme(url.data(), scheme_end);
    if (scheme != "postgres" && scheme != "postgresql")
        return std::string("expected a postgres:// or postgresql:// URL");
    std::string problem;
    if (!parse(url, &problem)) return "libpq cannot read this URL: " + problem;
    return std::nullopt;
}

std::vector<std::string> database_url_secrets(const std::string& url)
{
    std::vector<std::string> secrets;
    if (url.empty()) return secrets;
    secrets.push_back(url);
    // As written: between the user name's ':' and the '@' that ends the user information.
    const auto start = url.find("://");
    const auto at = start == std::string::npos ? start : url.find_first_of("@/", start + 3);
    if (at != std::string::npos && url[at] == '@') {
        const auto colon = url.find(':', start + 3);
        if (colon < at && colon + 1 < at) secrets.push_back(url.substr(colon + 1, at - colon - 1));
    }
    if (const auto options = parse(url, nullptr))
        for (auto* o = options.get(); o->keyword != nullptr; ++o)
            if (std::string_view(o->keyword) == "password" && o->val != nullptr && o->val[0] != '\0')
                secrets.emplace_back(o->val);
    std::sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    secrets.erase(std::unique(secrets.begin(), secrets.end()), secrets.end());
    return secrets;
}

}  // namespace spotik::config
