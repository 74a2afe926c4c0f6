// Helpers shared by the fuzz targets: a private scratch directory, files written from the
// input, and the way a target reports a broken invariant (abort, so that libFuzzer keeps the
// input as a crash reproducer).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace spotik::fuzz {

// The input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size)
{
    return {reinterpret_cast<const char*>(data), size};
}

// A directory of this process under $TMPDIR (or /tmp), created on first use and removed at exit.
const std::string& scratch_dir();

// Writes bytes to path (created or truncated). Aborts if that fails: the harness is broken.
void write_file(const std::string& path, std::string_view bytes);
std::string read_whole_file(const std::string& path);

// Reports a broken invariant with the offending values and aborts.
[[noreturn]] void fail(std::string_view what, std::string_view detail = {});

// Aborts via fail() unless cond holds.
inline void check(bool cond, std::string_view what, std::string_view detail = {})
{
    if (!cond) fail(what, detail);
}

// True when text parses as one JSON object.
bool is_json_object(std::string_view text);

// SPOTIK_FUZZ_TRACE=1 in the environment: the app targets print what each request or command
// got, to check by hand what a seed reaches (`fuzz_api_request seed-file`).
bool tracing();
void trace(std::string_view what, std::string_view detail);

// Replaces every occurrence of from by to.
void replace_all(std::string& text, std::string_view from, std::string_view to);

}  // namespace spotik::fuzz
