// Fuzz harness helpers.
#include "support.hpp"

#include <boost/json/parse.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace spotik::fuzz {

const std::string& scratch_dir()
{
    static const std::string dir = [] {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/spotik-fuzz-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) fail("cannot create the scratch directory", pattern);
        static std::string removed_at_exit;
        removed_at_exit = pattern;
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(removed_at_exit, ec);
        });
        return pattern;
    }();
    return dir;
}

void write_file(const std::string& path, std::string_view bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) fail("cannot write a scratch file", path);
}

std::string read_whole_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot read a scratch file", path);
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

void fail(std::string_view what, std::string_view detail)
{
    std::fprintf(stderr, "\nfuzz invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
    if (!detail.empty())
        std::fprintf(stderr, "  detail: %.*s\n", static_cast<int>(std::min<std::size_t>(detail.size(), 2000)),
                     detail.data());
    std::fflush(stderr);
    std::abort();
}

bool is_json_object(std::string_view text)
{
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    return !ec && v.is_object();
}

bool tracing()
{
    static const bool on = std::getenv("SPOTIK_FUZZ_TRACE") != nullptr;
    return on;
}

void trace(std::string_view what, std::string_view detail)
{
    std::fprintf(stderr, "%.*s -> %.*s\n", static_cast<int>(what.size()), what.data(),
                 static_cast<int>(std::min<std::size_t>(detail.size(), 300)), detail.data());
}

void replace_all(std::string& text, std::string_view from, std::string_view to)
{
    if (from.empty()) return;
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

}  // namespace spotik::fuzz
