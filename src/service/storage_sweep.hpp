// The start-up sweep of the storage folders: removes what a process killed mid-work (SIGKILL,
// OOM kill, crash, power loss) left behind, so that every stored file belongs to a row and
// nothing partial stays:
//   - upload bodies in TEMP_STORAGE_PATH (body-*.part) and write probes of the health check;
//   - staged audio files and covers (.<name>.part) in tracks/, track_covers/ and room_covers/;
//   - audio files in <AUDIO_STORAGE_PATH>/tracks that no track row names (an upload killed
//     between placing its file and committing its row; a track or room deleted just before);
//   - track covers whose track and room covers whose room no longer exists.
// Replicas may share the storage volume and keep working while one restarts: files in use are
// claimed (util/file_claim) by the process working on them, and the sweep removes only files it
// can claim itself. An audio file is claimed before the store is asked again whether a row names
// it, so an upload that commits its row meanwhile keeps its file, and so does one whose insert a
// killed process left running in PostgreSQL (storage::file_reference::unsettled). Symbolic
// links, folders and files with other names are never touched. Throws storage_error when the
// store cannot be read.
#pragma once
#include "config/config.hpp"
#include "storage/store.hpp"

#include <cstddef>
#include <string>

namespace spotik::service {

struct sweep_report {
    std::size_t partial_files = 0;  // upload bodies, staged files and write probes removed
    std::size_t orphan_audio = 0;   // audio files removed because no track row names them
    std::size_t orphan_covers = 0;  // track or room covers removed with their row gone
    std::size_t in_use = 0;         // candidates left alone because another process holds them
};

sweep_report sweep_storage(storage::store& store, const config::storage_settings& paths);

// Whether a file name in TEMP_STORAGE_PATH is an upload body (body-<hex>.part): the only files
// besides write probes that Spotik leaves there, and the only ones `db reset` removes.
bool is_upload_body(const std::string& name);

}  // namespace spotik::service
