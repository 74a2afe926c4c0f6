#!/usr/bin/env bash
# HTTP benchmark: Spotik against Debian's nginx on loopback, keep-alive, 64 connections (wrk).
# Scenarios: GET /api/time and GET /api/rooms/{id} (SQLite) on Spotik, and nginx serving static
# JSON files with bodies of the same size. Prints req/s, p99 latency, the ratios and the targets.
# Exits 0 whatever the figures are; non-zero only when something broke (build, start-up, crash).
#
# Environment (all optional):
#   BENCH_DURATION     seconds of each measured run (default 10)
#   BENCH_WARMUP       seconds of the warm-up run before each measured run (default 3)
#   BENCH_CONNECTIONS  keep-alive connections (default 64, the figure the targets are set for)
#   BENCH_SKIP_BUILD   1 = use the existing build/release/spotik, do not run cmake
#   BENCH_BINARY       another Spotik binary to measure (implies no build), e.g. build/dev/spotik
#   BENCH_KEEP_TMP     1 = keep the temporary directory (logs, configs) for inspection
set -euo pipefail

# Every request this script makes goes to this address; it is deliberately not configurable.
readonly HOST=127.0.0.1

readonly DURATION="${BENCH_DURATION:-10}"
readonly WARMUP="${BENCH_WARMUP:-3}"
readonly CONNECTIONS="${BENCH_CONNECTIONS:-64}"
SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
[[ -z "${BENCH_BINARY:-}" ]] || SKIP_BUILD=1
readonly SKIP_BUILD
readonly KEEP_TMP="${BENCH_KEEP_TMP:-0}"

script_dir="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
readonly script_dir repo_root

say() { printf '%s\n' "$*"; }
note() { printf 'bench: %s\n' "$*" >&2; }
die() {
  printf 'bench: ERROR: %s\n' "$*" >&2
  exit 1
}

for pair in "BENCH_DURATION=$DURATION" "BENCH_WARMUP=$WARMUP" "BENCH_CONNECTIONS=$CONNECTIONS"; do
  if ! [[ "${pair#*=}" =~ ^[1-9][0-9]{0,5}$ ]]; then
    die "${pair%%=*} must be a positive whole number, got '${pair#*=}'"
  fi
done

# ---------------------------------------------------------------------------------------------
# Clean-up: every process started here and the temporary directory, on any exit (Ctrl-C too).
tmp=""
spotik_pid=""
nginx_pid=""

# shellcheck disable=SC2317 # called from the EXIT trap
stop_process() { # pid, name, signal, seconds to wait before SIGKILL
  local pid="$1" name="$2" sig="$3" wait_s="$4" i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    note "$name (pid $pid) did not stop within ${wait_s}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_process "$nginx_pid" nginx QUIT 5
  stop_process "$spotik_pid" spotik TERM 12
  if [[ -n "$tmp" && -d "$tmp" ]]; then
    if [[ "$KEEP_TMP" == 1 ]]; then note "kept $tmp"; else rm -rf -- "$tmp"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT
trap 'note "terminated"; exit 143' TERM

tmp="$(mktemp -d "${TMPDIR:-/tmp}/spotik-bench.XXXXXX")"

# ---------------------------------------------------------------------------------------------
# Tools: wrk and nginx-light (Debian packages), curl for the set-up requests, the release build.
"$script_dir/../scripts/install-deps.sh" bench || die "scripts/install-deps.sh bench failed"
if ! command -v curl >/dev/null 2>&1; then
  note "curl is missing; installing it"
  if [[ "$(id -u)" -ne 0 ]]; then die "curl is missing and this is not root: apt-get install curl"; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl >/dev/null ||
    die "could not install curl"
fi
readonly NGINX=/usr/sbin/nginx
for tool in wrk taskset "$NGINX"; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found after scripts/install-deps.sh bench"
done

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

# ---------------------------------------------------------------------------------------------
# CPU placement: the server under test and wrk on disjoint cores when there are at least two.
expand_cpu_list() { # "0-2,5" -> "0 1 2 5"
  local part lo hi c
  local -a list=()
  local IFS=,
  for part in $1; do
    if [[ "$part" == *-* ]]; then
      lo="${part%-*}" hi="${part#*-}"
      for ((c = lo; c <= hi; c++)); do list+=("$c"); done
    else
      list+=("$part")
    fi
  done
  printf '%s\n' "${list[@]}"
}
join_by_comma() {
  local IFS=,
  printf '%s' "$*"
}

mapfile -t cpus < <(expand_cpu_list "$(taskset -cp $$ | sed 's/.*: *//')")
ncpu=${#cpus[@]}
if ((ncpu >= 2)); then
  server_n=$((ncpu / 2))
  server_cpus="$(join_by_comma "${cpus[@]:0:server_n}")"
  wrk_cpus="$(join_by_comma "${cpus[@]:server_n}")"
  wrk_threads=$((ncpu - server_n))
  placement="servers pinned to CPU(s) $server_cpus with $server_n io thread(s)/worker(s); wrk pinned to CPU(s) $wrk_cpus with $wrk_threads thread(s)"
  if ((ncpu == 2)); then placement+=" (2 cores: the server gets 1 core and 1 thread/worker)"; fi
else
  server_n=1
  server_cpus="${cpus[0]:-0}"
  wrk_cpus="$server_cpus"
  wrk_threads=1
  placement="only 1 CPU: server (1 thread/worker) and wrk share it, so the figures understate both servers"
fi
readonly server_n server_cpus wrk_cpus wrk_threads placement
((wrk_threads <= CONNECTIONS)) || die "BENCH_CONNECTIONS ($CONNECTIONS) must be at least the wrk thread count ($wrk_threads)"

# ---------------------------------------------------------------------------------------------
# Helpers: a free loopback port, HTTP requests to 127.0.0.1 only, JSON string fields.
port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! port_in_use "$p"; then
      printf '%s' "$p"
      return 0
    fi
  done
  die "no free loopback port found"
}

# http_req METHOD PORT PATH BODY_FILE [curl args...] -> prints the status code; body in BODY_FILE.
http_req() {
  local method="$1" port="$2" path="$3" out="$4"
  shift 4
  curl --silent --show-error --noproxy '*' --max-time 10 -X "$method" -o "$out" -w '%{http_code}' \
    "$@" "http://$HOST:$port$path" || true
}

# json_data_field FIELD FILE -> the string data.FIELD of a {"data":{...}} reply (jq when present;
# otherwise the leftmost "FIELD":"..." in the text, which for these replies is data's own field).
json_data_field() {
  if command -v jq >/dev/null 2>&1; then
    jq -r --arg k "$1" '.data[$k] // empty | strings' "$2" 2>/dev/null || true
  else
    awk -v k="$1" '{
      if (match($0, "\"" k "\"[[:space:]]*:[[:space:]]*\"[^\"]*\"")) {
        s = substr($0, RSTART, RLENGTH); sub(/^[^:]*:[[:space:]]*"/, "", s); sub(/"$/, "", s)
        print s; exit
      } }' "$2"
  fi
}

spotik_log_tail() {
  note "last lines of the Spotik log:"
  tail -n 30 "$tmp/spotik.log" >&2 || true
}

# ---------------------------------------------------------------------------------------------
# Spotik: release binary, temporary data folder, run from the temp dir so no .env is picked up.
spotik_port="$(free_port)"
mkdir -p "$tmp/spotik-data"
jwt_secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
(
  cd "$tmp" &&
    APP_ENV=development JWT_SECRET="$jwt_secret" DATA_PATH="$tmp/spotik-data" \
      SERVER_HOST="$HOST" SERVER_PORT="$spotik_port" SERVER_THREADS="$server_n" \
      LOG_LEVEL=warn BCRYPT_COST=4 \
      exec taskset -c "$server_cpus" "$SPOTIK" serve
) >"$tmp/spotik.log" 2>&1 &
spotik_pid=$!

wait_http_200() { # port, path, pid, name
  local i code
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$3" 2>/dev/null; then return 1; fi
    code="$(http_req GET "$1" "$2" /dev/null 2>/dev/null)"
    [[ "$code" == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}

if ! wait_http_200 "$spotik_port" /live "$spotik_pid" spotik; then
  spotik_log_tail
  die "Spotik did not answer GET /live with 200 within 30 s on $HOST:$spotik_port"
fi
note "Spotik is up on $HOST:$spotik_port (pid $spotik_pid)"

time_body="$tmp/time.json"
code="$(http_req GET "$spotik_port" /api/time "$time_body")"
[[ "$code" == 200 ]] || die "GET /api/time answered $code, not 200: $(head -c 300 "$time_body")"

# Set-up for the rooms scenario: a user, a token and a room. A failure here skips the scenario
# (reported in the table) and makes the script exit non-zero at the end.
rooms_problem=""
room_id=""
token=""
room_body="$tmp/room.json"
reply="$tmp/reply.json"
code="$(http_req POST "$spotik_port" /api/auth/register "$reply" -H 'Content-Type: application/json' \
  --data '{"username":"bench","email":"bench@example.com","password":"bench-password-1","password_confirmation":"bench-password-1"}')"
if [[ "$code" == 201 || "$code" == 200 ]]; then token="$(json_data_field token "$reply")"; fi
if [[ -z "$token" ]]; then
  rooms_problem="POST /api/auth/register answered $code without data.token: $(head -c 300 "$reply")"
else
  code="$(http_req POST "$spotik_port" /api/rooms "$reply" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $token" --data '{"name":"bench"}')"
  if [[ "$code" == 201 || "$code" == 200 ]]; then room_id="$(json_data_field id "$reply")"; fi
  if [[ -z "$room_id" ]]; then
    rooms_problem="POST /api/rooms answered $code without data.id: $(head -c 300 "$reply")"
  else
    code="$(http_req GET "$spotik_port" "/api/rooms/$room_id" "$room_body" -H "Authorization: Bearer $token")"
    if [[ "$code" != 200 ]]; then
      rooms_problem="GET /api/rooms/$room_id answered $code, not 200: $(head -c 300 "$room_body")"
    fi
  fi
fi
[[ -z "$rooms_problem" ]] || note "rooms scenario skipped: $rooms_problem"

# ---------------------------------------------------------------------------------------------
# nginx: Debian's binary with its own prefix, config, pid and logs; same worker count as Spotik.
nginx_port="$(free_port)"
while [[ "$nginx_port" == "$spotik_port" ]]; do nginx_port="$(free_port)"; done
ngx="$tmp/nginx"
mkdir -p "$ngx/www" "$ngx/logs" "$ngx/temp"
cp "$time_body" "$ngx/www/time.json"
if [[ -f "$room_body" ]]; then cp "$room_body" "$ngx/www/room.json"; else printf '{}' >"$ngx/www/room.json"; fi
# nginx workers drop to an unprivileged user when started as root: let them read the files.
chmod 0755 "$tmp" "$ngx" "$ngx/www"
chmod 0644 "$ngx/www/"*.json
cat >"$ngx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $server_n;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    types { }
    default_type application/json;
    client_body_temp_path $ngx/temp/body;
    proxy_temp_path $ngx/temp/proxy;
    fastcgi_temp_path $ngx/temp/fastcgi;
    uwsgi_temp_path $ngx/temp/uwsgi;
    scgi_temp_path $ngx/temp/scgi;
    server {
        listen $HOST:$nginx_port;
        root $ngx/www;
        location / { try_files \$uri =404; }
    }
}
EOF
"$NGINX" -t -q -p "$ngx" -e "$ngx/logs/error.log" -c "$ngx/nginx.conf" >"$ngx/logs/test.log" 2>&1 ||
  die "nginx rejected the generated configuration: $(cat "$ngx/logs/test.log")"
(exec taskset -c "$server_cpus" "$NGINX" -p "$ngx" -e "$ngx/logs/error.log" -c "$ngx/nginx.conf") \
  >"$ngx/logs/stdout.log" 2>&1 &
nginx_pid=$!
if ! wait_http_200 "$nginx_port" /time.json "$nginx_pid" nginx; then
  cat "$ngx/logs/error.log" >&2 || true
  die "nginx did not answer GET /time.json with 200 within 30 s on $HOST:$nginx_port"
fi
note "nginx is up on $HOST:$nginx_port (pid $nginx_pid)"

# ---------------------------------------------------------------------------------------------
# wrk runs and the parsing of their output.
to_ms() { # "812.00us" | "1.23ms" | "2.01s" | "1.50m" -> milliseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
    else if (u == "h") n *= 3600000; else if (u != "ms") { print "nan"; exit }
    printf "%.3f", n }'
}

declare -A RPS P99 NON2XX SOCKERR REQS
spotik_crashed=""

# run_wrk KEY PORT PATH [extra wrk args...]: a warm-up run, then the measured run, parsed.
run_wrk() {
  local key="$1" port="$2" path="$3" out="$tmp/wrk-$1.txt" line
  shift 3
  local url="http://$HOST:$port$path"
  note "wrk $key: ${WARMUP}s warm-up + ${DURATION}s measured, $CONNECTIONS connections, $url"
  taskset -c "$wrk_cpus" wrk -t "$wrk_threads" -c "$CONNECTIONS" -d "${WARMUP}s" "$@" "$url" >/dev/null 2>&1 || true
  if ! taskset -c "$wrk_cpus" wrk -t "$wrk_threads" -c "$CONNECTIONS" -d "${DURATION}s" --latency "$@" "$url" >"$out" 2>&1; then
    note "wrk $key failed: $(cat "$out")"
  fi
  RPS[$key]="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  line="$(awk '$1 == "99%" {print $2; exit}' "$out")"
  P99[$key]=""
  if [[ -n "$line" ]]; then P99[$key]="$(to_ms "$line")"; fi
  NON2XX[$key]="$(awk -F: '/Non-2xx or 3xx responses/ {gsub(/ /, "", $2); print $2}' "$out")"
  NON2XX[$key]="${NON2XX[$key]:-0}"
  SOCKERR[$key]="$(sed -n 's/^ *Socket errors: *//p' "$out")"
  REQS[$key]="$(awk '/requests in/ {print $1; exit}' "$out")"
}

check_spotik_alive() {
  if ! kill -0 "$spotik_pid" 2>/dev/null; then
    spotik_crashed="Spotik (pid $spotik_pid) exited during the $1 run"
    note "$spotik_crashed"
    spotik_log_tail
    return 1
  fi
}

auth=(-H "Authorization: Bearer ${token:-none}")
load_before="$(cut -d' ' -f1 /proc/loadavg)"
if awk -v l="$load_before" -v n="$ncpu" 'BEGIN { exit !(l > n / 2) }'; then
  note "WARNING: load average $load_before on $ncpu CPU(s): other processes compete with the benchmark"
fi

run_wrk spotik_time "$spotik_port" /api/time
check_spotik_alive "/api/time" || true
run_wrk nginx_time "$nginx_port" /time.json
if [[ -z "$rooms_problem" && -z "$spotik_crashed" ]]; then
  run_wrk spotik_room "$spotik_port" "/api/rooms/$room_id" "${auth[@]}"
  check_spotik_alive "/api/rooms/{id}" || true
fi
run_wrk nginx_room "$nginx_port" /room.json "${auth[@]}"

# ---------------------------------------------------------------------------------------------
# Report.
fmt_num() { [[ -n "$1" ]] && printf '%.0f' "$1" || printf 'n/a'; }
fmt_ms() { [[ -n "$1" && "$1" != nan ]] && printf '%.2f' "$1" || printf 'n/a'; }
ratio_of() { # spotik rps, nginx rps
  if [[ -n "$1" && -n "$2" ]]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "" }'; fi
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# verdict KEY RATIO MIN_RATIO [MAX_P99_MS]
verdict() {
  local key="$1" ratio="$2" min="$3" max_p99="${4:-}"
  if [[ -z "${RPS[$key]:-}" || -z "$ratio" ]]; then
    printf 'NO DATA'
  elif [[ "${NON2XX[$key]}" != 0 ]]; then
    printf 'INVALID (%s non-2xx)' "${NON2XX[$key]}"
  elif ! ge "$ratio" "$min"; then
    printf 'FAIL'
  elif [[ -n "$max_p99" ]] && ! { [[ -n "${P99[$key]:-}" && "${P99[$key]}" != nan ]] && lt "${P99[$key]}" "$max_p99"; }; then
    printf 'FAIL (p99)'
  else
    printf 'PASS'
  fi
}

time_ratio="$(ratio_of "${RPS[spotik_time]:-}" "${RPS[nginx_time]:-}")"
room_ratio="$(ratio_of "${RPS[spotik_room]:-}" "${RPS[nginx_room]:-}")"
time_size="$(wc -c <"$time_body" | tr -d ' ')"
room_size="$( ([[ -f "$room_body" ]] && wc -c <"$room_body" || echo 0) | tr -d ' ')"

say ""
say "Spotik vs nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') on $HOST, HTTP/1.1 keep-alive, $CONNECTIONS connections, ${DURATION}s per run after a ${WARMUP}s warm-up"
say "Spotik binary: $SPOTIK"
say "CPUs available: $ncpu ($(join_by_comma "${cpus[@]}")); $placement"
say "Load average before the runs: $load_before (1 min); other work on these CPUs skews every figure"
say "Response bodies: /api/time $time_size bytes, /api/rooms/{id} $room_size bytes (nginx serves the same bytes)"
say ""
row='%-18s %12s %12s %7s %14s %13s  %-30s %s\n'
# shellcheck disable=SC2059 # the format is the constant above
{
  printf "$row" scenario "Spotik req/s" "nginx req/s" ratio "Spotik p99 ms" "nginx p99 ms" target result
  printf "$row" "GET /api/time" "$(fmt_num "${RPS[spotik_time]:-}")" "$(fmt_num "${RPS[nginx_time]:-}")" \
    "${time_ratio:-n/a}" "$(fmt_ms "${P99[spotik_time]:-}")" "$(fmt_ms "${P99[nginx_time]:-}")" \
    ">= 0.80x nginx" "$(verdict spotik_time "$time_ratio" 0.8)"
  if [[ -n "$rooms_problem" ]]; then
    printf "$row" "GET /api/rooms/{id}" "skipped" "$(fmt_num "${RPS[nginx_room]:-}")" "n/a" "n/a" \
      "$(fmt_ms "${P99[nginx_room]:-}")" ">= 0.30x nginx, p99 < 5 ms" "NOT RUN (set-up failed)"
  else
    printf "$row" "GET /api/rooms/{id}" "$(fmt_num "${RPS[spotik_room]:-}")" "$(fmt_num "${RPS[nginx_room]:-}")" \
      "${room_ratio:-n/a}" "$(fmt_ms "${P99[spotik_room]:-}")" "$(fmt_ms "${P99[nginx_room]:-}")" \
      ">= 0.30x nginx, p99 < 5 ms" "$(verdict spotik_room "$room_ratio" 0.3 5)"
  fi
}

say ""
say "wrk details (requests in the measured run; non-2xx/3xx responses; socket errors):"
for key in spotik_time nginx_time spotik_room nginx_room; do
  [[ -n "${REQS[$key]:-}" ]] || continue
  say "  $(printf '%-12s' "$key") requests ${REQS[$key]}, non-2xx ${NON2XX[$key]}, socket errors: ${SOCKERR[$key]:-none}"
done
# LOG_LEVEL=warn: every JSON log line is a warning or worse; group them by level and message.
problems="$(grep -c '"level":"' "$tmp/spotik.log" || true)"
say "Spotik log lines at warn or above during the whole run: ${problems:-0}"
if [[ "${problems:-0}" != 0 ]]; then
  grep '"level":"' "$tmp/spotik.log" | sed -e 's/.*"level":"\([a-z]*\)".*"message":"\([^"]*\)".*/\1: \2/' |
    cut -c 1-160 | sort | uniq -c | sort -rn | head -n 8 | sed 's/^/   /'
fi
if [[ -s "$ngx/logs/error.log" ]]; then say "nginx error log is not empty:"; head -n 5 "$ngx/logs/error.log" | sed 's/^/    /'; fi
for key in spotik_time spotik_room; do
  if [[ -n "${REQS[$key]:-}" && "${NON2XX[$key]}" != 0 ]]; then
    say "WARNING: $key got ${NON2XX[$key]} non-2xx/3xx responses; its figures do not measure successful requests"
  fi
done

if [[ -n "$spotik_crashed" ]]; then die "$spotik_crashed"; fi
if [[ -n "$rooms_problem" ]]; then die "the /api/rooms/{id} scenario could not run: $rooms_problem"; fi
exit 0
