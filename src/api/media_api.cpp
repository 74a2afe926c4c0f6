// Audio streaming with byte ranges and conditional requests (CONTRACT §8.1, RFC 7233/7232)
// and public cover images under /api/storage (§8.4). Bodies are streamed from disk in
// chunks by the session; nothing here reads a whole file.
#include "api/common.hpp"
#include "api/routes.hpp"
#include "media/byte_range.hpp"
#include "util/time_format.hpp"

#include <sys/stat.h>

#include <filesystem>

namespace spotik::api {
namespace {

using service::authenticated;

struct file_facts {
    std::uint64_t size = 0;
    std::int64_t mtime_s = 0;
    std::string etag;
};

std::optional<file_facts> stat_file(const std::string& path)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    std::int64_t mtime_ns = std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    return file_facts{std::uint64_t(st.st_size), std::int64_t(st.st_mtim.tv_sec),
                      media::make_etag(std::uint64_t(st.st_size), mtime_ns)};
}

// A Content-Disposition that no file name can break: quotes and backslashes dropped from the
// ASCII fallback, the exact name percent-encoded in filename*.
std::string disposition(const std::string& name)
{
    std::string ascii, encoded;
    static constexpr char k_hex[] = "0123456789ABCDEF";
    for (unsigned char c : name) {
        ascii.push_back(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? char(c) : '_');
        if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
            encoded.push_back(char(c));
        } else {
            encoded += '%';
            encoded += k_hex[c >> 4];
            encoded += k_hex[c & 15];
        }
    }
    return "inline; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

// RFC 9110 §13.2.2 steps 1-2: If-Match, or else If-Unmodified-Since, names another version.
bool precondition_fails(const http::request& req, const file_facts& f)
{
    auto im = req.header("if-match");
    if (!im.empty()) return !media::etag_matches(im, f.etag, true);
    auto ius = util::parse_http_date(req.header("if-unmodified-since"));
    return ius && f.mtime_s > *ius;
}

bool not_modified(const http::request& req, const file_facts& f)
{
    auto inm = req.header("if-none-match");
    if (!inm.empty()) return media::etag_matches(inm, f.etag);
    auto ims = util::parse_http_date(req.header("if-modified-since"));
    return ims && f.mtime_s <= *ims;
}

// A Range applies unless If-Range names another version of the file.
bool range_applies(const http::request& req, const file_facts& f)
{
    auto if_range = req.header("if-range");
    if (if_range.empty()) return true;
    if (if_range.front() == '"') return if_range == f.etag;
    return if_range == util::http_date(f.mtime_s);
}

// Serves a whole file or one byte range of it with validators.
http::reply serve_file(const http::request& req, const std::string& path, const file_facts& f,
                       const std::string& content_type, const std::string& cache_control)
{
    http::reply rep;
    rep.set("Accept-Ranges", "bytes");
    rep.set("ETag", f.etag);
    rep.set("Last-Modified", util::http_date(f.mtime_s));
    rep.set("Cache-Control", cache_control);
    if (precondition_fails(req, f)) {
        auto refused = http::error_b(412, "Precondition failed", "The file is not the version the request names");
        refused.set("ETag", f.etag);
        refused.set("Last-Modified", util::http_date(f.mtime_s));
        return refused;
    }
    if (not_modified(req, f)) {
        rep.status = 304;
        return rep;
    }
    rep.set("Content-Type", content_type);
    auto range = req.header("range").empty() || !range_applies(req, f)
                     ? media::range_result{media::range_kind::none, {}}
                     : media::parse_range(req.header("range"), f.size);
    if (range.kind == media::range_kind::unsatisfiable) {
        rep.status = 416;
        rep.set("Content-Range", "bytes */" + std::to_string(f.size));
        return rep;
    }
    if (range.kind == media::range_kind::satisfiable) {
        rep.status = 206;
        rep.set("Content-Range", "bytes " + std::to_string(range.range.first) + "-" + std::to_string(range.range.last) +
                                     "/" + std::to_string(f.size));
        rep.file = http::file_range{path, range.range.first, range.range.last - range.range.first + 1};
        return rep;
    }
    rep.status = 200;
    rep.file = http::file_range{path, 0, f.size};
    return rep;
}

http::reply stream(context& ctx, http::request& req, const authenticated& who)
{
    auto id = uuid_param(req, "track");
    if (!id) return http::error_b(404, "Track not found");
    auto track = ctx.store.find_track(*id, "");
    if (!track) return http::error_b(404, "Track not found");
    if (!ctx.store.is_participant(track->room_id, who.user.id))
        return http::error_b(403, "You must be a participant of this room to stream tracks");
    std::string path = ctx.tracks.audio_file_path(*track);
    auto facts = stat_file(path);
    if (!facts) return http::error_b(404, "Audio file not found");
    auto rep = serve_file(req, path, *facts, track->mime_type, "public, max-age=3600");
    if (rep.status != 304) rep.set("Content-Disposition", disposition(track->original_name));
    return rep;
}

bool safe_cover_path(std::string_view path)
{
    std::string_view dir = path.starts_with("room_covers/")    ? "room_covers/"
                           : path.starts_with("track_covers/") ? "track_covers/"
                                                               : "";
    if (dir.empty()) return false;
    auto name = path.substr(dir.size());
    if (name.empty() || name.size() > 128 || name.front() == '.') return false;
    for (unsigned char c : name)
        if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
    return name.find("..") == std::string_view::npos;
}

http::reply storage_file(context& ctx, http::request& req)
{
    std::string rel(req.param("path"));
    if (!safe_cover_path(rel)) return http::error_b(403, "Invalid path");
    std::string path = (std::filesystem::path(ctx.cfg.storage.public_path) / rel).string();
    auto facts = stat_file(path);
    if (!facts) return http::error_b(404, "File not found");
    std::string ext = rel.substr(rel.rfind('.') + 1);
    std::string type = ext == "png" ? "image/png" : ext == "webp" ? "image/webp" : "image/jpeg";
    return serve_file(req, path, *facts, type, "public, max-age=3600");
}

}  // namespace

void add_media_routes(http::router& r, context& ctx)
{
    r.add("GET", "/api/tracks/{track}/stream",
          with_user(ctx.auth, [&ctx](http::request& req, const authenticated& who) { return stream(ctx, req, who); }),
          {.rate_limited = false, .summary = "Stream a track's audio (Range, ETag; ?token= accepted)", .tag = "media"});
    r.add("GET", "/api/storage/{path...}", [&ctx](http::request& req) { return storage_file(ctx, req); },
          {.auth = http::auth_mode::none, .summary = "Public cover images", .tag = "media"});
}

}  // namespace spotik::api
