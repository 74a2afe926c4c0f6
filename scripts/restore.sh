#!/usr/bin/env bash
# Restores a Spotik backup made by scripts/backup.sh: replaces the database with the dump and
# the audio storage with the archive beside it. Installed as `spotik-restore` in the
# postgres-backup service; `make db-restore BACKUP_FILE=...` stops the backends around it.
#   spotik-restore FILE [--no-storage]
# FILE: spotik_<stamp>.dump (custom format) or a plain SQL .sql.gz; a bare name is looked up
# in BACKUP_DIR (/backups). The database PGDATABASE is dropped (connections are ended) and
# created again, then the dump is restored in one transaction; STORAGE_DIR (/storage) is
# emptied and filled from spotik_<stamp>.storage.tar.gz when that file exists.
# Exits non-zero with "restore: FAILED: <what>" when anything goes wrong.
set -euo pipefail

backup_dir="${BACKUP_DIR:-/backups}"
storage_dir="${STORAGE_DIR:-/storage}"
: "${PGDATABASE:=spotik}"

log() { printf '%s restore: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
die() { printf '%s restore: FAILED: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; exit 1; }

[ $# -ge 1 ] || { echo "usage: $0 FILE [--no-storage]" >&2; exit 2; }
file="$1"
with_storage=1
[ "${2:-}" = "--no-storage" ] && with_storage=0
case "$file" in /*) ;; *) file="$backup_dir/$file" ;; esac
[ -f "$file" ] || die "no backup file $file (see: spotik-backup list)"

case "$file" in
  *.dump) pg_restore --list "$file" >/dev/null || die "$file is not a readable pg_dump archive" ;;
  *.sql.gz) gzip -t "$file" || die "$file is not a valid gzip file" ;;
  *) die "$file is neither a .dump nor a .sql.gz backup" ;;
esac

log "replacing database $PGDATABASE on ${PGHOST:-localhost} with $(basename "$file")"
psql -X -v ON_ERROR_STOP=1 -q -d postgres --set db="$PGDATABASE" <<'SQL' || die "cannot drop and create $PGDATABASE"
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
CREATE DATABASE :"db";
SQL
case "$file" in
  *.dump) pg_restore --no-owner --exit-on-error --single-transaction --dbname "$PGDATABASE" "$file" ||
    die "pg_restore of $file failed; the database is empty now, restore another backup" ;;
  *.sql.gz) gunzip -c "$file" | psql -X -v ON_ERROR_STOP=1 -q --single-transaction -d "$PGDATABASE" >/dev/null ||
    die "replaying $file failed; the database is empty now, restore another backup" ;;
esac
tables="$(psql -X -At -d "$PGDATABASE" -c "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")"
log "database restored ($tables tables)"

archive="${file%.dump}"
archive="${archive%.sql.gz}.storage.tar.gz"
if [ "$with_storage" = 0 ]; then
  log "audio storage left as it is (--no-storage)"
elif [ -f "$archive" ]; then
  gzip -t "$archive" || die "$archive is damaged; the database was restored, the audio files were not"
  [ -d "$storage_dir" ] || die "no storage directory at $storage_dir"
  find "$storage_dir" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  tar -C "$storage_dir" -xzf "$archive" || die "extracting $archive into $storage_dir failed"
  log "audio storage restored from $(basename "$archive") ($(find "$storage_dir" -type f | wc -l) files)"
else
  echo "restore: WARNING: no $(basename "$archive") beside the dump: tracks may point at missing audio files" >&2
fi
log "done"
