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

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

check_positive_numbers "BENCH_DURATION=$DURATION" "BENCH_WARMUP=$WARMUP" "BENCH_CONNECTIONS=$CONNECTIONS"

# ---------------------------------------------------------------------------------------------
# Clean-up of the servers and the temporary directory on any exit (bench/lib.sh); each set-up
# request may take 10 s.
bench_init spotik-bench 10

# Tools: wrk and nginx-light (Debian packages), curl for the set-up requests, the release build.
require_tools wrk taskset "$NGINX"
build_spotik 0

# CPU placement: the servers and wrk on disjoint cores when there are at least two.
plan_cpus 'wrk pinned to CPU(s) %s with %s thread(s)' 'server (1 thread/worker) and wrk share it'

# ---------------------------------------------------------------------------------------------
# Spotik: release binary, temporary data folder, run from the temp dir so no .env is picked up.
# shellcheck disable=SC2119 # no extra environment
start_spotik
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
code="$(register_bench_user "$reply")"
if [[ "$code" == 201 || "$code" == 200 ]]; then token="$(json_field data token "$reply")"; fi
if [[ -z "$token" ]]; then
  rooms_problem="POST /api/auth/register answered $code without data.token: $(head -c 300 "$reply")"
else
  code="$(create_bench_room "$token" "$reply")"
  if [[ "$code" == 201 || "$code" == 200 ]]; then room_id="$(json_field data id "$reply")"; fi
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
# nginx: serves the bodies Spotik answered, as static files.
prepare_nginx
cp "$time_body" "$ngx/www/time.json"
if [[ -f "$room_body" ]]; then cp "$room_body" "$ngx/www/room.json"; else printf '{}' >"$ngx/www/room.json"; fi
start_nginx application/json /time.json

# ---------------------------------------------------------------------------------------------
# wrk runs.
# run_wrk KEY PORT PATH [extra wrk args...]: a warm-up run, then the measured run, parsed.
run_wrk() {
  local key="$1" port="$2" path="$3" out="$tmp/wrk-$1.txt"
  shift 3
  local url="http://$HOST:$port$path"
  note "wrk $key: ${WARMUP}s warm-up + ${DURATION}s measured, $CONNECTIONS connections, $url"
  taskset -c "$load_cpus" wrk -t "$wrk_threads" -c "$CONNECTIONS" -d "${WARMUP}s" "$@" "$url" >/dev/null 2>&1 || true
  if ! taskset -c "$load_cpus" wrk -t "$wrk_threads" -c "$CONNECTIONS" -d "${DURATION}s" --latency "$@" "$url" >"$out" 2>&1; then
    note "wrk $key failed: $(cat "$out")"
  fi
  parse_wrk "$key" "$out"
}

auth=(-H "Authorization: Bearer ${token:-none}")
load_before="$(load_average)"
warn_if_busy "$load_before"

run_wrk spotik_time "$spotik_port" /api/time
check_spotik_alive "the /api/time run" || true
run_wrk nginx_time "$nginx_port" /time.json
if [[ -z "$rooms_problem" && -z "$spotik_crashed" ]]; then
  run_wrk spotik_room "$spotik_port" "/api/rooms/$room_id" "${auth[@]}"
  check_spotik_alive "the /api/rooms/{id} run" || true
fi
run_wrk nginx_room "$nginx_port" /room.json "${auth[@]}"

# ---------------------------------------------------------------------------------------------
# Report.
fmt_num() { [[ -n "$1" ]] && printf '%.0f' "$1" || printf 'n/a'; }
fmt_ms() { [[ -n "$1" && "$1" != nan ]] && printf '%.2f' "$1" || printf 'n/a'; }
ratio_of() { # spotik rps, nginx rps
  if [[ -n "$1" && -n "$2" ]]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "" }'; fi
}
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
say "Spotik vs nginx $(nginx_version) on $HOST, HTTP/1.1 keep-alive, $CONNECTIONS connections, ${DURATION}s per run after a ${WARMUP}s warm-up"
say_binary_and_cpus
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
say_server_logs
for key in spotik_time spotik_room; do
  if [[ -n "${REQS[$key]:-}" && "${NON2XX[$key]}" != 0 ]]; then
    say "WARNING: $key got ${NON2XX[$key]} non-2xx/3xx responses; its figures do not measure successful requests"
  fi
done

if [[ -n "$spotik_crashed" ]]; then die "$spotik_crashed"; fi
if [[ -n "$rooms_problem" ]]; then die "the /api/rooms/{id} scenario could not run: $rooms_problem"; fi
exit 0
