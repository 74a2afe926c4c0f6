// The storage sweep. Every folder is listed before the rows are read: a cover is renamed into
// place only after its track row (or, for room covers, the room) exists, so a cover listed
// earlier whose row is missing afterwards really is an orphan. Audio files are the exception
// (an upload places its file first, then commits the row, holding the file's claim all along),
// hence the second question to the store, per file, once the file is claimed.
#include "service/storage_sweep.hpp"

#include "util/file_claim.hpp"
#include "util/ids.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

namespace spotik::service {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

bool has_extension(const fs::path& file, std::initializer_list<const char*> extensions)
{
    const std::string ext = lower(file.extension().string());
    return std::any_of(extensions.begin(), extensions.end(),
                       [&](const char* e) { return ext == std::string(".") + e; });
}

// The regular files directly in dir; none when it does not exist or cannot be read.
std::vector<fs::path> files_in(const fs::path& dir)
{
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->symlink_status(ec).type() == fs::file_type::regular) files.push_back(it->path());
    return files;
}

bool is_write_probe(const std::string& name)
{
    return name.starts_with(".spotik-write-test-");
}
bool is_staged(const std::string& name)
{
    return name.starts_with(".") && name.ends_with(".part");
}
bool is_cover(const fs::path& file)
{
    return has_extension(file, {"jpg", "jpeg", "png", "webp"});
}
bool is_audio(const fs::path& file)
{
    return has_extension(file, {"mp3", "wav", "m4a"});
}

class sweeper {
public:
    sweeper(storage::store& store, sweep_report& report) : store_(store), report_(report) {}

    // Removes the file if nobody holds it; `removed` counts it.
    void remove_unclaimed(const fs::path& file, std::size_t& removed)
    {
        auto claim = util::file_claim::try_existing(file);
        if (!claim) {
            std::error_code ec;
            if (fs::exists(fs::symlink_status(file, ec))) ++report_.in_use;
            return;
        }
        claim->remove();
        ++removed;
    }

    void remove_partials(const std::vector<fs::path>& files, bool (*matches)(const std::string&))
    {
        for (const auto& f : files)
            if (matches(f.filename().string())) remove_unclaimed(f, report_.partial_files);
    }

    // The stored audio files the rows name, as normalised paths under audio_root; fills track_ids.
    std::set<std::string> named_audio(const fs::path& audio_root, std::set<std::string>& track_ids)
    {
        std::set<std::string> named;
        for (const auto& row : store_.list_track_files()) {
            named.insert((audio_root / row.file_path).lexically_normal().string());
            track_ids.insert(row.track_id);
        }
        return named;
    }

    // Audio files the first reading found no row for: each is claimed, then the store asks again
    // whether a row names it, so an upload that commits meanwhile (or a statement a dead process
    // left running) keeps its file.
    void remove_orphan_audio(const std::vector<fs::path>& candidates)
    {
        for (const auto& file : candidates) {
            auto claim = util::file_claim::try_existing(file);
            if (!claim) {
                std::error_code ec;
                if (fs::exists(fs::symlink_status(file, ec))) ++report_.in_use;
                continue;
            }
            const std::string relative = "tracks/" + file.filename().string();
            switch (store_.track_file_reference(file.stem().string(), relative)) {
                case storage::file_reference::named:
                    break;
                case storage::file_reference::unsettled:
                    ++report_.in_use;
                    break;
                case storage::file_reference::unnamed:
                    claim->remove();
                    ++report_.orphan_audio;
                    break;
            }
        }
    }

    // Covers named <uuid>.<image extension> whose uuid is not among `owners`.
    void remove_orphan_covers(const std::vector<fs::path>& files, const std::set<std::string>& owners)
    {
        for (const auto& f : files) {
            const std::string stem = f.stem().string();
            if (!is_cover(f) || !util::is_uuid(stem) || owners.contains(util::normalize_uuid(stem))) continue;
            std::error_code ec;
            if (fs::remove(f, ec)) ++report_.orphan_covers;
        }
    }

private:
    storage::store& store_;
    sweep_report& report_;
};

}  // namespace

bool is_upload_body(const std::string& name)
{
    return name.starts_with("body-") && name.ends_with(".part");
}

sweep_report sweep_storage(storage::store& store, const config::storage_settings& paths)
{
    sweep_report report;
    sweeper sweep{store, report};
    const fs::path audio_root = fs::path(paths.audio_path).lexically_normal();
    const fs::path public_root = fs::path(paths.public_path);

    // Listed before any row is read (see the top of this file).
    const auto temp_files = files_in(paths.temp_path);
    const auto track_files = files_in(audio_root / "tracks");
    const auto track_covers = files_in(public_root / "track_covers");
    const auto room_covers = files_in(public_root / "room_covers");

    for (const auto& root : {fs::path(paths.audio_path), public_root})
        sweep.remove_partials(files_in(root), is_write_probe);
    sweep.remove_partials(temp_files, is_write_probe);
    sweep.remove_partials(temp_files, is_upload_body);
    sweep.remove_partials(track_files, is_staged);
    sweep.remove_partials(track_covers, is_staged);
    sweep.remove_partials(room_covers, is_staged);

    std::set<std::string> track_ids;
    const auto named = sweep.named_audio(audio_root, track_ids);
    std::vector<fs::path> unnamed;
    for (const auto& f : track_files) {
        const std::string name = f.filename().string();
        if (!name.starts_with(".") && is_audio(f) && !named.contains(f.lexically_normal().string()))
            unnamed.push_back(f);
    }
    sweep.remove_orphan_audio(unnamed);
    sweep.remove_orphan_covers(track_covers, track_ids);

    std::set<std::string> room_ids;
    for (const auto& room : store.list_rooms()) room_ids.insert(room.id);
    sweep.remove_orphan_covers(room_covers, room_ids);
    return report;
}

}  // namespace spotik::service
