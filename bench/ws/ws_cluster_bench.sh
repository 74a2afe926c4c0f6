#!/usr/bin/env bash
# Fan-out over two replicas with Redis, against one replica, in the same run (issue 5,
# Performance): one room of M members, votes over HTTP at R events/s for D seconds, latency from
# the vote's request to each socket's receipt, lost/duplicated/gapped messages checked by seq.
#   single      one replica, in-process bus (no Redis): the reference
#   single+redis one replica on the Redis bus (the bus's own cost)
#   two+redis   two replicas on one Redis and one SQLite file, the sockets split between them
#               (loadgen --ws-ports), votes sent to the first
# Target: p99 of two+redis at most 2 ms above single, and nothing lost or duplicated.
# Servers and redis-server share CPU 0, the load generator gets the other CPU(s); exits 0 whatever
# the figures, non-zero only when something broke (build, start-up, a crash).
#
# Environment: WS_BENCH_QUICK=1 (1 000 members, 8 s), WS_BENCH_MEMBERS (5000), WS_BENCH_RATE (10),
# WS_BENCH_DURATION (20), WS_BENCH_WARMUP (2), WS_BENCH_FANOUT_SOCKETS_PER_USER (50),
# BENCH_SKIP_BUILD=1, BENCH_BINARY=path, BENCH_KEEP_TMP=1.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"
if [[ "${WS_BENCH_QUICK:-0}" == 1 ]]; then d_members=1000 d_duration=8; else d_members=5000 d_duration=20; fi
MEMBERS="${WS_BENCH_MEMBERS:-$d_members}"
RATE="${WS_BENCH_RATE:-10}"
DURATION="${WS_BENCH_DURATION:-$d_duration}"
WARMUP="${WS_BENCH_WARMUP:-2}"
PER_USER="${WS_BENCH_FANOUT_SOCKETS_PER_USER:-50}"
HOST=127.0.0.1
LOADGEN="$repo_root/build/ws-bench/ws-loadgen"

note() { printf 'ws-cluster-bench: %s\n' "$*" >&2; }
die() { note "$*"; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/spotik-ws-cluster.XXXXXX")"
pids=()
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ "${BENCH_KEEP_TMP:-0}" == 1 ]]; then note "kept $tmp"; else rm -rf -- "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$repo_root/scripts/install-deps.sh" build || die "scripts/install-deps.sh build failed"
for tool in redis-server curl jq taskset; do command -v "$tool" >/dev/null || die "$tool is missing (make deps-test; apt-get install jq)"; done
SPOTIK="$(realpath -m "${BENCH_BINARY:-$repo_root/build/release/spotik}")"
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 && -z "${BENCH_BINARY:-}" ]]; then
  note "building the release binary"
  (cd "$repo_root" && cmake --preset release && cmake --build --preset release) >"$tmp/build.log" 2>&1 ||
    { tail -n 40 "$tmp/build.log" >&2; die "release build failed"; }
fi
[[ -x "$SPOTIK" ]] || die "$SPOTIK does not exist"
(cmake -S "$script_dir" -B "$repo_root/build/ws-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release &&
  cmake --build "$repo_root/build/ws-bench") >"$tmp/loadgen-build.log" 2>&1 ||
  { tail -n 40 "$tmp/loadgen-build.log" >&2; die "load generator build failed"; }
ulimit -n "$(ulimit -Hn)"

# CPUs this script may use ("0-3,6" -> 0 1 2 3 6): servers on the first, the generator on the rest.
cpus=()
IFS=, read -r -a parts <<<"$(taskset -cp $$ | sed 's/.*: *//')"
for part in "${parts[@]}"; do
  if [[ "$part" == *-* ]]; then for ((c = ${part%-*}; c <= ${part#*-}; c++)); do cpus+=("$c"); done; else cpus+=("$part"); fi
done
server_cpu="${cpus[0]}"
if ((${#cpus[@]} > 1)); then gen_cpus="$(IFS=,; echo "${cpus[*]:1}")"; else gen_cpus="$server_cpu"; fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # port path
  local i
  for ((i = 0; i < 300; i++)); do
    [[ "$(curl -s --noproxy '*' --max-time 2 -o /dev/null -w '%{http_code}' "http://$HOST:$1$2" || true)" == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}

redis_port="$(free_port)"
taskset -c "$server_cpu" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$tmp" --protected-mode no >"$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
jwt_secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

start_replica() { # name, shared dir, redis url ("" = none); sets port and pid
  local name="$1" dir="$2" url="$3"
  port="$(free_port)"
  mkdir -p "$tmp/$name"
  (cd "$tmp" && APP_ENV=development RATE_LIMITING_ENABLED=false JWT_SECRET="$jwt_secret" DATA_PATH="$tmp/$name" DB_PATH="$dir/spotik.db" \
    AUDIO_STORAGE_PATH="$dir/audio" PUBLIC_STORAGE_PATH="$dir/public" TEMP_STORAGE_PATH="$dir/temp" \
    SERVER_HOST=$HOST SERVER_PORT="$port" SERVER_THREADS=1 LOG_LEVEL=warn BCRYPT_COST=4 \
    WS_MAX_CONNECTIONS=30000 AUTO_ADVANCE=false REDIS_URL="$url" \
    exec taskset -c "$server_cpu" "$SPOTIK" serve) >"$tmp/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
}

run() { # key, redis url, replicas
  local key="$1" url="$2" n="$3" ports=() first="" i
  mkdir -p "$tmp/$key-shared"
  for ((i = 0; i < n; i++)); do
    start_replica "$key-$i" "$tmp/$key-shared" "$url"
    wait_http "$port" /live || die "$key: replica $i did not start ($(tail -n 5 "$tmp/$key-$i.log"))"
    [[ -z "$url" ]] || wait_http "$port" /health/redis || die "$key: replica $i did not reach Redis"
    ports+=("$port")
    [[ -n "$first" ]] || first="$pid"
  done
  note "$key: $MEMBERS members over ${n} replica(s), $RATE events/s for ${DURATION}s"
  taskset -c "$gen_cpus" "$LOADGEN" --json --label "$key" --scenario fanout --port "${ports[0]}" \
    --ws-ports "$(IFS=,; echo "${ports[*]}")" --server-pid "$first" --members "$MEMBERS" --rate "$RATE" \
    --duration "$DURATION" --sat-duration 0 --warmup "$WARMUP" --sockets-per-user "$PER_USER" \
    >"$tmp/$key.json" 2>"$tmp/$key.err" || die "$key: load generator failed: $(tail -n 3 "$tmp/$key.err")"
  for ((i = 0; i < n; i++)); do
    wait_http "${ports[$i]}" /live || die "$key: replica $i stopped answering"
  done
  for p in "${pids[@]:1}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=("${pids[0]}")  # redis-server stays for the next run
}

load_before="$(cut -d' ' -f1 /proc/loadavg)"
run single "" 1
run single_redis "redis://$HOST:$redis_port" 1
redis-cli -p "$redis_port" flushall >/dev/null
run two_redis "redis://$HOST:$redis_port" 2
load_after="$(cut -d' ' -f1 /proc/loadavg)"

f() { jq -r ".phases[] | select(.name == \"fixed\") | .$2 // empty" "$tmp/$1.json"; }
g() { jq -r ".$2 // 0" "$tmp/$1.json"; }
printf '\nSpotik fan-out over replicas on %s: %s members, %s events/s for %ss (warm-up %ss)\n' "$HOST" "$MEMBERS" "$RATE" "$DURATION" "$WARMUP"
printf 'Servers and redis-server pinned to CPU %s, load generator to CPU(s) %s; load average %s before, %s after\n\n' \
  "$server_cpu" "$gen_cpus" "$load_before" "$load_after"
printf '%-14s %9s %9s %9s %9s %11s %9s %6s %6s %6s %8s\n' run p50_ms p99_ms p999_ms max_ms delivered ev/s lost dups gaps joined
for key in single single_redis two_redis; do
  printf '%-14s %9s %9s %9s %9s %11s %9s %6s %6s %6s %8s\n' "$key" "$(f $key p50_ms)" "$(f $key p99_ms)" \
    "$(f $key p999_ms)" "$(f $key max_ms)" "$(f $key received)/$(f $key expected)" "$(f $key events_per_s)" \
    "$(f $key lost)" "$(g $key duplicates)" "$(g $key seq_gaps)" "$(g $key joined)"
done
diff="$(awk -v a="$(f two_redis p99_ms)" -v b="$(f single p99_ms)" 'BEGIN { printf "%.3f", a - b }')"
bad="$(($(f two_redis lost) + $(g two_redis duplicates) + $(g two_redis seq_gaps) + $(g two_redis unmatched)))"
verdict=PASS
awk -v d="$diff" 'BEGIN { exit !(d <= 2) }' || verdict="FAIL (p99 +$diff ms)"
((bad == 0)) || verdict="FAIL ($bad lost, duplicated, gapped or unmatched)"
# Latencies are measured from the actual send: a run that fell behind the wanted rate says
# little about them (usually a busy machine).
for key in single single_redis two_redis; do
  awk -v r="$(f $key events_per_s)" -v w="$RATE" 'BEGIN { exit !(r >= 0.9 * w) }' ||
    verdict="INVALID ($key kept up with $(f $key events_per_s) of $RATE ev/s; other load on the CPUs?) $verdict"
done
printf '\np99 two replicas + Redis - single replica: %s ms (target <= 2 ms, nothing lost or duplicated): %s\n' "$diff" "$verdict"
