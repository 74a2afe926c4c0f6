#!/usr/bin/env bash
# WebSocket benchmark: Spotik against a Node.js `ws` baseline (bench/ws/baseline) on loopback,
# driven by the C++ load generator bench/ws/loadgen.cpp. Scenarios (bench/ws/README.md):
#   idle    N authenticated sockets joined to rooms; server memory per socket
#   fanout  one room of M members, votes over HTTP at 10 events/s, then saturating; latency from
#           the triggering request to each delivery, delivered messages per second, lost messages
#   mix     many rooms of 20, 2 events/s per room, 1 % of the sockets reconnecting per second
#           (Spotik only); p99 delivery latency and server CPU
# idle and fanout run against both servers in the same run; the table gives both figures, the
# ratios and the targets, and for fanout and mix the kernel's floor on this machine
# (bench/ws/floor.cpp, floor_mix.cpp: the same deliveries as a bare send loop, no server). Exits 0
# whatever the figures are;
# non-zero only when something broke (build, start-up, set-up, a crash or hang under load).
#
# Environment (all optional; WS_BENCH_QUICK=1 gives a quick run with smaller defaults):
#   WS_BENCH_QUICK             1 = sockets 2000, members 1000, mix rooms 100, 8 s phases
#   WS_BENCH_SCENARIOS         which to run, default "idle fanout mix"
#   WS_BENCH_SOCKETS           idle sockets (default 15000)
#   WS_BENCH_PER_ROOM          idle sockets per room (default 50)
#   WS_BENCH_MEMBERS           fanout room members (default 5000)
#   WS_BENCH_RATE              fanout events per second (default 10)
#   WS_BENCH_DURATION          seconds of the fixed-rate fanout phase and of mix (default 20)
#   WS_BENCH_SAT_DURATION      seconds of the saturating fanout phase (default 10; 0 = skip)
#   WS_BENCH_WINDOW            saturating phase: events in flight (default 8)
#   WS_BENCH_MIX_ROOMS         mix rooms (default 1000, lowered to fit the open-file limit)
#   WS_BENCH_MIX_ROOM_SIZE     mix sockets per room (default 20)
#   WS_BENCH_MIX_RATE          mix events per second per room (default 2)
#   WS_BENCH_RECONNECT_PCT     mix: % of the sockets reconnecting per second (default 1)
#   WS_BENCH_WARMUP            seconds at the start of each phase not measured (default 2)
#   WS_BENCH_SOCKETS_PER_USER  idle and mix: sockets sharing one user (default 1: a user each)
#   WS_BENCH_FANOUT_SOCKETS_PER_USER  fanout: sockets sharing one user (default 50, see README)
#   BENCH_SKIP_BUILD           1 = use the existing build/release/spotik, do not run cmake
#   BENCH_BINARY               another Spotik binary to measure (implies no build)
#   BENCH_KEEP_TMP             1 = keep the temporary directory (logs, raw JSON)
set -euo pipefail

if [[ "${WS_BENCH_QUICK:-0}" == 1 ]]; then
  d_sockets=2000 d_members=1000 d_rooms=100 d_duration=8 d_sat=6
else
  d_sockets=15000 d_members=5000 d_rooms=1000 d_duration=20 d_sat=10
fi
readonly SCENARIOS="${WS_BENCH_SCENARIOS:-idle fanout mix}"
readonly SOCKETS="${WS_BENCH_SOCKETS:-$d_sockets}"
readonly PER_ROOM="${WS_BENCH_PER_ROOM:-50}"
readonly MEMBERS="${WS_BENCH_MEMBERS:-$d_members}"
readonly RATE="${WS_BENCH_RATE:-10}"
readonly DURATION="${WS_BENCH_DURATION:-$d_duration}"
readonly SAT_DURATION="${WS_BENCH_SAT_DURATION:-$d_sat}"
readonly WINDOW="${WS_BENCH_WINDOW:-8}"
MIX_ROOMS="${WS_BENCH_MIX_ROOMS:-$d_rooms}"
readonly MIX_ROOM_SIZE="${WS_BENCH_MIX_ROOM_SIZE:-20}"
readonly MIX_RATE="${WS_BENCH_MIX_RATE:-2}"
readonly RECONNECT_PCT="${WS_BENCH_RECONNECT_PCT:-1}"
readonly WARMUP="${WS_BENCH_WARMUP:-2}"
readonly SOCKETS_PER_USER="${WS_BENCH_SOCKETS_PER_USER:-1}"
readonly FANOUT_SOCKETS_PER_USER="${WS_BENCH_FANOUT_SOCKETS_PER_USER:-50}"
SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
[[ -z "${BENCH_BINARY:-}" ]] || SKIP_BUILD=1
readonly SKIP_BUILD
readonly KEEP_TMP="${BENCH_KEEP_TMP:-0}"

script_dir="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"
readonly script_dir repo_root
readonly baseline_dir="$script_dir/baseline"
readonly loadgen_build="$repo_root/build/ws-bench"
readonly LOADGEN="$loadgen_build/ws-loadgen"
readonly FLOOR="$loadgen_build/ws-floor"
readonly FLOOR_MIX="$loadgen_build/ws-floor-mix"
bench_name=ws-bench
# shellcheck source=bench/common.sh
source "$repo_root/bench/common.sh"

for pair in "WS_BENCH_SOCKETS=$SOCKETS" "WS_BENCH_PER_ROOM=$PER_ROOM" "WS_BENCH_MEMBERS=$MEMBERS" \
  "WS_BENCH_WINDOW=$WINDOW" "WS_BENCH_MIX_ROOMS=$MIX_ROOMS" "WS_BENCH_MIX_ROOM_SIZE=$MIX_ROOM_SIZE" \
  "WS_BENCH_SOCKETS_PER_USER=$SOCKETS_PER_USER" "WS_BENCH_FANOUT_SOCKETS_PER_USER=$FANOUT_SOCKETS_PER_USER"; do
  if ! [[ "${pair#*=}" =~ ^[1-9][0-9]{0,6}$ ]]; then
    die "${pair%%=*} must be a positive whole number, got '${pair#*=}'"
  fi
done
for pair in "WS_BENCH_RATE=$RATE" "WS_BENCH_DURATION=$DURATION" "WS_BENCH_SAT_DURATION=$SAT_DURATION" \
  "WS_BENCH_MIX_RATE=$MIX_RATE" "WS_BENCH_RECONNECT_PCT=$RECONNECT_PCT" "WS_BENCH_WARMUP=$WARMUP"; do
  if ! [[ "${pair#*=}" =~ ^[0-9]{1,5}([.][0-9]{1,3})?$ ]]; then
    die "${pair%%=*} must be a non-negative number, got '${pair#*=}'"
  fi
done
gt "$RATE" 0 || die "WS_BENCH_RATE must be positive"
gt "$MIX_RATE" 0 || die "WS_BENCH_MIX_RATE must be positive"
gt "$DURATION" "$WARMUP" || die "WS_BENCH_DURATION ($DURATION) must exceed WS_BENCH_WARMUP ($WARMUP)"
if gt "$SAT_DURATION" 0 && ! gt "$SAT_DURATION" "$WARMUP"; then
  die "WS_BENCH_SAT_DURATION ($SAT_DURATION) must exceed WS_BENCH_WARMUP ($WARMUP), or be 0"
fi
for s in $SCENARIOS; do
  [[ "$s" == idle || "$s" == fanout || "$s" == mix ]] || die "WS_BENCH_SCENARIOS: unknown scenario '$s'"
done
wants() { [[ " $SCENARIOS " == *" $1 "* ]]; }

# ---------------------------------------------------------------------------------------------
# Clean-up: every process started here and the temporary directory, on any exit (Ctrl-C too).
tmp=""
spotik_pid=""
node_pid=""


# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_process "$node_pid" node TERM 5
  stop_process "$spotik_pid" spotik TERM 12
  if [[ -n "$tmp" && -d "$tmp" ]]; then
    if [[ "$KEEP_TMP" == 1 ]]; then note "kept $tmp"; else rm -rf -- "$tmp"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT
trap 'note "terminated"; exit 143' TERM

tmp="$(mktemp -d "${TMPDIR:-/tmp}/spotik-ws-bench.XXXXXX")"

# ---------------------------------------------------------------------------------------------
# Tools: the build packages (Boost included), curl, jq, Node.js and npm; the baseline's `ws`.
"$repo_root/scripts/install-deps.sh" build || die "scripts/install-deps.sh build failed"
apt_missing=()
for tool in curl jq node npm taskset timeout; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    case "$tool" in
      node) apt_missing+=(nodejs) ;;
      taskset) apt_missing+=(util-linux) ;;
      timeout) apt_missing+=(coreutils) ;;
      *) apt_missing+=("$tool") ;;
    esac
  fi
done
if ((${#apt_missing[@]})); then
  note "installing ${apt_missing[*]}"
  [[ "$(id -u)" -eq 0 ]] || die "missing ${apt_missing[*]} and this is not root: apt-get install ${apt_missing[*]}"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null; }; then
    die "could not install ${apt_missing[*]}"
  fi
fi
node_version="$(node --version)"
if ! [[ "$node_version" =~ ^v([0-9]+) ]] || ((BASH_REMATCH[1] < 18)); then
  die "Node.js 18 or later is needed for the baseline, found $node_version"
fi
if ! (cd "$baseline_dir" && npm ci --no-audit --no-fund --loglevel=error) >"$tmp/npm.log" 2>&1; then
  cat "$tmp/npm.log" >&2
  die "npm ci failed in $baseline_dir"
fi
ws_version="$(cd "$baseline_dir" && node -p 'require("ws/package.json").version')"

SPOTIK="$(realpath -m "${BENCH_BINARY:-$repo_root/build/release/spotik}")"
readonly SPOTIK
if [[ "$SKIP_BUILD" != 1 ]]; then
  note "building the release binary (cmake --preset release && cmake --build --preset release)"
  if ! (cd "$repo_root" && cmake --preset release && cmake --build --preset release) >"$tmp/build.log" 2>&1; then
    tail -n 40 "$tmp/build.log" >&2
    die "the release build failed (last lines above)"
  fi
fi
[[ -x "$SPOTIK" ]] || die "$SPOTIK does not exist; build it with: cmake --preset release && cmake --build --preset release"
note "building the load generator (cmake -S bench/ws -B build/ws-bench)"
if ! { cmake -S "$script_dir" -B "$loadgen_build" -G Ninja -DCMAKE_BUILD_TYPE=Release &&
  cmake --build "$loadgen_build"; } >"$tmp/loadgen-build.log" 2>&1; then
  tail -n 40 "$tmp/loadgen-build.log" >&2
  die "the load generator build failed (last lines above)"
fi

# ---------------------------------------------------------------------------------------------
# Open files: every socket is one, on both ends. Raise the soft limit to the hard one for this
# shell and its children (both servers and the load generator) and fit the scenarios into it.
hard_nofile="$(ulimit -Hn)"
if [[ "$hard_nofile" == unlimited ]]; then hard_nofile=1048576; fi
ulimit -n "$hard_nofile" || die "could not raise the open-file limit to $hard_nofile"
readonly fd_budget=$((hard_nofile - 1000)) # the servers' own files, HTTP connections, slack
((SOCKETS <= fd_budget)) || die "WS_BENCH_SOCKETS=$SOCKETS does not fit the open-file limit $hard_nofile (at most $fd_budget)"
((MEMBERS <= fd_budget)) || die "WS_BENCH_MEMBERS=$MEMBERS does not fit the open-file limit $hard_nofile (at most $fd_budget)"
mix_note=""
if ((MIX_ROOMS * MIX_ROOM_SIZE > fd_budget)); then
  mix_note="mix lowered from $MIX_ROOMS to $((fd_budget / MIX_ROOM_SIZE)) rooms: $((MIX_ROOMS * MIX_ROOM_SIZE)) sockets do not fit the open-file limit of $hard_nofile per process (server side)"
  MIX_ROOMS=$((fd_budget / MIX_ROOM_SIZE))
fi
readonly MIX_ROOMS mix_note

# ---------------------------------------------------------------------------------------------
# CPU placement: each server on one core (Spotik with one io thread; Node is one thread), the
# load generator on the other cores when there are any.
mapfile -t cpus < <(expand_cpu_list "$(taskset -cp $$ | sed 's/.*: *//')")
ncpu=${#cpus[@]}
server_cpu="${cpus[0]:-0}"
if ((ncpu >= 2)); then
  gen_cpus="$(join_by_comma "${cpus[@]:1}")"
  gen_threads=$((ncpu - 1 > 4 ? 4 : ncpu - 1))
  placement="servers pinned to CPU $server_cpu (Spotik SERVER_THREADS=1, Node single-threaded); load generator pinned to CPU(s) $gen_cpus with $gen_threads thread(s)"
else
  gen_cpus="$server_cpu"
  gen_threads=1
  placement="only 1 CPU: server and load generator share it, so the figures understate the servers"
fi
readonly server_cpu gen_cpus gen_threads placement

# ---------------------------------------------------------------------------------------------
# Servers.
# Listening ports come from below the ephemeral range: tens of thousands of client sockets (and
# their TIME_WAIT leftovers from the previous run) occupy ports inside it, and a server cannot
# bind a port that an open connection uses as its local port.
read -r ephemeral_low _ </proc/sys/net/ipv4/ip_local_port_range || ephemeral_low=32768
if ((ephemeral_low > 12000)); then free_port_lo=10000 free_port_span=$((ephemeral_low - 10000)); else free_port_lo=61000 free_port_span=4000; fi
readonly free_port_lo free_port_span
live_ok() { # port: GET /live answers 200 within 5 s
  [[ "$(curl --silent --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' "http://$HOST:$1/live" || true)" == 200 ]]
}
wait_live() { # port, pid
  local i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$2" 2>/dev/null || return 1
    live_ok "$1" && return 0
    sleep 0.1
  done
  return 1
}

jwt_secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
readonly jwt_secret
server_port=""
server_log=""

# start_spotik / start_node RUN_NAME: a fresh server on a free port (three tries, in case the
# port was taken between the check and the bind); sets server_port, server_log and the pid.
start_spotik() {
  local name="$1" try
  mkdir -p "$tmp/spotik-$name"
  for try in 1 2 3; do
    server_port="$(free_port)"
    server_log="$tmp/spotik-$name.log"
    (
      cd "$tmp" &&
        APP_ENV=development RATE_LIMITING_ENABLED=false JWT_SECRET="$jwt_secret" DATA_PATH="$tmp/spotik-$name" \
          SERVER_HOST="$HOST" SERVER_PORT="$server_port" SERVER_THREADS=1 \
          LOG_LEVEL=warn BCRYPT_COST=4 WS_MAX_CONNECTIONS=30000 AUTO_ADVANCE=false \
          exec taskset -c "$server_cpu" "$SPOTIK" serve
    ) >"$server_log" 2>&1 &
    spotik_pid=$!
    wait_live "$server_port" "$spotik_pid" && return 0
    kill -0 "$spotik_pid" 2>/dev/null && break # running but not answering: no point in retrying
    wait "$spotik_pid" 2>/dev/null || true
    note "Spotik did not start on port $server_port (try $try of 3)"
  done
  tail -n 30 "$server_log" >&2 || true
  die "Spotik did not answer GET /live with 200 within 30 s on $HOST:$server_port"
}

start_node() {
  local name="$1" try
  for try in 1 2 3; do
    server_port="$(free_port)"
    server_log="$tmp/node-$name.log"
    (
      cd "$baseline_dir" &&
        PORT="$server_port" JWT_SECRET="$jwt_secret" exec taskset -c "$server_cpu" node server.js
    ) >"$server_log" 2>&1 &
    node_pid=$!
    wait_live "$server_port" "$node_pid" && return 0
    kill -0 "$node_pid" 2>/dev/null && break
    wait "$node_pid" 2>/dev/null || true
    note "the Node baseline did not start on port $server_port (try $try of 3)"
  done
  tail -n 30 "$server_log" >&2 || true
  die "the Node baseline did not answer GET /live with 200 within 30 s on $HOST:$server_port"
}

# ---------------------------------------------------------------------------------------------
# Runs: KEY is spotik_idle, node_idle, spotik_fanout, node_fanout or spotik_mix.
declare -A PROBLEM WS_COUNTERS
broken=() # what broke: a crash, a hang, a failed set-up

run_loadgen() { # key, server (spotik|node), pid, loadgen args...
  local key="$1" server="$2" pid="$3" rc=0 limit
  shift 3
  limit=$((1800 + SOCKETS / 5))
  note "$key: ws-loadgen $* (port $server_port)"
  timeout --kill-after=10 "$limit" taskset -c "$gen_cpus" "$LOADGEN" --json --label "$server" --port "$server_port" \
    --server-pid "$pid" --threads "$gen_threads" --warmup "$WARMUP" "$@" \
    >"$tmp/$key.json" 2>"$tmp/$key.err" || rc=$?
  if [[ -s "$tmp/$key.err" ]]; then sed 's/^/    /' "$tmp/$key.err" >&2; fi
  if ! jq -e . "$tmp/$key.json" >/dev/null 2>&1; then
    PROBLEM[$key]="the load generator printed no result (exit $rc): $(tail -n 1 "$tmp/$key.err" 2>/dev/null)"
    broken+=("$key: ${PROBLEM[$key]}")
  elif ((rc != 0)); then
    PROBLEM[$key]="the load generator exited $rc: $(tail -n 1 "$tmp/$key.err" 2>/dev/null)"
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    PROBLEM[$key]="the $server server (pid $pid) exited during the run"
    broken+=("$key: ${PROBLEM[$key]}")
    tail -n 20 "$server_log" >&2 || true
  elif ! live_ok "$server_port"; then
    PROBLEM[$key]="the $server server (pid $pid) stopped answering GET /live (hung)"
    broken+=("$key: ${PROBLEM[$key]}")
  fi
  if [[ "$server" == spotik ]]; then
    WS_COUNTERS[$key]="$(curl --silent --noproxy '*' --max-time 5 "http://$HOST:$server_port/api/websocket/status" |
      jq -c '.counters // empty' 2>/dev/null || true)"
  fi
}

j() { # key, jq filter -> value or empty
  [[ -s "$tmp/$1.json" ]] || return 0
  jq -r "($2) // empty" "$tmp/$1.json" 2>/dev/null || true
}

load_before="$(cut -d' ' -f1 /proc/loadavg)"
if awk -v l="$load_before" -v n="$ncpu" 'BEGIN { exit !(l > n / 2) }'; then
  note "WARNING: load average $load_before on $ncpu CPU(s): other processes compete with the benchmark"
fi

fanout_args=(--scenario fanout --members "$MEMBERS" --rate "$RATE" --duration "$DURATION"
  --sat-duration "$SAT_DURATION" --window "$WINDOW" --sockets-per-user "$FANOUT_SOCKETS_PER_USER")
for server in spotik node; do
  for scenario in idle fanout; do
    wants "$scenario" || continue
    key="${server}_$scenario"
    if [[ "$server" == spotik ]]; then start_spotik "$scenario"; pid="$spotik_pid"; else start_node "$scenario"; pid="$node_pid"; fi
    if [[ "$scenario" == idle ]]; then
      run_loadgen "$key" "$server" "$pid" --scenario idle --sockets "$SOCKETS" --per-room "$PER_ROOM" \
        --sockets-per-user "$SOCKETS_PER_USER"
    else
      run_loadgen "$key" "$server" "$pid" "${fanout_args[@]}"
    fi
    if [[ "$server" == spotik ]]; then
      stop_process "$spotik_pid" spotik TERM 12
      spotik_pid=""
    else
      stop_process "$node_pid" node TERM 5
      node_pid=""
    fi
  done
done
# event_bytes KEY...: the size of Spotik's track_voted from the first run that measured it, or 1000.
event_bytes() {
  local key b
  for key in "$@"; do
    b="$(j "$key" .event_bytes)"
    if [[ -n "$b" && "$b" != 0 ]]; then
      printf '%s' "$b"
      return
    fi
  done
  printf 1000
}
# The kernel's floor for the fan-out: the same sockets, rate, phases and message size (that of
# Spotik's track_voted) as a bare send(2) loop on the servers' CPU, read on the generator's.
run_floor() {
  local bytes rc=0
  bytes="$(event_bytes spotik_fanout node_fanout)"
  note "floor: ws-floor --sockets $MEMBERS --bytes $bytes"
  timeout --kill-after=10 600 "$FLOOR" --json --sockets "$MEMBERS" --bytes "${bytes%.*}" --rate "$RATE" \
    --duration "$DURATION" --sat-duration "$SAT_DURATION" --window "$WINDOW" --warmup "$WARMUP" \
    --sender-cpu "$server_cpu" --receiver-cpu "${gen_cpus%%,*}" >"$tmp/floor.json" 2>"$tmp/floor.err" || rc=$?
  if ((rc != 0)) || ! jq -e .phases "$tmp/floor.json" >/dev/null 2>&1; then
    PROBLEM[floor]="ws-floor failed (exit $rc): $(tail -n 1 "$tmp/floor.err" 2>/dev/null)"
    rm -f "$tmp/floor.json"
  fi
}
# The kernel's floor for the mix: the same rooms, schedule and message size as bare send(2) calls
# on the servers' CPU, with no HTTP trigger, database or reconnect (bench/ws/floor_mix.cpp).
run_floor_mix() {
  local bytes rc=0
  bytes="$(event_bytes spotik_mix spotik_fanout)"
  note "floor: ws-floor-mix --rooms $MIX_ROOMS --room-size $MIX_ROOM_SIZE --bytes $bytes"
  timeout --kill-after=10 600 "$FLOOR_MIX" --json --rooms "$MIX_ROOMS" --room-size "$MIX_ROOM_SIZE" \
    --bytes "${bytes%.*}" --rate "$MIX_RATE" --duration "$DURATION" --warmup "$WARMUP" \
    --sender-cpu "$server_cpu" --receiver-cpu "${gen_cpus%%,*}" >"$tmp/floor_mix.json" 2>"$tmp/floor_mix.err" || rc=$?
  if ((rc != 0)) || ! jq -e .p99_ms "$tmp/floor_mix.json" >/dev/null 2>&1; then
    PROBLEM[floor_mix]="ws-floor-mix failed (exit $rc): $(tail -n 1 "$tmp/floor_mix.err" 2>/dev/null)"
    rm -f "$tmp/floor_mix.json"
  fi
}
if wants fanout; then run_floor; fi
if wants mix; then
  start_spotik mix
  run_loadgen spotik_mix spotik "$spotik_pid" --scenario mix --rooms "$MIX_ROOMS" --room-size "$MIX_ROOM_SIZE" \
    --rate "$MIX_RATE" --duration "$DURATION" --reconnect-pct "$RECONNECT_PCT" --sockets-per-user "$SOCKETS_PER_USER"
  stop_process "$spotik_pid" spotik TERM 12
  spotik_pid=""
  run_floor_mix
fi
load_after="$(cut -d' ' -f1 /proc/loadavg)"

# ---------------------------------------------------------------------------------------------
# Report.
num_or_na() { # value, decimals
  if [[ -n "$1" ]]; then awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f", d, v }'; else printf 'n/a'; fi
}
ratio_of() { # a, b -> a / b
  if [[ -n "$1" && -n "$2" ]]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'; fi
}

# What makes a run's figures meaningless, or nothing: NOT RUN, NO DATA, INVALID (...).
validity() { # key
  local key="$1" failed lost
  if [[ ! -e "$tmp/$key.json" ]]; then printf 'NOT RUN'; return; fi
  if [[ -z "$(j "$key" .scenario)" ]]; then printf 'NO DATA'; return; fi
  failed="$(j "$key" '.failed + .pending')"
  if [[ "${failed:-0}" != 0 ]]; then printf 'INVALID (%s sockets not joined)' "$failed"; return; fi
  lost="$(j "$key" '[.phases[]?.lost] | add')"
  if [[ -n "$lost" && "$lost" != 0 && "$lost" != null ]]; then printf 'FAIL (%s lost)' "$lost"; return; fi
}

kib_per_socket() { local b; b="$(j "$1" .bytes_per_socket)"; [[ -n "$b" ]] && awk -v b="$b" 'BEGIN { printf "%.2f", b / 1024 }'; }
s_idle="$(kib_per_socket spotik_idle || true)"
n_idle="$(kib_per_socket node_idle || true)"
idle_ratio="$(ratio_of "$s_idle" "$n_idle")"
idle_result="$(validity spotik_idle)"
if [[ -z "$idle_result" ]]; then
  if [[ -z "$s_idle" ]]; then
    idle_result="NO DATA"
  elif ! lt "$s_idle" 8; then
    idle_result="FAIL"
  elif [[ -z "$idle_ratio" ]]; then
    idle_result="PASS (< 8 KiB; no baseline)"
  elif le "$idle_ratio" 0.4; then
    idle_result="PASS"
  else
    idle_result="FAIL (ratio)"
  fi
fi

phase() { j "$1" ".phases[] | select(.name == \"$2\") | .$3"; }
s_p99="$(phase spotik_fanout fixed p99_ms)"
n_p99="$(phase node_fanout fixed p99_ms)"
s_p50="$(phase spotik_fanout fixed p50_ms)"
n_p50="$(phase node_fanout fixed p50_ms)"
s_fmsgs="$(phase spotik_fanout fixed msgs_per_s)"
n_fmsgs="$(phase node_fanout fixed msgs_per_s)"
s_smsgs="$(phase spotik_fanout saturating msgs_per_s)"
n_smsgs="$(phase node_fanout saturating msgs_per_s)"
s_sp99="$(phase spotik_fanout saturating p99_ms)"
n_sp99="$(phase node_fanout saturating p99_ms)"
s_rate="$(phase spotik_fanout fixed events_per_s)"
n_rate="$(phase node_fanout fixed events_per_s)"
s_cpumsg="$(phase spotik_fanout saturating server_cpu_us_per_msg)"
n_cpumsg="$(phase node_fanout saturating server_cpu_us_per_msg)"
f_p99="$(phase floor fixed p99_ms)"
f_p50="$(phase floor fixed p50_ms)"
f_fmsgs="$(phase floor fixed msgs_per_s)"
f_smsgs="$(phase floor saturating msgs_per_s)"
f_sp99="$(phase floor saturating p99_ms)"
f_cpumsg="$(phase floor saturating sender_us_per_msg)"
# verdict COMMAND...: whether a target is within the floor's reach.
verdict() { if "$@"; then printf 'within reach'; else printf 'NOT REACHABLE on this machine'; fi; }
# kept_up RATE_SENT RATE_WANTED: the triggers went out at 90 % of the wanted rate or more.
kept_up() { [[ -n "$1" ]] && ge "$1" "$(awk -v r="$2" 'BEGIN { print r * 0.9 }')"; }
fanout_result="$(validity spotik_fanout)"
if [[ -z "$fanout_result" ]]; then
  if [[ -z "$s_p99" ]]; then
    fanout_result="NO DATA"
  elif ! kept_up "$s_rate" "$RATE"; then
    fanout_result="FAIL (kept up with $(num_or_na "$s_rate" 1) ev/s)"
  elif lt "$s_p99" 20; then
    fanout_result="PASS"
  else
    fanout_result="FAIL"
  fi
fi
sat_ratio="$(ratio_of "$s_smsgs" "$n_smsgs")"
sat_result="$(validity spotik_fanout)"
if [[ -z "$sat_result" ]]; then
  if [[ -z "$s_smsgs" ]]; then
    sat_result="NO DATA"
  elif [[ -z "$sat_ratio" ]]; then
    sat_result="NO DATA (baseline)"
  elif ge "$sat_ratio" 3; then
    sat_result="PASS"
  else
    sat_result="FAIL"
  fi
fi
m_p99="$(phase spotik_mix mix p99_ms)"
m_p50="$(phase spotik_mix mix p50_ms)"
m_cpu="$(phase spotik_mix mix server_cpu_pct)"
m_rate="$(phase spotik_mix mix events_per_s)"
fm_p99="$(j floor_mix .p99_ms)"
fm_p50="$(j floor_mix .p50_ms)"
fm_cpu="$(j floor_mix .sender_cpu_pct)"
fm_rate="$(j floor_mix .events_per_s)"
m_wanted="$(awk -v r="$MIX_RATE" -v n="$MIX_ROOMS" 'BEGIN { print r * n }')"
mix_result="$(validity spotik_mix)"
if [[ -z "$mix_result" ]]; then
  if [[ -z "$m_p99" ]]; then
    mix_result="NO DATA"
  elif ! kept_up "$m_rate" "$m_wanted"; then
    mix_result="FAIL (kept up with $(num_or_na "$m_rate" 0) of $m_wanted ev/s)"
  elif lt "$m_p99" 5; then
    mix_result="PASS"
  else
    mix_result="FAIL"
  fi
fi

say ""
say "Spotik vs Node.js $node_version + ws $ws_version on $HOST, WebSocket (bench/ws)"
say "Spotik binary: $SPOTIK"
say "CPUs available: $ncpu ($(join_by_comma "${cpus[@]}")); $placement"
say "Load average: $load_before before the runs, $load_after after (1 min); other work on these CPUs skews every figure"
say "Open files per process: $hard_nofile (hard limit)"
say "Scale: idle $SOCKETS sockets ($PER_ROOM per room); fanout $MEMBERS sockets ($FANOUT_SOCKETS_PER_USER per user), $RATE events/s for ${DURATION}s then saturating (window $WINDOW) for ${SAT_DURATION}s; mix $MIX_ROOMS rooms x $MIX_ROOM_SIZE, $MIX_RATE events/s per room, $RECONNECT_PCT %/s reconnecting, ${DURATION}s; first ${WARMUP}s of each phase not measured"
[[ -z "$mix_note" ]] || say "Note: $mix_note"
say ""
row='%-38s %10s %10s %7s %10s  %-34s %s\n'
# shellcheck disable=SC2059 # the format is the constant above
{
  printf "$row" "scenario" "Spotik" "Node ws" "ratio" "floor" "target" "result"
  if wants idle; then
    printf "$row" "idle: memory per socket, KiB" "$(num_or_na "$s_idle" 2)" "$(num_or_na "$n_idle" 2)" "${idle_ratio:-n/a}" "-" \
      "< 8 KiB and <= 0.40x Node" "$idle_result"
  fi
  if wants fanout; then
    printf "$row" "fanout $RATE ev/s: p99 latency, ms" "$(num_or_na "$s_p99" 2)" "$(num_or_na "$n_p99" 2)" \
      "$(ratio_of "$s_p99" "$n_p99")" "$(num_or_na "$f_p99" 2)" "p99 < 20 ms" "$fanout_result"
    printf "$row" "fanout $RATE ev/s: p50 latency, ms" "$(num_or_na "$s_p50" 2)" "$(num_or_na "$n_p50" 2)" \
      "$(ratio_of "$s_p50" "$n_p50")" "$(num_or_na "$f_p50" 2)" "" ""
    printf "$row" "fanout $RATE ev/s: events/s sent" "$(num_or_na "$s_rate" 1)" "$(num_or_na "$n_rate" 1)" \
      "$(ratio_of "$s_rate" "$n_rate")" "-" "(the server answers each vote)" ""
    printf "$row" "fanout $RATE ev/s: delivered msgs/s" "$(num_or_na "$s_fmsgs" 0)" "$(num_or_na "$n_fmsgs" 0)" \
      "$(ratio_of "$s_fmsgs" "$n_fmsgs")" "$(num_or_na "$f_fmsgs" 0)" "(offered: $(awk -v r="$RATE" -v m="$MEMBERS" 'BEGIN { print r * m }'))" ""
    if gt "$SAT_DURATION" 0; then
      printf "$row" "fanout saturating: delivered msgs/s" "$(num_or_na "$s_smsgs" 0)" "$(num_or_na "$n_smsgs" 0)" \
        "${sat_ratio:-n/a}" "$(num_or_na "$f_smsgs" 0)" ">= 3.00x Node" "$sat_result"
      printf "$row" "fanout saturating: p99 latency, ms" "$(num_or_na "$s_sp99" 2)" "$(num_or_na "$n_sp99" 2)" \
        "$(ratio_of "$s_sp99" "$n_sp99")" "$(num_or_na "$f_sp99" 2)" "" ""
      printf "$row" "fanout saturating: server CPU us/msg" "$(num_or_na "$s_cpumsg" 2)" "$(num_or_na "$n_cpumsg" 2)" \
        "$(ratio_of "$s_cpumsg" "$n_cpumsg")" "$(num_or_na "$f_cpumsg" 2)" "(CPU time per delivery)" ""
    fi
  fi
  if wants mix; then
    printf "$row" "mix: p99 latency, ms" "$(num_or_na "$m_p99" 2)" "-" "-" "$(num_or_na "$fm_p99" 2)" "p99 < 5 ms" "$mix_result"
    printf "$row" "mix: p50 latency, ms" "$(num_or_na "$m_p50" 2)" "-" "-" "$(num_or_na "$fm_p50" 2)" "" ""
    printf "$row" "mix: events/s sent" "$(num_or_na "$m_rate" 0)" "-" "-" "$(num_or_na "$fm_rate" 0)" "(wanted: $m_wanted)" ""
    printf "$row" "mix: server CPU, % of one core" "$(num_or_na "$m_cpu" 1)" "-" "-" "$(num_or_na "$fm_cpu" 1)" "" ""
  fi
}

if wants fanout; then
  say ""
  if [[ -n "$f_p99" ]]; then
    say "floor: the fan-out as a bare send(2) loop on the servers' CPU (bench/ws/floor.cpp), $(j floor .frame_bytes)-byte frames to the same $MEMBERS sockets."
    say "  No server that sends each socket its own copy does better on this machine:"
    say "  p99 < 20 ms at $RATE ev/s: the floor's p99 is $(num_or_na "$f_p99" 2) ms: $(verdict lt "$f_p99" 20)"
    f_best="$(ratio_of "$n_cpumsg" "$f_cpumsg")"
    if [[ -n "$f_best" ]]; then
      say "  >= 3x Node's msgs/s: Node's CPU per delivery over the floor's ($(num_or_na "$n_cpumsg" 2) / $(num_or_na "$f_cpumsg" 2) us) caps any server at ${f_best}x: $(verdict ge "$f_best" 3)"
    fi
  else
    say "floor: not measured${PROBLEM[floor]:+ (${PROBLEM[floor]})}"
  fi
fi

if wants mix; then
  say ""
  if [[ -n "$fm_p99" ]]; then
    say "floor: the mix's deliveries as bare send(2) calls on the servers' CPU (bench/ws/floor_mix.cpp), $(j floor_mix .frame_bytes)-byte frames, same rooms and schedule, no trigger, database or reconnect."
    say "  p99 < 5 ms: the floor's p99 is $(num_or_na "$fm_p99" 2) ms, its sends alone using $(num_or_na "$fm_cpu" 1) % of the core: $(verdict lt "$fm_p99" 5)"
  else
    say "floor: mix not measured${PROBLEM[floor_mix]:+ (${PROBLEM[floor_mix]})}"
  fi
fi

say ""
say "Run details:"
for key in spotik_idle node_idle spotik_fanout node_fanout spotik_mix; do
  [[ -e "$tmp/$key.json" ]] || continue
  if [[ -z "$(j "$key" .scenario)" ]]; then
    say "  $key: no result; ${PROBLEM[$key]:-}"
    continue
  fi
  say "  $key: $(j "$key" .joined)/$(j "$key" .sockets) sockets joined ($(j "$key" .failed) failed, $(j "$key" .pending) never answered) in $(j "$key" .join_s) s after a $(j "$key" .setup_s) s HTTP set-up ($(j "$key" .users) users, $(j "$key" .rooms) rooms)"
  if [[ "$key" == *idle ]]; then
    say "    server RSS KiB: $(j "$key" .rss_before_kib) before the sockets, $(j "$key" .rss_after_kib) with them joined, $(j "$key" .rss_closed_kib) after they closed"
  else
    while IFS= read -r line; do say "    $line"; done < <(jq -r '.phases[] |
      "phase \(.name): \(.events_sent) events (\(.events_per_s)/s), \(.events_acked) acknowledged, \(.trigger_errors) trigger errors; deliveries \(.received)/\(.expected), lost \(.lost); \(.msgs_per_s) msgs/s; ms p50 \(.p50_ms) p90 \(.p90_ms) p99 \(.p99_ms) p99.9 \(.p999_ms) max \(.max_ms); server CPU \(.server_cpu_pct) % (\(.server_cpu_us_per_msg) us per delivery), load generator CPU \(.loadgen_cpu_pct) %" +
      (if .trigger_error != "" then " (first trigger error: \(.trigger_error))" else "" end)' "$tmp/$key.json")
    say "    replayed $(j "$key" .replayed), reconnects $(j "$key" .reconnects) (failed $(j "$key" .reconnect_failures)), unrecovered gaps $(j "$key" .unrecovered), duplicates $(j "$key" .duplicates), seq gaps $(j "$key" .seq_gaps), unmatched $(j "$key" .unmatched), vote-score mismatches $(j "$key" .score_mismatch), other events $(j "$key" .other_events), disconnects $(j "$key" .disconnects)"
    if jq -e '[.phases[].loadgen_cpu_pct] | max > 90' "$tmp/$key.json" >/dev/null 2>&1; then
      say "    WARNING: the load generator used over 90 % of its CPU: this run may measure the generator, not the server"
    fi
  fi
  while IFS= read -r line; do [[ -z "$line" ]] || say "    $line"; done < <(jq -r '(.failures | to_entries[] | "socket failures x\(.value): \(.key)"), (.error_frames | to_entries[] | "error frames x\(.value): \(.key)")' "$tmp/$key.json")
  if [[ -n "${WS_COUNTERS[$key]:-}" ]]; then say "    Spotik /api/websocket/status counters: ${WS_COUNTERS[$key]}"; fi
  if [[ -n "${PROBLEM[$key]:-}" ]]; then say "    PROBLEM: ${PROBLEM[$key]}"; fi
done
if [[ -s "$tmp/floor.json" ]]; then
  while IFS= read -r line; do say "  floor: $line"; done < <(jq -r '.phases[] |
    "phase \(.name): \(.sends) sends (\(.send_errors) failed), \(.delivered) delivered, lost \(.lost); \(.msgs_per_s) msgs/s; ms p50 \(.p50_ms) p99 \(.p99_ms) max \(.max_ms); sender CPU \(.sender_us_per_msg) us per send"' "$tmp/floor.json")
  say "  floor: receiver CPU $(j floor .receiver_us_per_msg) us per message"
fi
if [[ -s "$tmp/floor_mix.json" ]]; then
  say "  floor_mix: $(jq -r '"\(.events) events (\(.events_per_s)/s), \(.sends) sends (\(.send_errors) failed), \(.delivered) delivered, lost \(.lost); ms p50 \(.p50_ms) p99 \(.p99_ms) p99.9 \(.p999_ms) max \(.max_ms); sender CPU \(.sender_cpu_pct) % (\(.sender_us_per_msg) us per send), latest start \(.max_late_ms) ms after due; receiver CPU \(.receiver_us_per_msg) us per message"' "$tmp/floor_mix.json")"
fi
for key in spotik_idle spotik_fanout spotik_mix; do
  log="$tmp/spotik-${key#spotik_}.log"
  [[ -f "$log" ]] || continue
  problems="$(grep -c '"level":"' "$log" || true)"
  say "Spotik log lines at warn or above ($key): ${problems:-0}"
  if [[ "${problems:-0}" != 0 ]]; then
    grep '"level":"' "$log" | sed -e 's/.*"level":"\([a-z]*\)".*"message":"\([^"]*\)".*/\1: \2/' |
      cut -c 1-160 | sort | uniq -c | sort -rn | head -n 8 | sed 's/^/   /'
  fi
done

if ((${#broken[@]})); then
  for b in "${broken[@]}"; do note "$b"; done
  die "${#broken[@]} run(s) broke (above)"
fi
exit 0
