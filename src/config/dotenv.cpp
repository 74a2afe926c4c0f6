// The .env file and the process environment: the two sources load_config() merges. Parse
// problems are reported by line number and never quote the line, which may hold a secret.
#include "config/dotenv.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

extern "C" char** environ;

namespace spotik::config {
namespace {

namespace fs = std::filesystem;

std::string_view trim(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool valid_name(std::string_view name)
{
    const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    return !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
           std::all_of(name.begin(), name.end(), word);
}

// Reads the "..." value text starts with into out; returns what follows the closing quote, or
// nullopt if the quote is not closed on this line.
std::optional<std::string_view> read_double_quoted(std::string_view text, std::string& out)
{
    for (std::size_t i = 1; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') return text.substr(i + 1);
        if (c != '\\' || i + 1 == text.size()) {
            out += c;
            continue;
        }
        const char next = text[++i];
        switch (next) {
            case 'n':
                out += '\n';
                break;
            case 't':
                out += '\t';
                break;
            case 'r':
                out += '\r';
                break;
            case '"':
            case '\\':
                out += next;
                break;
            default:
                out.append({'\\', next});  // unknown escapes are kept as written
        }
    }
    return std::nullopt;
}

// The value part of a line (after '='). Returns the problem, if any.
std::optional<std::string> parse_value(std::string_view raw, std::string& out)
{
    const std::string_view text = trim(raw);
    if (text.starts_with('"') || text.starts_with('\'')) {
        std::optional<std::string_view> rest;
        if (text.front() == '"') {
            rest = read_double_quoted(text, out);
        } else if (const auto close = text.find('\'', 1); close != std::string_view::npos) {
            out = text.substr(1, close - 1);
            rest = text.substr(close + 1);
        }
        if (!rest) return std::string("unterminated quoted value");
        if (const auto tail = trim(*rest); !tail.empty() && tail.front() != '#')
            return std::string("unexpected text after the closing quote");
        return std::nullopt;
    }
    // Unquoted: a '#' that follows whitespace starts a comment.
    std::size_t cut = raw.size();
    for (std::size_t i = 1; i < raw.size() && cut == raw.size(); ++i)
        if (raw[i] == '#' && (raw[i - 1] == ' ' || raw[i - 1] == '\t')) cut = i;
    out = trim(raw.substr(0, cut));
    return std::nullopt;
}

// One .env line: sets key (left empty for blank and comment lines) and value, or returns the
// problem. Problems never quote the line, which may hold a secret.
std::optional<std::string> parse_line(std::string_view line, std::string& key, std::string& value)
{
    line = trim(line);
    if (line.empty() || line.front() == '#') return std::nullopt;
    if (line.starts_with("export ") || line.starts_with("export\t")) line = trim(line.substr(7));
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return std::string("expected KEY=VALUE");
    const auto name = trim(line.substr(0, eq));
    if (!valid_name(name)) return std::string("invalid variable name (letters, digits and _ only)");
    if (auto problem = parse_value(line.substr(eq + 1), value)) return std::string(name) + ": " + *problem;
    key = name;
    return std::nullopt;
}

}  // namespace

env_map read_process_env()
{
    env_map env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto eq = text.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        env.emplace(text.substr(0, eq), text.substr(eq + 1));
    }
    return env;
}

env_map parse_dotenv(std::string_view text, std::vector<std::string>& errors)
{
    env_map out;
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
    std::size_t line_no = 0;
    for (std::size_t start = 0; start < text.size();) {
        const auto end = std::min(text.find('\n', start), text.size());
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++line_no;
        if (line.ends_with('\r')) line.remove_suffix(1);
        std::string key;
        std::string value;
        if (auto problem = parse_line(line, key, value))
            errors.push_back("line " + std::to_string(line_no) + ": " + *problem);
        else if (!key.empty())
            out.insert_or_assign(std::move(key), std::move(value));
    }
    return out;
}

std::optional<std::string> read_file(const std::string& path)
{
    std::error_code ec;
    // A FIFO or a device would block the reader or never end: regular files only (after links).
    if (!fs::is_regular_file(path, ec)) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return std::move(text).str();
}

}  // namespace spotik::config
