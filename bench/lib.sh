# shellcheck shell=bash
# Shared by the benchmark scripts (http_bench.sh, media_bench.sh); sourced, never run:
#   source "$(dirname "$0")/lib.sh"
# It defines the settings common to every script (read from the environment, see the scripts'
# headers and bench/README.md) and the helpers: clean-up, tools and build, CPU placement,
# loopback HTTP requests, starting Spotik and nginx, parsing wrk output, report lines.
#
# State shared with the scripts (set by the helpers, read by the scripts and the clean-up):
#   tmp                       the temporary directory (bench_init)
#   spotik_port, spotik_pid   start_spotik
#   ngx, nginx_port           prepare_nginx; nginx_pid: start_nginx
#   cpus, ncpu, server_n, server_cpus, load_cpus, wrk_threads, placement: plan_cpus
#   spotik_crashed            check_spotik_alive
#   RPS, P99, NON2XX, SOCKERR, REQS (by wrk run key): parse_wrk

readonly NGINX=/usr/sbin/nginx

# shellcheck disable=SC2034 # DURATION and WARMUP are read by the scripts
{
  readonly DURATION="${BENCH_DURATION:-10}"
  readonly WARMUP="${BENCH_WARMUP:-3}"
}
readonly CONNECTIONS="${BENCH_CONNECTIONS:-64}"
SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
[[ -z "${BENCH_BINARY:-}" ]] || SKIP_BUILD=1
readonly SKIP_BUILD
readonly KEEP_TMP="${BENCH_KEEP_TMP:-0}"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
readonly script_dir repo_root
bench_name=bench
# shellcheck source=bench/common.sh
source "$script_dir/common.sh"
SPOTIK="$(realpath -m "${BENCH_BINARY:-$repo_root/build/release/spotik}")"
readonly SPOTIK


# check_positive_numbers NAME=VALUE...: dies unless every VALUE is a positive whole number.
check_positive_numbers() {
  local pair
  for pair in "$@"; do
    if ! [[ "${pair#*=}" =~ ^[1-9][0-9]{0,5}$ ]]; then
      die "${pair%%=*} must be a positive whole number, got '${pair#*=}'"
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# Clean-up: every process started here and the temporary directory, on any exit (Ctrl-C too).
tmp=""
spotik_pid=""
nginx_pid=""
request_timeout=""


# cleanup [STOP_FIRST]: the EXIT trap. Runs the command STOP_FIRST (the script's own processes),
# then stops nginx and Spotik and removes the temporary directory; exits with the script's code.
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "${1:-}" ]]; then "$1"; fi
  stop_process "$nginx_pid" nginx QUIT 5
  stop_process "$spotik_pid" spotik TERM 12
  if [[ -n "$tmp" && -d "$tmp" ]]; then
    if [[ "$KEEP_TMP" == 1 ]]; then note "kept $tmp"; else rm -rf -- "$tmp"; fi
  fi
  exit "$rc"
}

# bench_init TMP_PREFIX REQUEST_TIMEOUT_S [STOP_FIRST]: installs the traps (the clean-up runs
# STOP_FIRST first, see cleanup), creates the temporary directory $tmp and sets the --max-time
# of every http_req.
bench_init() {
  local prefix="$1" stop_first="${3:-}"
  request_timeout="$2"
  # shellcheck disable=SC2064 # the function name is fixed now
  trap "cleanup $(printf '%q' "$stop_first")" EXIT
  trap 'note "interrupted"; exit 130' INT
  trap 'note "terminated"; exit 143' TERM
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX")"
}

# ---------------------------------------------------------------------------------------------
# Tools and build.

# require_tools TOOL...: wrk and nginx-light (Debian packages) through scripts/install-deps.sh,
# curl for the set-up requests; dies unless every TOOL is then there.
require_tools() {
  local tool
  "$script_dir/../scripts/install-deps.sh" bench || die "scripts/install-deps.sh bench failed"
  if ! command -v curl >/dev/null 2>&1; then
    note "curl is missing; installing it"
    if [[ "$(id -u)" -ne 0 ]]; then die "curl is missing and this is not root: apt-get install curl"; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl >/dev/null ||
      die "could not install curl"
  fi
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found after scripts/install-deps.sh bench"
  done
}

# build_spotik BUILD_WHEN_MISSING: builds the release binary unless BENCH_SKIP_BUILD=1 or
# BENCH_BINARY is set; with BUILD_WHEN_MISSING=1 also when BENCH_SKIP_BUILD=1 but the default
# binary does not exist. Dies when the build fails or $SPOTIK is not there afterwards.
build_spotik() {
  local when_missing="$1"
  if [[ "$SKIP_BUILD" != 1 ]] || [[ "$when_missing" == 1 && -z "${BENCH_BINARY:-}" && ! -x "$SPOTIK" ]]; then
    note "building the release binary (cmake --preset release && cmake --build --preset release)"
    if ! (cd "$repo_root" && cmake --preset release && cmake --build --preset release) >"$tmp/build.log" 2>&1; then
      tail -n 40 "$tmp/build.log" >&2
      die "the release build failed (last lines above)"
    fi
  fi
  [[ -x "$SPOTIK" ]] || die "$SPOTIK does not exist; build it with: cmake --preset release && cmake --build --preset release"
}

# ---------------------------------------------------------------------------------------------
# CPU placement: the server under test and the load generators on disjoint cores when there are
# at least two.

# plan_cpus SPLIT_FORMAT SHARED_TEXT: sets cpus, ncpu, server_n, server_cpus, load_cpus,
# wrk_threads and placement (a sentence for the report). With two or more CPUs the servers get
# the first half and the load generators the rest; placement then ends with SPLIT_FORMAT, a
# printf format given the load CPUs and the wrk thread count. With one CPU everything shares it
# and placement says so with SHARED_TEXT ("server (1 thread/worker) and wrk share it").
plan_cpus() {
  local split_format="$1" shared_text="$2"
  mapfile -t cpus < <(expand_cpu_list "$(taskset -cp $$ | sed 's/.*: *//')")
  ncpu=${#cpus[@]}
  if ((ncpu >= 2)); then
    server_n=$((ncpu / 2))
    server_cpus="$(join_by_comma "${cpus[@]:0:server_n}")"
    load_cpus="$(join_by_comma "${cpus[@]:server_n}")"
    wrk_threads=$((ncpu - server_n))
    # shellcheck disable=SC2059 # the format is the caller's
    placement="servers pinned to CPU(s) $server_cpus with $server_n io thread(s)/worker(s); $(printf "$split_format" "$load_cpus" "$wrk_threads")"
    if ((ncpu == 2)); then placement+=" (2 cores: the server gets 1 core and 1 thread/worker)"; fi
  else
    server_n=1
    server_cpus="${cpus[0]:-0}"
    load_cpus="$server_cpus"
    wrk_threads=1
    placement="only 1 CPU: $shared_text, so the figures understate both servers"
  fi
  readonly cpus ncpu server_n server_cpus load_cpus wrk_threads placement
  ((wrk_threads <= CONNECTIONS)) || die "BENCH_CONNECTIONS ($CONNECTIONS) must be at least the wrk thread count ($wrk_threads)"
}

# ---------------------------------------------------------------------------------------------
# Helpers: a free loopback port, HTTP requests to 127.0.0.1 only, JSON string fields.

# http_req METHOD PORT PATH BODY_FILE [curl args...] -> prints the status code; body in BODY_FILE.
# Each request may take the REQUEST_TIMEOUT_S given to bench_init.
http_req() {
  local method="$1" port="$2" path="$3" out="$4"
  shift 4
  curl --silent --show-error --noproxy '*' --max-time "$request_timeout" -X "$method" -o "$out" -w '%{http_code}' \
    "$@" "http://$HOST:$port$path" || true
}

# json_field OBJECT FIELD FILE -> the string OBJECT.FIELD of a JSON reply (jq when present;
# otherwise the first "FIELD":"..." after "OBJECT":{ in the text, which for these replies is the
# object's own field because the id/token comes first).
json_field() {
  if command -v jq >/dev/null 2>&1; then
    jq -r --arg o "$1" --arg k "$2" '.[$o][$k] // empty | strings' "$3" 2>/dev/null || true
  else
    awk -v o="$1" -v k="$2" '{
      i = index($0, "\"" o "\":{"); if (i == 0) exit
      s = substr($0, i)
      if (match(s, "\"" k "\"[[:space:]]*:[[:space:]]*\"[^\"]*\"")) {
        s = substr(s, RSTART, RLENGTH); sub(/^[^:]*:[[:space:]]*"/, "", s); sub(/"$/, "", s)
        print s; exit
      } }' "$3"
  fi
}

wait_http_200() { # port, path, pid
  local i code
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$3" 2>/dev/null; then return 1; fi
    code="$(http_req GET "$1" "$2" /dev/null 2>/dev/null)"
    [[ "$code" == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# Spotik: release binary, temporary data folder, run from the temp dir so no .env is picked up.
spotik_log_tail() {
  note "last lines of the Spotik log:"
  tail -n 30 "$tmp/spotik.log" >&2 || true
}

# start_spotik [NAME=VALUE...]: starts Spotik on a free port, pinned to the server CPUs with
# $server_n io threads, quiet (LOG_LEVEL=warn), with the extra environment given; sets
# spotik_port and spotik_pid and waits for GET /live = 200 (dies after 30 s).
start_spotik() {
  local jwt_secret
  spotik_port="$(free_port)"
  mkdir -p "$tmp/spotik-data"
  jwt_secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  # shellcheck disable=SC2163 # "$@" are NAME=VALUE words
  (
    cd "$tmp" &&
      export APP_ENV=development RATE_LIMITING_ENABLED=false JWT_SECRET="$jwt_secret" DATA_PATH="$tmp/spotik-data" \
        SERVER_HOST="$HOST" SERVER_PORT="$spotik_port" SERVER_THREADS="$server_n" \
        LOG_LEVEL=warn BCRYPT_COST=4 "$@" &&
      exec taskset -c "$server_cpus" "$SPOTIK" serve
  ) >"$tmp/spotik.log" 2>&1 &
  spotik_pid=$!
  if ! wait_http_200 "$spotik_port" /live "$spotik_pid"; then
    spotik_log_tail
    die "Spotik did not answer GET /live with 200 within 30 s on $HOST:$spotik_port"
  fi
}

# register_bench_user REPLY -> the status code of POST /api/auth/register for the user "bench";
# the reply (data.token) in REPLY.
register_bench_user() {
  http_req POST "$spotik_port" /api/auth/register "$1" -H 'Content-Type: application/json' \
    --data '{"username":"bench","email":"bench@example.com","password":"bench-password-1","password_confirmation":"bench-password-1"}'
}
# create_bench_room TOKEN REPLY -> the status code of POST /api/rooms for the room "bench"; the
# reply (data.id) in REPLY.
create_bench_room() {
  http_req POST "$spotik_port" /api/rooms "$2" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $1" --data '{"name":"bench"}'
}

spotik_crashed=""
# check_spotik_alive WHEN: returns 1, with spotik_crashed set and the log tail shown, when Spotik
# has exited (WHEN: "the uploads", for the message).
check_spotik_alive() {
  if ! kill -0 "$spotik_pid" 2>/dev/null; then
    spotik_crashed="Spotik (pid $spotik_pid) exited during $1"
    note "$spotik_crashed"
    spotik_log_tail
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# nginx: Debian's binary with its own prefix, config, pid and logs; same worker count as Spotik.

# prepare_nginx: picks nginx_port (not Spotik's) and creates the folders under ngx; the script
# then puts the files to serve into $ngx/www.
prepare_nginx() {
  nginx_port="$(free_port)"
  while [[ "$nginx_port" == "$spotik_port" ]]; do nginx_port="$(free_port)"; done
  ngx="$tmp/nginx"
  mkdir -p "$ngx/www" "$ngx/logs" "$ngx/temp"
}

# start_nginx DEFAULT_TYPE PROBE_PATH [DIRECTIVE...]: writes the configuration (the DIRECTIVEs,
# e.g. "tcp_nopush on;", go after "sendfile on;"), checks it, starts nginx pinned to the server
# CPUs, sets nginx_pid and waits for GET PROBE_PATH = 200 (dies after 30 s).
start_nginx() {
  local default_type="$1" probe="$2" directive extra=""
  shift 2
  for directive in "$@"; do extra+="    $directive"$'\n'; done
  # nginx workers drop to an unprivileged user when started as root: let them read the files.
  chmod 0755 "$tmp" "$ngx" "$ngx/www"
  chmod 0644 "$ngx/www/"*
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
${extra}    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    types { }
    default_type $default_type;
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
  if ! wait_http_200 "$nginx_port" "$probe" "$nginx_pid"; then
    cat "$ngx/logs/error.log" >&2 || true
    die "nginx did not answer GET $probe with 200 within 30 s on $HOST:$nginx_port"
  fi
  note "nginx is up on $HOST:$nginx_port (pid $nginx_pid)"
}

nginx_version() { "$NGINX" -v 2>&1 | sed 's/.*nginx\///'; }

# ---------------------------------------------------------------------------------------------
# wrk output and the load on the machine.
to_ms() { # "812.00us" | "1.23ms" | "2.01s" | "1.50m" -> milliseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
    else if (u == "h") n *= 3600000; else if (u != "ms") { print "nan"; exit }
    printf "%.3f", n }'
}

declare -A RPS P99 NON2XX SOCKERR REQS
# parse_wrk KEY FILE: the figures of a wrk --latency output into RPS, P99 (ms), NON2XX, SOCKERR
# and REQS under KEY.
# shellcheck disable=SC2034 # the arrays are read by the scripts
parse_wrk() {
  local key="$1" out="$2" line
  RPS[$key]="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  line="$(awk '$1 == "99%" {print $2; exit}' "$out")"
  P99[$key]=""
  if [[ -n "$line" ]]; then P99[$key]="$(to_ms "$line")"; fi
  NON2XX[$key]="$(awk -F: '/Non-2xx or 3xx responses/ {gsub(/ /, "", $2); print $2}' "$out")"
  NON2XX[$key]="${NON2XX[$key]:-0}"
  SOCKERR[$key]="$(sed -n 's/^ *Socket errors: *//p' "$out")"
  REQS[$key]="$(awk '/requests in/ {print $1; exit}' "$out")"
}

load_average() { cut -d' ' -f1 /proc/loadavg; }
warn_if_busy() { # load average
  if awk -v l="$1" -v n="$ncpu" 'BEGIN { exit !(l > n / 2) }'; then
    note "WARNING: load average $1 on $ncpu CPU(s): other processes compete with the benchmark"
  fi
}


# ---------------------------------------------------------------------------------------------
# Report lines common to the scripts.
say_binary_and_cpus() {
  say "Spotik binary: $SPOTIK"
  say "CPUs available: $ncpu ($(join_by_comma "${cpus[@]}")); $placement"
}

# say_server_logs: Spotik's warnings and errors (LOG_LEVEL=warn: every JSON log line is a warning
# or worse; grouped by level and message) and the start of a non-empty nginx error log.
say_server_logs() {
  local problems
  problems="$(grep -c '"level":"' "$tmp/spotik.log" || true)"
  say "Spotik log lines at warn or above during the whole run: ${problems:-0}"
  if [[ "${problems:-0}" != 0 ]]; then
    grep '"level":"' "$tmp/spotik.log" | sed -e 's/.*"level":"\([a-z]*\)".*"message":"\([^"]*\)".*/\1: \2/' |
      cut -c 1-160 | sort | uniq -c | sort -rn | head -n 8 | sed 's/^/   /'
  fi
  if [[ -s "$ngx/logs/error.log" ]]; then say "nginx error log is not empty:"; head -n 5 "$ngx/logs/error.log" | sed 's/^/    /'; fi
}
