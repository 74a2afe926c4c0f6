#!/usr/bin/env bash
# Database benchmark: the same Spotik release binary on SQLite and on PostgreSQL 15, loopback,
# keep-alive, 64 connections (wrk). Scenarios: GET /api/rooms/{id} (reads) and the vote route
# (POST then DELETE /api/rooms/{room}/tracks/{track}/vote, alternating, by 64 users: writes).
# Prints req/s and p99 for each store and the PostgreSQL / SQLite ratios. Reports only: exits
# non-zero when something broke (build, start-up, crash, a failing set-up request).
#
# Environment (all optional), besides those of bench/lib.sh (BENCH_DURATION, BENCH_WARMUP,
# BENCH_CONNECTIONS, BENCH_SKIP_BUILD, BENCH_BINARY, BENCH_KEEP_TMP):
#   BENCH_PG_BINDIR          PostgreSQL server binaries (default /usr/lib/postgresql/15/bin)
#   BENCH_PG_SYNC_COMMIT     PostgreSQL synchronous_commit (default off: like SQLite's WAL with
#                            synchronous=NORMAL, a commit does not wait for a disk flush)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

check_positive_numbers "BENCH_DURATION=$DURATION" "BENCH_WARMUP=$WARMUP" "BENCH_CONNECTIONS=$CONNECTIONS"
readonly PG_BINDIR="${BENCH_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
readonly PG_SYNC_COMMIT="${BENCH_PG_SYNC_COMMIT:-off}"
readonly VOTERS=64

pg_port=""
pg_data=""
pg_as=()
# shellcheck disable=SC2317 # called from the EXIT trap through cleanup
stop_postgres() {
  if [[ -n "$pg_data" && -f "$pg_data/postmaster.pid" ]]; then
    "${pg_as[@]}" "$PG_BINDIR/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}
bench_init spotik-db-bench 10 stop_postgres

require_tools wrk taskset
for tool in initdb pg_ctl postgres; do
  [[ -x "$PG_BINDIR/$tool" ]] || die "$PG_BINDIR/$tool not found: install postgresql-15 (scripts/install-deps.sh bench)"
done
build_spotik 0
plan_cpus 'wrk pinned to CPU(s) %s with %s thread(s)' 'server (1 thread), PostgreSQL and wrk share it'

# ---------------------------------------------------------------------------------------------
# PostgreSQL: a throw-away cluster in $tmp on the server CPUs (its backends do the work SQLite
# does inside Spotik's process), as the postgres user when this runs as root.
start_postgres() {
  local pg_dir="$tmp/pg"
  mkdir -p "$pg_dir"
  if [[ "$(id -u)" -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the postgres user (package postgresql-15)"
    chown postgres: "$pg_dir"
    chmod 0755 "$tmp"
    pg_as=(setpriv --reuid=postgres --regid=postgres --init-groups)
  fi
  pg_data="$pg_dir/data"
  pg_port="$(free_port)"
  "${pg_as[@]}" "$PG_BINDIR/initdb" -D "$pg_data" -U spotik --auth=trust -E UTF8 --locale=C --no-instructions \
    >"$pg_dir/initdb.log" 2>&1 || die "initdb failed: $(tail -n 20 "$pg_dir/initdb.log")"
  "${pg_as[@]}" taskset -c "$server_cpus" "$PG_BINDIR/pg_ctl" -D "$pg_data" -l "$pg_dir/server.log" -w -o \
    "-p $pg_port -k $pg_dir -c listen_addresses=$HOST -c shared_buffers=128MB -c synchronous_commit=$PG_SYNC_COMMIT" \
    start >"$pg_dir/pg_ctl.log" 2>&1 || die "PostgreSQL did not start: $(tail -n 20 "$pg_dir/server.log")"
  "$PG_BINDIR/createdb" -h "$pg_dir" -p "$pg_port" -U spotik spotik_bench || die "could not create the database"
  note "PostgreSQL $("$PG_BINDIR/postgres" --version | awk '{print $3}') is up on $HOST:$pg_port"
}

# ---------------------------------------------------------------------------------------------
# Set-up on one store: the admin (a registered user) creates a room and uploads a track; 64
# voters register and join. Writes the wrk Lua script of the vote scenario to $tmp/vote-KEY.lua.
token=""
room_id=""
track_id=""
set_up() {
  local key="$1" reply="$tmp/reply.json" code i voter_token lua="$tmp/vote-$1.lua"
  code="$(register_bench_user "$reply")"
  token="$(json_field data token "$reply")"
  [[ -n "$token" ]] || die "$key: POST /api/auth/register answered $code: $(head -c 300 "$reply")"
  code="$(create_bench_room "$token" "$reply")"
  room_id="$(json_field data id "$reply")"
  [[ -n "$room_id" ]] || die "$key: POST /api/rooms answered $code: $(head -c 300 "$reply")"
  code="$(http_req POST "$spotik_port" "/api/rooms/$room_id/tracks" "$reply" -H "Authorization: Bearer $token" \
    -F "audio_file=@$repo_root/tests/fixtures/tone-3s-cbr.mp3;type=audio/mpeg")"
  track_id="$(json_field track id "$reply")"
  [[ -n "$track_id" ]] || die "$key: the track upload answered $code: $(head -c 300 "$reply")"
  {
    printf 'local tokens = {\n'
    for ((i = 0; i < VOTERS; i++)); do
      code="$(http_req POST "$spotik_port" /api/auth/register "$reply" -H 'Content-Type: application/json' \
        --data "{\"username\":\"voter$i\",\"email\":\"voter$i@example.com\",\"password\":\"voter-password-1\",\"password_confirmation\":\"voter-password-1\"}")"
      voter_token="$(json_field data token "$reply")"
      [[ -n "$voter_token" ]] || die "$key: registering voter$i answered $code"
      code="$(http_req POST "$spotik_port" "/api/rooms/$room_id/join" "$reply" -H "Authorization: Bearer $voter_token")"
      [[ "$code" == 200 ]] || die "$key: voter$i could not join the room ($code)"
      printf '  "%s",\n' "$voter_token"
    done
    printf '}\n'
    cat <<EOF
-- Each request takes the next voter; a voter alternates between voting and taking it back.
local path = "/api/rooms/$room_id/tracks/$track_id/vote"
local next_voter, voted = 0, {}
request = function()
  next_voter = next_voter % #tokens + 1
  local headers = { ["Authorization"] = "Bearer " .. tokens[next_voter], ["Accept"] = "application/json" }
  voted[next_voter] = not voted[next_voter]
  if voted[next_voter] then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", path, headers, "{}")
  end
  return wrk.format("DELETE", path, headers)
end
EOF
  } >"$lua"
}

# run_wrk KEY PATH [extra wrk args...]: a warm-up run, then the measured run, parsed (lib.sh).
run_wrk() {
  local key="$1" path="$2" out="$tmp/wrk-$1.txt"
  shift 2
  local url="http://$HOST:$spotik_port$path"
  note "wrk $key: ${WARMUP}s warm-up + ${DURATION}s measured, $CONNECTIONS connections"
  taskset -c "$load_cpus" wrk -t "$wrk_threads" -c "$CONNECTIONS" -d "${WARMUP}s" "$@" "$url" >/dev/null 2>&1 || true
  if ! taskset -c "$load_cpus" wrk -t "$wrk_threads" -c "$CONNECTIONS" -d "${DURATION}s" --latency "$@" "$url" >"$out" 2>&1; then
    note "wrk $key failed: $(cat "$out")"
  fi
  parse_wrk "$key" "$out"
}

# measure STORE [NAME=VALUE...]: starts Spotik on STORE, sets up, runs both scenarios.
measure() {
  local store="$1"
  shift
  rm -rf "$tmp/spotik-data"
  start_spotik "$@"
  note "Spotik on $store is up on $HOST:$spotik_port (pid $spotik_pid)"
  set_up "$store"
  run_wrk "${store}_room" "/api/rooms/$room_id" -H "Authorization: Bearer $token"
  check_spotik_alive "the $store rooms run" || die "$spotik_crashed"
  run_wrk "${store}_vote" "/api/rooms/$room_id/tracks/$track_id/vote" -s "$tmp/vote-$store.lua"
  check_spotik_alive "the $store vote run" || die "$spotik_crashed"
  cp "$tmp/spotik.log" "$tmp/spotik-$store.log"
  stop_process "$spotik_pid" spotik TERM 12
  spotik_pid=""
}

load_before="$(load_average)"
warn_if_busy "$load_before"
measure sqlite DB_DRIVER=sqlite
start_postgres
measure postgres DB_DRIVER=postgres DB_HOST="$HOST" DB_PORT="$pg_port" DB_NAME=spotik_bench DB_USER=spotik

# ---------------------------------------------------------------------------------------------
# Report.
fmt_num() { [[ -n "$1" ]] && printf '%.0f' "$1" || printf 'n/a'; }
fmt_ms() { [[ -n "$1" && "$1" != nan ]] && printf '%.2f' "$1" || printf 'n/a'; }
ratio_of() {
  if [[ -n "$1" && -n "$2" ]]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'; fi
}

say ""
say "Spotik on PostgreSQL 15 vs SQLite, HTTP/1.1 keep-alive, $CONNECTIONS connections, ${DURATION}s per run after a ${WARMUP}s warm-up"
say_binary_and_cpus
say "PostgreSQL: pinned with Spotik, shared_buffers 128MB, synchronous_commit $PG_SYNC_COMMIT; SQLite: WAL, synchronous NORMAL"
say "Both: DB_POOL_MAX 8 (database threads; PostgreSQL connections), LOG_LEVEL warn"
say "Load average before the runs: $load_before (1 min); other work on these CPUs skews every figure"
say ""
row='%-22s %13s %13s %8s %14s %13s %8s\n'
# shellcheck disable=SC2059 # the format is the constant above
{
  printf "$row" scenario "SQLite req/s" "PG req/s" "PG/SQL" "SQLite p99 ms" "PG p99 ms" "PG/SQL"
  for s in room vote; do
    label="GET /api/rooms/{id}"
    [[ "$s" == vote ]] && label="vote (POST/DELETE)"
    printf "$row" "$label" "$(fmt_num "${RPS[sqlite_$s]:-}")" "$(fmt_num "${RPS[postgres_$s]:-}")" \
      "$(ratio_of "${RPS[postgres_$s]:-}" "${RPS[sqlite_$s]:-}")" "$(fmt_ms "${P99[sqlite_$s]:-}")" \
      "$(fmt_ms "${P99[postgres_$s]:-}")" "$(ratio_of "${P99[postgres_$s]:-}" "${P99[sqlite_$s]:-}")"
  done
}
say ""
say "wrk details (requests in the measured run; non-2xx/3xx responses; socket errors):"
for key in sqlite_room postgres_room sqlite_vote postgres_vote; do
  [[ -n "${REQS[$key]:-}" ]] || continue
  say "  $(printf '%-14s' "$key") requests ${REQS[$key]}, non-2xx ${NON2XX[$key]}, socket errors: ${SOCKERR[$key]:-none}"
  if [[ "${NON2XX[$key]}" != 0 ]]; then say "  WARNING: $key figures include failed requests"; fi
done
for store in sqlite postgres; do
  n="$(grep -c '"level":"' "$tmp/spotik-$store.log" || true)"
  say "Spotik log lines at warn or above on $store: ${n:-0}"
done
exit 0
