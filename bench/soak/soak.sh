#!/usr/bin/env bash
# Soak benchmark: SOAK_SECONDS (default 30 min) of mixed HTTP and WebSocket load against one
# Spotik release server, driven by bench/soak/soak.cpp; reports requests served by kind, errors
# by kind, WebSocket messages, and the server's RSS after the warm-up, in the middle and at the
# end (target: growth <= 10 %). See bench/soak/README.md. Exits 0 whatever the figures are;
# non-zero only when something broke (a build, a server that does not start or dies).
#
# Environment (all optional):
#   SOAK_SECONDS        length of the load (default 1800)
#   SOAK_WARMUP         seconds before the "start" RSS sample (default 180: a room lifetime and more)
#   SOAK_HTTP_WORKERS   HTTP worker threads, each an administrator with 2 rooms and 4 guests (default 4)
#   SOAK_WS_CLIENTS     WebSocket clients, each a thread with a user of its own (default 8)
#   SOAK_THINK_MS       mean pause of a worker between two actions (default 10)
#   SOAK_ROOM_LIFETIME  seconds before a worker deletes a room and creates another (default 120)
#   BENCH_SKIP_BUILD, BENCH_BINARY, BENCH_KEEP_TMP   as for the other benchmarks (bench/README.md)
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

readonly SECONDS_TOTAL="${SOAK_SECONDS:-1800}"
readonly SOAK_WARMUP_S="${SOAK_WARMUP:-180}"
readonly HTTP_WORKERS="${SOAK_HTTP_WORKERS:-4}"
readonly WS_CLIENTS="${SOAK_WS_CLIENTS:-8}"
readonly THINK_MS="${SOAK_THINK_MS:-10}"
readonly ROOM_LIFETIME="${SOAK_ROOM_LIFETIME:-120}"
check_positive_numbers "SOAK_SECONDS=$SECONDS_TOTAL" "SOAK_WARMUP=$SOAK_WARMUP_S" "SOAK_HTTP_WORKERS=$HTTP_WORKERS" \
  "SOAK_WS_CLIENTS=$WS_CLIENTS" "SOAK_THINK_MS=$THINK_MS" "SOAK_ROOM_LIFETIME=$ROOM_LIFETIME"
((SECONDS_TOTAL > SOAK_WARMUP_S)) || die "SOAK_SECONDS ($SECONDS_TOTAL) must exceed SOAK_WARMUP ($SOAK_WARMUP_S)"

readonly driver_build="$repo_root/build/soak-bench"
readonly DRIVER="$driver_build/soak"
ngx="" # no nginx here; say_server_logs looks for its log

bench_init spotik-soak 10
build_spotik 1
note "building the soak driver (cmake -S bench/soak -B build/soak-bench)"
if ! (cmake -S "$script_dir/soak" -B "$driver_build" -DCMAKE_BUILD_TYPE=Release &&
  cmake --build "$driver_build") >"$tmp/driver-build.log" 2>&1; then
  tail -n 40 "$tmp/driver-build.log" >&2
  die "the soak driver did not build (last lines above)"
fi
plan_cpus "the soak driver pinned to CPU(s) %s (%s of them)" "server and soak driver share it"

start_spotik RATE_LIMITING_ENABLED=false
cpu_ticks() { awk '{print $14 + $15}' "/proc/$spotik_pid/stat"; }
cpu_before="$(cpu_ticks)"
load_before="$(load_average)"

say "Spotik soak, $(date -u '+%Y-%m-%d %H:%M UTC'), checkout $(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "${BENCH_BINARY:-}" ]]; then say "(BENCH_BINARY: the server binary was not built from this checkout)"; fi
say_binary_and_cpus
say "Server: SERVER_THREADS=$server_n, SQLite, LOG_LEVEL=warn, RATE_LIMITING_ENABLED=false, BCRYPT_COST=4, pid $spotik_pid"
say "Load average (1 min) before the load: $load_before; other work on these CPUs slows the load"
say ""

rc=0
taskset -c "$load_cpus" "$DRIVER" --port "$spotik_port" --pid "$spotik_pid" --seconds "$SECONDS_TOTAL" \
  --warmup "$SOAK_WARMUP_S" --fixtures "$repo_root/tests/fixtures" --data-dir "$tmp/spotik-data" \
  --http-workers "$HTTP_WORKERS" --ws-clients "$WS_CLIENTS" --think-ms "$THINK_MS" \
  --room-lifetime "$ROOM_LIFETIME" || rc=$?

say ""
if ! check_spotik_alive "the soak"; then
  rc=1
else
  ticks_per_s="$(getconf CLK_TCK)"
  say "Server CPU time during the load: $(awk -v a="$cpu_before" -v b="$(cpu_ticks)" -v hz="$ticks_per_s" \
    'BEGIN { printf "%.0f", (b - a) / hz }') s over ${SECONDS_TOTAL} s"
fi
say "Load average (1 min) at the end: $(load_average)"
say_server_logs
exit "$rc"
