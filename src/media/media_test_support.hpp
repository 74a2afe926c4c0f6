// Helpers shared by the media unit and property tests: the fixtures directory (SPOTIK_FIXTURES
// from the build, else found relative to this file), a self-removing temporary directory,
// whole-file read/write and a multipart/form-data body builder. Test-only; failures throw
// std::runtime_error.
#pragma once
#include "util/temp_dir_test_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace spotik::media::testing {

inline std::filesystem::path fixtures_dir()
{
#ifdef SPOTIK_FIXTURES
    // __FILE__ may be relative to the build directory (ccache with base_dir rewrites paths).
    return SPOTIK_FIXTURES;
#else
    return std::filesystem::weakly_canonical(std::filesystem::path(__FILE__).parent_path() / "../../tests/fixtures");
#endif
}

inline std::string fixture(std::string_view name)
{
    return (fixtures_dir() / name).string();
}

using util::testing::temp_dir;

inline void write_file(const std::string& path, std::string_view bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct test_part {
    std::string name;
    std::optional<std::string> filename;  // quotes and backslashes are escaped by the builder
    std::string content_type;             // no Content-Type header when empty
    std::string content;
};

// A body as browsers send it: CRLF line ends, "--boundary" lines, a closing "--boundary--".
inline std::string build_multipart(std::string_view boundary, const std::vector<test_part>& parts,
                                   std::string_view preamble = "", std::string_view epilogue = "")
{
    std::string body(preamble);
    if (!preamble.empty()) body += "\r\n";
    for (const auto& p : parts) {
        body += "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
        if (p.filename) {
            body += "; filename=\"";
            for (char c : *p.filename) {
                if (c == '"' || c == '\\') body += '\\';
                body += c;
            }
            body += "\"";
        }
        body += "\r\n";
        if (!p.content_type.empty()) body += "Content-Type: " + p.content_type + "\r\n";
        body += "\r\n" + p.content + "\r\n";
    }
    return body + "--" + std::string(boundary) + "--" + std::string(epilogue);
}

}  // namespace spotik::media::testing
