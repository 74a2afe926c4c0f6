// Uploads of audio tracks and room covers. The multipart body is already on disk; each file
// part is copied next to its final place, inspected (magic bytes + TagLib / image headers),
// then renamed into place, and only then is the row inserted. Every failure removes what was
// written, so a refused or failed upload leaves no file and no row. The files are claimed
// (util/file_claim) from their creation until the row is committed, so a start-up sweep of
// another replica never takes them for leftovers; the file and its directory are fsynced
// before the row commits, so a committed track never lacks its file, even after a power loss.
#include "media/audio_probe.hpp"
#include "media/image_probe.hpp"
#include "media/multipart.hpp"
#include "obs/log.hpp"
#include "service/track_service.hpp"
#include "util/file_claim.hpp"
#include "util/ids.hpp"
#include "util/utf8.hpp"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace spotik::service {
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_max_cover_bytes = 5120 * 1024;
const char* const k_cover_type_message = "The cover image field must be a file of type: jpg, jpeg, png, webp.";

// Messages may quote what the client sent (a file extension, a part's Content-Type), which is
// raw bytes: they are made valid UTF-8 so that the 422 body stays JSON.
upload_error invalid(std::string field, std::string_view message)
{
    return {upload_problem::invalid, std::move(field), util::valid_utf8(message)};
}

bool disk_full(const std::system_error& e)
{
    return e.code().value() == ENOSPC || e.code().value() == EDQUOT;
}

std::string lower(std::string s)
{
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string extension_of(const std::string& filename)
{
    auto dot = filename.rfind('.');
    return dot == std::string::npos ? std::string() : lower(filename.substr(dot + 1));
}

// The client's file name without any path and without control characters, as valid UTF-8
// (multipart headers are raw bytes: other bytes become U+FFFD), at most 255 bytes (cut on a
// UTF-8 boundary).
std::string display_name(const std::string& filename)
{
    std::string base =
        filename.substr(filename.find_last_of("/\\") == std::string::npos ? 0 : filename.find_last_of("/\\") + 1);
    std::string out;
    for (unsigned char c : util::valid_utf8(base))
        if (c >= 0x20 && c != 0x7f) out.push_back(static_cast<char>(c));
    if (out.size() > 255) {
        std::size_t cut = 255;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
    }
    return out.empty() ? "track" : out;
}

const media::multipart_part* find_part(const std::vector<media::multipart_part>& parts, const char* name)
{
    for (const auto& p : parts)
        if (p.name == name && p.filename) return &p;
    return nullptr;
}

std::string size_mb(std::uint64_t bytes)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", double(bytes) / (1024.0 * 1024.0));
    return buf;
}

std::variant<std::vector<media::multipart_part>, upload_error> read_parts(const std::string& body_path,
                                                                          std::string_view content_type,
                                                                          const char* field)
{
    auto boundary = media::boundary_from_content_type(content_type);
    if (!boundary) return invalid(field, "The request must be multipart/form-data.");
    auto parsed = media::parse_multipart(body_path, *boundary, {});
    if (auto* err = std::get_if<std::string>(&parsed)) return invalid(field, "Malformed multipart body: " + *err);
    return std::get<std::vector<media::multipart_part>>(std::move(parsed));
}

// Copies and validates an image part into `dest_dir/.<name>-<random>.part`; returns its claim.
std::variant<std::unique_ptr<util::file_claim>, upload_error> stage_cover(const std::string& body_path,
                                                                          const media::multipart_part& part,
                                                                          const fs::path& dest_dir,
                                                                          const std::string& name,
                                                                          media::image_info& info)
{
    if (part.length == 0) return invalid("cover_image", k_cover_type_message);
    if (part.length > k_max_cover_bytes)
        return invalid("cover_image", "The cover image field must not be greater than 5120 kilobytes.");
    fs::create_directories(dest_dir);
    // Unique per upload: two covers sent to one room at once never share a staging file.
    std::unique_ptr<util::file_claim> claim;
    try {
        claim = std::make_unique<util::file_claim>(
            util::file_claim::create(dest_dir / ("." + name + "-" + util::random_hex(6) + ".part")));
        media::copy_part(body_path, part, claim->path().string());
    } catch (const std::system_error& e) {
        if (disk_full(e)) return upload_error{upload_problem::storage_full, "cover_image", "Insufficient storage"};
        throw;
    }
    auto probed = media::probe_image(claim->path().string());
    if (std::holds_alternative<std::string>(probed)) return invalid("cover_image", k_cover_type_message);
    info = std::get<media::image_info>(probed);
    return claim;
}

}  // namespace

std::variant<storage::room_record, upload_error> track_service::upload_room(std::string_view room_id,
                                                                            const storage::user_record& caller)
{
    auto room = store_.find_room(room_id);
    if (!room) return upload_error{upload_problem::not_found, "", "Room not found"};
    if (!store_.is_participant(room->id, caller.id)) {
        // A room deleted since it was read has no participants left: that is a 404 too.
        if (!store_.find_room(room->id)) return upload_error{upload_problem::not_found, "", "Room not found"};
        return upload_error{upload_problem::forbidden, "", "You must be a participant of this room to upload tracks"};
    }
    return std::move(*room);
}

std::variant<storage::room_record, upload_error> track_service::cover_room(std::string_view room_id,
                                                                           const storage::user_record& caller)
{
    auto room = store_.find_room(room_id);
    if (!room) return upload_error{upload_problem::not_found, "", "Room not found"};
    if (room->administrator_id != caller.id)
        return upload_error{upload_problem::forbidden, "", "Only room administrators can update the cover"};
    return std::move(*room);
}

namespace {

// The audio part of an upload, once its size, extension and declared type are acceptable.
struct audio_part {
    const media::multipart_part* part = nullptr;
    std::string ext;
    media::audio_format by_ext{};
    std::optional<media::audio_format> by_mime;  // none when the part declares no type
};

std::variant<audio_part, upload_error> choose_audio(const std::vector<media::multipart_part>& parts,
                                                    std::uint64_t max_bytes)
{
    const auto* audio = find_part(parts, "audio_file");
    if (!audio) return invalid("audio_file", "The audio file field is required.");
    if (audio->length == 0) return invalid("audio_file", "File is empty");
    if (audio->length > max_bytes)
        return invalid("audio_file", "File size (" + size_mb(audio->length) + " MB) exceeds maximum allowed size (" +
                                         size_mb(max_bytes) + " MB)");
    audio_part a{audio, extension_of(*audio->filename)};
    auto by_ext = media::format_from_extension(a.ext);
    if (!by_ext) return invalid("audio_file", "Unsupported file extension: ." + a.ext + ". Supported: mp3, wav, m4a");
    a.by_ext = *by_ext;
    std::string declared = lower(audio->content_type.substr(0, audio->content_type.find(';')));
    if (!declared.empty() && declared != "application/octet-stream") {
        a.by_mime = media::format_from_mime(declared);
        if (!a.by_mime)
            return invalid("audio_file", "Unsupported MIME type: " + declared +
                                             ". Supported: audio/mpeg, audio/wav, audio/mp4, audio/x-m4a");
    }
    return a;
}

}  // namespace

std::variant<storage::track_record, upload_error> track_service::upload(std::string_view room_id,
                                                                        const storage::user_record& caller,
                                                                        const std::string& body_path,
                                                                        std::string_view content_type)
{
    auto room_or = upload_room(room_id, caller);
    if (auto* err = std::get_if<upload_error>(&room_or)) return *err;
    const auto* room = &std::get<storage::room_record>(room_or);
    auto parts_or = read_parts(body_path, content_type, "audio_file");
    if (auto* err = std::get_if<upload_error>(&parts_or)) return *err;
    const auto& parts = std::get<std::vector<media::multipart_part>>(parts_or);
    auto chosen = choose_audio(parts, max_upload_bytes());
    if (auto* err = std::get_if<upload_error>(&chosen)) return *err;
    const auto& audio = std::get<audio_part>(chosen);

    std::string id = util::new_uuid();
    fs::path dir = fs::path(cfg_.storage.audio_path) / "tracks";
    fs::create_directories(dir);
    std::optional<util::file_claim> staged;
    try {
        staged = util::file_claim::create(dir / ("." + id + ".part"));
        media::copy_part(body_path, *audio.part, staged->path().string());  // fsyncs the data
    } catch (const std::system_error& e) {
        if (disk_full(e)) return upload_error{upload_problem::storage_full, "audio_file", "Insufficient storage"};
        throw;
    }
    auto probed = media::probe_audio(staged->path().string());
    if (auto* err = std::get_if<std::string>(&probed)) return invalid("audio_file", *err);
    const auto& info = std::get<media::audio_info>(probed);
    if (info.format != audio.by_ext || (audio.by_mime && *audio.by_mime != info.format))
        return invalid("audio_file", "The file's content does not match its extension or declared type");

    staged_track track{std::move(*staged)};
    fs::path covers_dir = fs::path(cfg_.storage.public_path) / "track_covers";
    if (const auto* c = find_part(parts, "cover_image"); c && c->length > 0) {
        media::image_info cover_info{};
        auto staged_cover = stage_cover(body_path, *c, covers_dir, id, cover_info);
        if (auto* err = std::get_if<upload_error>(&staged_cover)) return *err;
        track.cover = std::move(std::get<std::unique_ptr<util::file_claim>>(staged_cover));
        track.cover_path = covers_dir / (id + "." + std::string(cover_info.extension()));
    }

    auto& t = track.row;
    t.id = id;
    t.room_id = room->id;
    t.uploader_id = caller.id;
    t.filename = id + "." + audio.ext;
    t.original_name = display_name(*audio.part->filename);
    t.file_path = "tracks/" + t.filename;
    t.duration_seconds = info.duration_seconds;
    t.file_size_bytes = std::int64_t(audio.part->length);
    t.mime_type = std::string(media::canonical_mime(info.format));
    t.created_at = t.updated_at = clock_.now_ms();
    t.uploader_username = caller.username;
    auto turn = events_.turn(room->id);
    if (auto err = commit(track, dir / t.filename)) return *err;
    obs::info("track uploaded", {{"track_id", id},
                                 {"room_id", room->id},
                                 {"bytes", t.file_size_bytes},
                                 {"duration_seconds", t.duration_seconds},
                                 {"mime_type", t.mime_type}});
    events_.track_added(t);
    playback_.auto_start(t);
    return std::move(t);
}

std::optional<upload_error> track_service::commit(staged_track& track, const fs::path& audio_target)
{
    const auto& id = track.row.id;
    track.audio.rename_to(audio_target);  // durable name; the claim follows the file
    try {
        store_.insert_track(track.row);  // throws: the claim removes the file
    } catch (const storage::room_gone&) {
        return upload_error{upload_problem::not_found, "", "Room not found"};  // deleted during the upload
    }
    track.audio.keep();  // the row is committed: the file is no longer in the making
    if (track.cover) {
        try {
            track.cover->rename_to(track.cover_path);
            track.cover->keep();
        } catch (const std::system_error& e) {
            obs::warn("track cover not stored", {{"track_id", id}, {"detail", e.code().message()}});
            track.cover_path.clear();
        }
    }
    // Deleting the room (or the track) removes the track's files after its row: a track gone
    // by now had its files removed before the cover arrived, which must then go too, and
    // nobody is told of a track that no longer exists.
    if (!store_.find_track(id, "")) {
        std::error_code ec;
        if (!track.cover_path.empty()) fs::remove(track.cover_path, ec);
        return upload_error{upload_problem::not_found, "", "Room not found"};
    }
    return std::nullopt;
}

std::variant<std::string, upload_error> track_service::set_room_cover(std::string_view room_id,
                                                                      const storage::user_record& caller,
                                                                      const std::string& body_path,
                                                                      std::string_view content_type)
{
    auto room_or = cover_room(room_id, caller);
    if (auto* err = std::get_if<upload_error>(&room_or)) return *err;
    const auto* room = &std::get<storage::room_record>(room_or);
    auto parts_or = read_parts(body_path, content_type, "cover_image");
    if (auto* err = std::get_if<upload_error>(&parts_or)) return *err;
    const auto* part = find_part(std::get<std::vector<media::multipart_part>>(parts_or), "cover_image");
    if (!part) return invalid("cover_image", "The cover image field is required.");
    fs::path dir = fs::path(cfg_.storage.public_path) / "room_covers";
    media::image_info info{};
    auto staged = stage_cover(body_path, *part, dir, room->id, info);
    if (auto* err = std::get_if<upload_error>(&staged)) return *err;
    auto& claim = std::get<std::unique_ptr<util::file_claim>>(staged);
    std::string ext(info.extension());
    if (ext == "jpg" && extension_of(*part->filename) == "jpeg") ext = "jpeg";
    // One change of the room at a time (across replicas too): two racing covers could each remove
    // the other extensions before either renames, and leave two covers on disk.
    auto turn = events_.turn(room->id);
    std::error_code ec;
    for (const char* old : {"jpg", "jpeg", "png", "webp"})
        if (ext != old) fs::remove(dir / (room->id + "." + old), ec);
    fs::path target = dir / (room->id + "." + ext);
    claim->rename_to(target);
    claim->keep();
    // Deleting a room removes its covers after its row: a room that is gone by now (deleted by
    // another replica) had its covers removed before this one arrived, which must then go too.
    if (!store_.touch_room(room->id, clock_.now_ms())) {
        fs::remove(target, ec);
        return upload_error{upload_problem::not_found, "", "Room not found"};
    }
    events_.room_state_updated(room->id);
    return "/api/storage/room_covers/" + room->id + "." + ext;
}

}  // namespace spotik::service
