#!/usr/bin/env bash
# Spotik backups: a compressed PostgreSQL dump (pg_dump custom format) plus an archive of the
# audio storage, both verified before they count. Installed as `spotik-backup` in the
# postgres-backup service (docker/backup/Dockerfile); usable anywhere pg_dump is.
#   spotik-backup once       one backup now (make db-backup)
#   spotik-backup schedule   a backup whenever the newest is older than BACKUP_SCHEDULE
#   spotik-backup status     exit 1 if the last backup in this container failed (health check)
#   spotik-backup list       the backups present, newest first
# Files: $BACKUP_DIR/spotik_<UTC yyyymmdd_HHMMSS>.dump and .storage.tar.gz beside it.
# Environment (defaults):
#   PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE   the database (libpq variables)
#   BACKUP_DIR=/backups  STORAGE_DIR=/storage (skipped when absent)
#   BACKUP_SCHEDULE=daily   hourly | daily | weekly | N (seconds) | Ns | Nm | Nh | Nd
#   BACKUP_RETENTION_DAYS=7 older backups are deleted after each successful one
#   BACKUP_VERIFY=restore   restore: restore each dump into a scratch database and compare
#                           its tables; list: only `pg_restore --list` must read it
# Any failure prints "backup: FAILED: <what>" on stderr and exits non-zero; a failed dump or
# archive is deleted, never left looking like a good backup.
set -euo pipefail

backup_dir="${BACKUP_DIR:-/backups}"
storage_dir="${STORAGE_DIR:-/storage}"
retention_days="${BACKUP_RETENTION_DAYS:-7}"
schedule="${BACKUP_SCHEDULE:-daily}"
verify="${BACKUP_VERIFY:-restore}"
state_file="${BACKUP_STATE_FILE:-${TMPDIR:-/tmp}/spotik-backup.state}"
: "${PGDATABASE:=spotik}"
export PGDATABASE

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() {
  printf '%s backup: FAILED: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
  printf 'failed %s %s\n' "$(date -u +%s)" "$*" >"$state_file" 2>/dev/null || true
  return 1
}

psql_value() { psql -X -v ON_ERROR_STOP=1 -At "$@"; }

table_count() {
  psql_value -d "$1" -c "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
}

# verify_dump FILE STAMP: the dump must list cleanly and (BACKUP_VERIFY=restore) restore into
# a scratch database with every table its table of contents names. (Not the live database's
# count: a migration running meanwhile would change it.)
verify_dump() {
  local file="$1" scratch="spotik_verify_$2_$$" ok=0 want got
  local toc
  toc="$(pg_restore --list "$file")" || { echo "pg_restore --list cannot read $file" >&2; return 1; }
  [ "$verify" = restore ] || return 0
  want="$(awk '$4 == "TABLE" && $5 == "public" {n++} END {print n+0}' <<<"$toc")"
  createdb "$scratch" || { echo "cannot create the scratch database $scratch" >&2; return 1; }
  if pg_restore --no-owner --exit-on-error --dbname "$scratch" "$file" 2>/tmp/spotik-verify.err; then
    got="$(table_count "$scratch")" || got=-1
    if [ "$got" = "$want" ]; then ok=1; else echo "the scratch restore has $got tables, the dump names $want" >&2; fi
  else
    echo "pg_restore into $scratch failed: $(tail -n 3 /tmp/spotik-verify.err)" >&2
  fi
  dropdb --if-exists "$scratch" || echo "could not drop the scratch database $scratch" >&2
  [ "$ok" = 1 ]
}

backup_once() {
  local stamp dump archive stored=""
  stamp="$(date -u +%Y%m%d_%H%M%S)"
  dump="$backup_dir/spotik_$stamp.dump"
  archive="$backup_dir/spotik_$stamp.storage.tar.gz"
  mkdir -p "$backup_dir"
  log "dumping $PGDATABASE on ${PGHOST:-localhost}"
  if ! pg_dump --format=custom --compress=6 --no-owner --file "$dump.partial"; then
    rm -f "$dump.partial"
    fail "pg_dump of $PGDATABASE on ${PGHOST:-localhost} failed"
    return 1
  fi
  if ! verify_dump "$dump.partial" "$stamp"; then
    rm -f "$dump.partial"
    fail "verification of the new dump failed (BACKUP_VERIFY=$verify); no backup was kept"
    return 1
  fi
  mv "$dump.partial" "$dump"
  if [ -d "$storage_dir" ]; then
    # Uploads in progress (temp/) are not worth keeping.
    if ! tar -C "$storage_dir" --exclude=./temp -czf "$archive.partial" . || ! gzip -t "$archive.partial"; then
      rm -f "$archive.partial" "$dump"
      fail "archiving the audio storage $storage_dir failed"
      return 1
    fi
    mv "$archive.partial" "$archive"
    stored=" and $(basename "$archive")"
  else
    log "no storage directory at $storage_dir: audio files are not in this backup"
  fi
  log "ok: $dump ($(du -h "$dump" | cut -f1))$stored, verified ($verify)"
  prune
  printf 'ok %s %s\n' "$(date -u +%s)" "$dump" >"$state_file" 2>/dev/null || true
}

prune() {
  local old
  old="$(find "$backup_dir" -maxdepth 1 -type f \( -name 'spotik_*.dump' -o -name 'spotik_*.storage.tar.gz' \) \
    -mmin +$((retention_days * 1440)) -print)"
  [ -n "$old" ] || return 0
  echo "$old" | xargs rm -f
  log "retention ($retention_days days): removed $(echo "$old" | wc -l) old file(s)"
}

interval_seconds() {
  case "$1" in
    hourly) echo 3600 ;;
    daily) echo 86400 ;;
    weekly) echo 604800 ;;
    *[!0-9smhd]* | "") return 1 ;;
    *s) echo "${1%s}" ;;
    *m) echo $((${1%m} * 60)) ;;
    *h) echo $((${1%h} * 3600)) ;;
    *d) echo $((${1%d} * 86400)) ;;
    *) echo "$1" ;;
  esac
}

newest_dump() { find "$backup_dir" -maxdepth 1 -name 'spotik_*.dump' -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n 1; }

run_schedule() {
  local every age newest mtime wait_s
  every="$(interval_seconds "$schedule")" || { fail "BACKUP_SCHEDULE=$schedule is not hourly, daily, weekly or N[smhd]"; exit 2; }
  [ "$every" -ge 60 ] || { fail "BACKUP_SCHEDULE=$schedule is under a minute"; exit 2; }
  log "schedule: a backup every $every s, kept $retention_days days, verified by $verify"
  trap 'log "stopping"; exit 0' TERM INT
  while true; do
    newest="$(newest_dump)"
    mtime="${newest%%.*}"
    age=$(( $(date +%s) - ${mtime:-0} ))
    if [ -z "$newest" ] || [ "$age" -ge "$every" ]; then
      backup_once || true  # logged; the status command reports it
      age=0
    fi
    wait_s=$(( every - age ))
    [ "$wait_s" -ge 10 ] || wait_s=10
    sleep "$wait_s" &
    wait $! || true
  done
}

status() {
  if [ ! -s "$state_file" ]; then echo "no backup has run in this container yet"; return 0; fi
  cat "$state_file"
  case "$(cut -d' ' -f1 "$state_file")" in ok) return 0 ;; *) return 1 ;; esac
}

list() {
  find "$backup_dir" -maxdepth 1 -type f \( -name 'spotik_*.dump' -o -name 'spotik_*.storage.tar.gz' \) \
    -printf '%TY-%Tm-%Td %TH:%TM  %10s  %f\n' | sort -r
}

case "${1:-once}" in
  once) backup_once ;;
  schedule) run_schedule ;;
  status) status ;;
  list) list ;;
  *) echo "usage: $0 [once|schedule|status|list]" >&2; exit 2 ;;
esac
