#!/usr/bin/env bash
# Media benchmark: Spotik's audio streaming and uploads, on loopback.
#   1. Range streaming: 64 keep-alive connections (wrk + a Lua script) fetch random 1 MiB byte
#      ranges of a 20 MiB WAV track from GET /api/tracks/{id}/stream, and the same ranges of the
#      same file from Debian's nginx (sendfile on, 1 worker). MB/s, the ratio, and Spotik's RSS
#      sampled every 0.5 s during the measured run (it should stay flat).
#   2. Uploads: 20 concurrent 10 MiB WAV uploads (curl multipart) to POST /api/rooms/{id}/tracks.
#      All must answer 201; aggregate MB/s and Spotik's peak RSS against its idle RSS.
# Prints the figures, the targets and PASS/FAIL. Exits 0 whatever the figures are; non-zero only
# when something broke (build, start-up, set-up, a crash, wrong bytes, an upload not answered 201).
#
# Environment (all optional):
#   BENCH_DURATION     seconds of the measured streaming runs (default 10)
#   BENCH_WARMUP       seconds of the warm-up run before each measured run (default 3)
#   BENCH_CONNECTIONS  keep-alive streaming connections (default 64, the figure the target is for)
#   BENCH_UPLOADS      concurrent uploads (default 20, the figure the target is for)
#   BENCH_SKIP_BUILD   1 = use the existing build/release/spotik, do not run cmake (it is still
#                      built when it does not exist)
#   BENCH_BINARY       another Spotik binary to measure (implies no build), e.g. build/dev/spotik
#   BENCH_KEEP_TMP     1 = keep the temporary directory (logs, configs, raw outputs) for inspection
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

readonly UPLOADS="${BENCH_UPLOADS:-20}"

readonly MIB=1048576
readonly STREAM_FILE_BYTES=$((20 * MIB)) # PCM data after the 44-byte header
readonly UPLOAD_FILE_BYTES=$((10 * MIB))
readonly RANGE_BYTES=$MIB
readonly UPLOAD_LIMIT_MB=50
readonly RSS_SAMPLE_S=0.5         # streaming: VmRSS every 0.5 s
readonly UPLOAD_RSS_SAMPLE_S=0.1  # uploads: finer, they last about a second
readonly TARGET_RATIO=0.8         # Spotik MB/s >= 0.8 x nginx MB/s
readonly TARGET_FLAT_MB=16        # "flat": max - min RSS during the measured streaming run
readonly TARGET_UPLOAD_GROWTH_MB=64 # peak RSS during the uploads <= idle + 64 MB

check_positive_numbers "BENCH_DURATION=$DURATION" "BENCH_WARMUP=$WARMUP" "BENCH_CONNECTIONS=$CONNECTIONS" \
  "BENCH_UPLOADS=$UPLOADS"
((UPLOADS <= 500)) || die "BENCH_UPLOADS must be at most 500, got $UPLOADS"

# ---------------------------------------------------------------------------------------------
# Clean-up (bench/lib.sh): the RSS sampler and the upload curls first, then the servers and the
# temporary directory. Set-up requests (the 20 MiB upload among them) may take 60 s each.
sampler_pid=""
upload_pids=()

# shellcheck disable=SC2317 # called from the EXIT trap
stop_media_processes() {
  local pid
  stop_process "$sampler_pid" "RSS sampler" TERM 2
  for pid in "${upload_pids[@]}"; do stop_process "$pid" curl TERM 2; done
}
bench_init spotik-media-bench 60 stop_media_processes

# Tools: wrk, nginx-light and curl (Debian packages), the release build (also with
# BENCH_SKIP_BUILD=1 when build/release/spotik does not exist yet).
require_tools wrk taskset curl cmp "$NGINX"
build_spotik 1

# CPU placement: the server under test and the load generators on disjoint cores when possible.
plan_cpus 'wrk and curl pinned to CPU(s) %s (wrk: %s thread(s))' 'server (1 thread/worker), wrk and curl share it'

# ---------------------------------------------------------------------------------------------
# Helpers: RSS, arithmetic.
# rss_kb PID -> VmRSS in kB (empty when the process is gone); no fork, so cheap to sample.
rss_kb() {
  local key value _
  while read -r key value _; do
    if [[ "$key" == VmRSS: ]]; then
      printf '%s' "$value"
      return 0
    fi
  done 2>/dev/null <"/proc/$1/status" || true
}
hwm_kb() {
  local key value _
  while read -r key value _; do
    if [[ "$key" == VmHWM: ]]; then
      printf '%s' "$value"
      return 0
    fi
  done 2>/dev/null <"/proc/$1/status" || true
}

# start_sampler OUT INTERVAL: appends Spotik's VmRSS (kB) to OUT every INTERVAL seconds.
start_sampler() {
  local out="$1" interval="$2"
  (
    trap - EXIT INT TERM
    while :; do
      r="$(rss_kb "$spotik_pid")"
      [[ -n "$r" ]] || exit 0
      printf '%s\n' "$r" >>"$out"
      sleep "$interval"
    done
  ) &
  sampler_pid=$!
  taskset -cp "$load_cpus" "$sampler_pid" >/dev/null 2>&1 || true
}
stop_sampler() {
  stop_process "$sampler_pid" "RSS sampler" TERM 2
  sampler_pid=""
}

# stats_kb FILE -> "count min max first last" of a one-number-per-line file (kB).
stats_kb() {
  awk 'NF { v = $1 + 0; n++; if (n == 1) { mn = v; mx = v; f = v } if (v < mn) mn = v; if (v > mx) mx = v; l = v }
       END { if (n) printf "%d %d %d %d %d", n, mn, mx, f, l }' "$1" 2>/dev/null || true
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
mb_signed() { awk -v k="$1" 'BEGIN { printf "%+.1f", k / 1024 }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
now_ns() { date +%s%N; }

# CPU time, to tell which side limits a run: the server's (all threads; for nginx its workers)
# from /proc/<pid>/stat, the load generator's from the shell's reaped-children times.
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
readonly CLK_TCK
cpu_ticks() { # pids... -> utime + stime in clock ticks, summed
  local pid total=0 stat
  local -a f
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    stat="${stat##*) }" # fields after the command name; utime and stime are then fields 12 and 13
    read -r -a f <<<"$stat"
    total=$((total + f[11] + f[12]))
  done
  printf '%s' "$total"
}
ticks_to_s() { awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (b - a) / hz }'; }
children_cpu=""
children_cpu_s() { # sets children_cpu: the "children" line of the times builtin, user + sys seconds
  # (not to be called in $(...): a subshell would report its own children)
  times >"$tmp/times.txt"
  children_cpu="$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { v = $i; sub(/s$/, "", v); split(v, p, "m"); t += p[1] * 60 + p[2] }
       printf "%.3f", t }' "$tmp/times.txt")"
}
nginx_workers() { cat "/proc/$nginx_pid/task/$nginx_pid/children" 2>/dev/null || true; }

# ---------------------------------------------------------------------------------------------
# Test files: a canonical 44-byte PCM WAV header (RIFF/WAVE, fmt chunk of 16 bytes: PCM, mono,
# 16-bit, 22050 Hz; data chunk) followed by random bytes, so that a wrong byte shows in a range.
le_bytes() { # value, byte count -> \xHH escapes, little-endian
  local v="$1" n="$2" i s=""
  for ((i = 0; i < n; i++)); do
    s+="$(printf '\\x%02x' $(((v >> (8 * i)) & 255)))"
  done
  printf '%s' "$s"
}
make_wav() { # path, data bytes
  local out="$1" n="$2" hdr size
  hdr="RIFF$(le_bytes $((36 + n)) 4)WAVEfmt $(le_bytes 16 4)$(le_bytes 1 2)$(le_bytes 1 2)"
  hdr+="$(le_bytes 22050 4)$(le_bytes 44100 4)$(le_bytes 2 2)$(le_bytes 16 2)data$(le_bytes "$n" 4)"
  {
    printf '%b' "$hdr"
    head -c "$n" /dev/urandom
  } >"$out"
  size="$(stat -c %s "$out")"
  [[ "$size" == $((44 + n)) ]] || die "generated $out has $size bytes, expected $((44 + n))"
}
stream_wav="$tmp/big.wav"
upload_wav="$tmp/big10.wav"
make_wav "$stream_wav" "$STREAM_FILE_BYTES"
make_wav "$upload_wav" "$UPLOAD_FILE_BYTES"
stream_size="$(stat -c %s "$stream_wav")"
upload_size="$(stat -c %s "$upload_wav")"
readonly stream_wav upload_wav stream_size upload_size

# ---------------------------------------------------------------------------------------------
# Spotik (bench/lib.sh), with uploads of up to $UPLOAD_LIMIT_MB MB.
start_spotik MAX_FILE_SIZE_MB="$UPLOAD_LIMIT_MB"
[[ "$(cat "/proc/$spotik_pid/comm" 2>/dev/null)" == spotik* ]] ||
  die "pid $spotik_pid is not the Spotik process ($(cat "/proc/$spotik_pid/comm" 2>/dev/null)); cannot sample its memory"
note "Spotik is up on $HOST:$spotik_port (pid $spotik_pid)"

# Set-up: a user, a token, a room, and the 20 MiB track. Any failure here is fatal: there is
# nothing to measure without them.
reply="$tmp/reply.json"
code="$(register_bench_user "$reply")"
token="$(json_field data token "$reply")"
[[ "$code" =~ ^20[01]$ && -n "$token" ]] ||
  die "POST /api/auth/register answered $code without data.token: $(head -c 300 "$reply")"
auth=(-H "Authorization: Bearer $token")
code="$(create_bench_room "$token" "$reply")"
room_id="$(json_field data id "$reply")"
[[ "$code" =~ ^20[01]$ && -n "$room_id" ]] ||
  die "POST /api/rooms answered $code without data.id: $(head -c 300 "$reply")"
code="$(http_req POST "$spotik_port" "/api/rooms/$room_id/tracks" "$reply" "${auth[@]}" \
  -F "audio_file=@$stream_wav;filename=big.wav;type=audio/wav")"
track_id="$(json_field track id "$reply")"
[[ "$code" == 201 && -n "$track_id" ]] ||
  die "uploading big.wav answered $code without track.id: $(head -c 300 "$reply")"
readonly token room_id track_id
stream_path="/api/tracks/$track_id/stream"
note "room $room_id, track $track_id ($stream_size bytes)"

# ---------------------------------------------------------------------------------------------
# nginx (bench/lib.sh): it serves the file Spotik stored (a hard link to the same inode, so the
# same page-cache pages; a copy of the generated file when a link is not possible).
prepare_nginx
stored="$(find "$tmp/spotik-data" -type f -name "$track_id.*" -print -quit 2>/dev/null || true)"
nginx_file_origin="a copy of the uploaded file"
if [[ -n "$stored" ]] && cmp -s "$stored" "$stream_wav" && ln "$stored" "$ngx/www/big.wav" 2>/dev/null; then
  nginx_file_origin="a hard link to the file Spotik stored"
else
  cp "$stream_wav" "$ngx/www/big.wav"
fi
[[ -z "$stored" ]] || cmp -s "$stored" "$stream_wav" ||
  die "the file Spotik stored ($stored) differs from the uploaded big.wav"
start_nginx audio/wav /big.wav "tcp_nopush on;"

# Both servers must answer a 1 MiB range with 206, the right Content-Range and the exact bytes:
# an unaligned one in the middle and the last one the load can ask for.
check_range() { # name, port, path, start
  local name="$1" port="$2" path="$3" start="$4" code cr expected
  local end=$((start + RANGE_BYTES - 1)) out="$tmp/range-$1-$4.bin" hdr="$tmp/range-$1-$4.hdr"
  code="$(http_req GET "$port" "$path" "$out" "${auth[@]}" -D "$hdr" -H "Range: bytes=$start-$end")"
  [[ "$code" == 206 ]] || die "$name: GET $path with Range bytes=$start-$end answered $code, not 206"
  cr="$(tr -d '\r' <"$hdr" | awk 'tolower($1) == "content-range:" { print $2, $3 }')"
  expected="bytes $start-$end/$stream_size"
  [[ "$cr" == "$expected" ]] || die "$name: Content-Range '$cr', expected '$expected'"
  cmp -s "$out" <(tail -c +"$((start + 1))" "$stream_wav" | head -c "$RANGE_BYTES") ||
    die "$name: the bytes of range $start-$end differ from the file"
}
for start in 12345679 $((stream_size - RANGE_BYTES)); do
  check_range spotik "$spotik_port" "$stream_path" "$start"
  check_range nginx "$nginx_port" /big.wav "$start"
done
note "range checks passed on both servers (206, Content-Range, exact bytes)"

# ---------------------------------------------------------------------------------------------
# 1. Range streaming with wrk: a Lua script picks a random 1 MiB range inside the file for every
# request (the file size comes after "--"; -H headers such as Authorization stay in wrk.headers).
cat >"$tmp/range.lua" <<'EOF'
-- Random 1 MiB byte ranges that lie inside a file of the size given after "--".
local span = 1048576
local size = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

function init(args)
  size = tonumber(args[1])
  math.randomseed(os.time() * 1000 + (thread_no or 0))
end

function request()
  local start = math.random(0, size - span)
  wrk.headers["Range"] = "bytes=" .. start .. "-" .. (start + span - 1)
  return wrk.format()
end
EOF

to_mib() { # wrk's Transfer/sec "812.34MB" | "1.23GB" | "512.00KB" -> MiB (wrk's units are 1024-based)
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "B") n /= 1048576; else if (u == "KB") n /= 1024; else if (u == "GB") n *= 1024;
    else if (u == "TB") n *= 1048576; else if (u != "MB") { print ""; exit }
    printf "%.1f", n }'
}

declare -A MBPS SRV_CPU WRK_CPU # and RPS, P99, NON2XX, SOCKERR, REQS (bench/lib.sh)
run_wrk() { # KEY PORT PATH [extra wrk args...]: a warm-up run, then the measured run, parsed.
  local key="$1" port="$2" path="$3" out="$tmp/wrk-$1.txt"
  shift 3
  local url="http://$HOST:$port$path"
  local -a cmd=(taskset -c "$load_cpus" wrk -t "$wrk_threads" -c "$CONNECTIONS" -s "$tmp/range.lua" "$@")
  note "wrk $key: ${WARMUP}s warm-up + ${DURATION}s measured, $CONNECTIONS connections, random 1 MiB ranges of $url"
  if [[ "$key" == spotik ]]; then rss_before_stream="$(rss_kb "$spotik_pid")"; fi
  "${cmd[@]}" -d "${WARMUP}s" "$url" -- "$stream_size" >/dev/null 2>&1 || true
  if [[ "$key" == spotik ]]; then
    rss_after_warmup="$(rss_kb "$spotik_pid")"
    start_sampler "$tmp/rss-stream.txt" "$RSS_SAMPLE_S"
  fi
  local -a server_pids
  if [[ "$key" == spotik ]]; then server_pids=("$spotik_pid"); else read -r -a server_pids <<<"$(nginx_workers)"; fi
  local ticks0 ticks1 wrk0 wrk1
  ticks0="$(cpu_ticks "${server_pids[@]}")"
  children_cpu_s
  wrk0="$children_cpu"
  if ! "${cmd[@]}" -d "${DURATION}s" --latency "$url" -- "$stream_size" >"$out" 2>&1; then
    note "wrk $key failed: $(cat "$out")"
  fi
  children_cpu_s
  wrk1="$children_cpu"
  ticks1="$(cpu_ticks "${server_pids[@]}")"
  if [[ "$key" == spotik ]]; then stop_sampler; fi
  SRV_CPU[$key]="$(ticks_to_s "$ticks0" "$ticks1")"
  WRK_CPU[$key]="$(awk -v a="$wrk0" -v b="$wrk1" 'BEGIN { printf "%.1f", b - a }')"
  MBPS[$key]="$(to_mib "$(awk '/^Transfer\/sec:/ {print $2}' "$out")")"
  parse_wrk "$key" "$out"
}

load_before="$(load_average)"
warn_if_busy "$load_before"

rss_before_stream=""
rss_after_warmup=""
run_wrk spotik "$spotik_port" "$stream_path" "${auth[@]}"
check_spotik_alive "the streaming run" || true
run_wrk nginx "$nginx_port" /big.wav "${auth[@]}"
load_after_stream="$(load_average)"

# ---------------------------------------------------------------------------------------------
# 2. Uploads: all curl jobs started at once, each on its own connection, then waited for.
upload_codes=()
upload_times=()
upload_wall_s=""
upload_launch_s=""
upload_spotik_cpu=""
rss_idle_upload=""
rss_peak_upload=""
peak_source=""
if [[ -z "$spotik_crashed" ]]; then
  sleep 1
  rss_idle_upload="$(rss_kb "$spotik_pid")"
  # Reset the kernel's peak-RSS mark (VmHWM) so that it covers the uploads only; the 0.1 s
  # samples are the fallback when that is not allowed.
  hwm_reset=0
  if { printf '5' >"/proc/$spotik_pid/clear_refs"; } 2>/dev/null; then hwm_reset=1; fi
  start_sampler "$tmp/rss-upload.txt" "$UPLOAD_RSS_SAMPLE_S"
  note "uploads: $UPLOADS concurrent POST /api/rooms/$room_id/tracks of $upload_size bytes"
  upload_ticks0="$(cpu_ticks "$spotik_pid")"
  t0="$(now_ns)"
  for ((i = 0; i < UPLOADS; i++)); do
    taskset -c "$load_cpus" curl -s --noproxy '*' --max-time 300 -o /dev/null \
      -w '%{http_code} %{time_total}\n' "${auth[@]}" \
      -F "audio_file=@$upload_wav;type=audio/wav" \
      "http://$HOST:$spotik_port/api/rooms/$room_id/tracks" >"$tmp/upload-$i.txt" 2>&1 &
    upload_pids+=("$!")
  done
  t_launched="$(now_ns)"
  for pid in "${upload_pids[@]}"; do wait "$pid" || true; done
  t1="$(now_ns)"
  upload_spotik_cpu="$(ticks_to_s "$upload_ticks0" "$(cpu_ticks "$spotik_pid")")"
  upload_pids=()
  stop_sampler
  upload_wall_s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
  upload_launch_s="$(awk -v a="$t0" -v b="$t_launched" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
  for ((i = 0; i < UPLOADS; i++)); do
    read -r c t _ <"$tmp/upload-$i.txt" || true
    upload_codes+=("${c:-000}")
    upload_times+=("${t:-}")
  done
  read -r _ _ sampled_peak _ _ <<<"$(stats_kb "$tmp/rss-upload.txt")"
  rss_peak_upload="${sampled_peak:-}"
  peak_source="max of the ${UPLOAD_RSS_SAMPLE_S}s samples"
  if [[ "$hwm_reset" == 1 ]]; then
    hwm="$(hwm_kb "$spotik_pid")"
    if [[ -n "$hwm" ]] && { [[ -z "$rss_peak_upload" ]] || ((hwm > rss_peak_upload)); }; then
      rss_peak_upload="$hwm"
    fi
    peak_source="VmHWM reset before the uploads, and the ${UPLOAD_RSS_SAMPLE_S}s samples"
  fi
  check_spotik_alive "the uploads" || true
fi
load_after="$(load_average)"

# After the uploads: the queue and the storage folder should hold exactly the accepted tracks.
queue_count=""
if [[ -z "$spotik_crashed" ]]; then
  code="$(http_req GET "$spotik_port" "/api/rooms/$room_id/tracks" "$reply" "${auth[@]}")"
  if [[ "$code" == 200 ]]; then
    if command -v jq >/dev/null 2>&1; then
      queue_count="$(jq -r '.total_count // empty' "$reply" 2>/dev/null || true)"
    else
      queue_count="$(sed -n 's/.*"total_count":\([0-9]*\).*/\1/p' "$reply")"
    fi
  fi
fi
audio_dir="$tmp/spotik-data/storage/audio/tracks"
stored_count="$(find "$audio_dir" -maxdepth 1 -type f -name '*.wav' ! -name '.*' 2>/dev/null | wc -l | tr -d ' ')"
leftover_parts="$(find "$audio_dir" -maxdepth 1 -type f -name '.*' 2>/dev/null | wc -l | tr -d ' ')"
leftover_temp="$(find "$tmp/spotik-data/storage/temp" -type f 2>/dev/null | wc -l | tr -d ' ')"
wrong_size="$(find "$audio_dir" -maxdepth 1 -type f -name '*.wav' ! -name '.*' ! -size "${upload_size}c" \
  ! -size "${stream_size}c" 2>/dev/null | wc -l | tr -d ' ')"

# ---------------------------------------------------------------------------------------------
# Report.
fmt1() { [[ -n "$1" && "$1" != nan ]] && printf '%.1f' "$1" || printf 'n/a'; }
fmt_ms() { [[ -n "$1" && "$1" != nan ]] && printf '%.1f' "$1" || printf 'n/a'; }
ratio=""
ratio_exact=""
if [[ -n "${MBPS[spotik]:-}" && -n "${MBPS[nginx]:-}" ]]; then
  ratio_exact="$(awk -v a="${MBPS[spotik]}" -v b="${MBPS[nginx]}" 'BEGIN { if (b > 0) printf "%.6f", a / b }')"
  ratio="$(awk -v r="$ratio_exact" 'BEGIN { if (r != "") printf "%.2f", r }')"
fi

problems_exit=()

# Streaming throughput.
stream_figure="Spotik $(fmt1 "${MBPS[spotik]:-}") / nginx $(fmt1 "${MBPS[nginx]:-}") MB/s = ${ratio:-n/a}x"
if [[ -z "${MBPS[spotik]:-}" || -z "$ratio" ]]; then
  stream_result="NO DATA"
elif [[ "${NON2XX[spotik]}" != 0 ]]; then
  stream_result="INVALID (${NON2XX[spotik]} non-2xx)"
elif ge "$ratio_exact" "$TARGET_RATIO"; then
  stream_result="PASS"
else
  stream_result="FAIL"
fi

# Streaming memory.
read -r s_n s_min s_max s_first s_last <<<"$(stats_kb "$tmp/rss-stream.txt")"
if [[ -n "${s_n:-}" ]]; then
  s_moved=$((s_max - s_min))
  flat_figure="start $(mb "$s_first"), end $(mb "$s_last"), min $(mb "$s_min"), max $(mb "$s_max") MB; moved $(mb "$s_moved") MB"
  if le "$(mb "$s_moved")" "$TARGET_FLAT_MB"; then flat_result="PASS"; else flat_result="FAIL"; fi
else
  flat_figure="no samples"
  flat_result="NO DATA"
fi

# Uploads.
n201=0
for c in "${upload_codes[@]}"; do [[ "$c" == 201 ]] && n201=$((n201 + 1)); done
if [[ -n "$spotik_crashed" && ${#upload_codes[@]} -eq 0 ]]; then
  answers_figure="not run"
  answers_result="NOT RUN"
else
  answers_figure="$n201 of $UPLOADS answered 201"
  if ((n201 == UPLOADS)); then
    answers_result="PASS"
  else
    answers_result="FAIL"
    problems_exit+=("$((UPLOADS - n201)) of $UPLOADS uploads did not answer 201 (codes: $(printf '%s\n' "${upload_codes[@]}" | sort | uniq -c | awk '{printf "%s%sx %s", sep, $1, $2; sep = ", "}'))")
  fi
fi
upload_mbps=""
if [[ -n "$upload_wall_s" ]]; then
  upload_total=$((UPLOADS * upload_size))
  upload_mbps="$(awk -v b="$upload_total" -v s="$upload_wall_s" 'BEGIN { if (s > 0) printf "%.1f", b / 1048576 / s }')"
  throughput_figure="$(fmt1 "$upload_mbps") MB/s ($(mb $((upload_total / 1024))) MB in ${upload_wall_s} s)"
  if ((n201 == UPLOADS)); then throughput_result="reported"; else throughput_result="INVALID (not all 201)"; fi
else
  throughput_figure="not run"
  throughput_result="NOT RUN"
fi
if [[ -n "$rss_idle_upload" && -n "$rss_peak_upload" ]]; then
  growth=$((rss_peak_upload - rss_idle_upload))
  mem_figure="idle $(mb "$rss_idle_upload"), peak $(mb "$rss_peak_upload") MB ($(mb_signed "$growth") MB)"
  if le "$(mb "$growth")" "$TARGET_UPLOAD_GROWTH_MB"; then mem_result="PASS"; else mem_result="FAIL"; fi
else
  mem_figure="no data"
  mem_result="NO DATA"
fi

say ""
say "Spotik media benchmark vs nginx $(nginx_version) on $HOST"
say_binary_and_cpus
say "Load average (1 min): $load_before before the runs, $load_after_stream after streaming, $load_after at the end; other work on these CPUs skews every figure"
say "Files: big.wav $stream_size bytes (44-byte PCM WAV header + 20 MiB), big10.wav $upload_size bytes (+ 10 MiB); MB = 2^20 bytes"
say "Streaming: random 1 MiB ranges, $CONNECTIONS keep-alive connections, ${DURATION}s after a ${WARMUP}s warm-up; nginx (sendfile on, $server_n worker(s)) serves $nginx_file_origin"
say "Uploads: $UPLOADS concurrent curl multipart uploads of big10.wav (MAX_FILE_SIZE_MB=$UPLOAD_LIMIT_MB), each on its own connection"
say ""
row='%-28s %-62s %-28s %s\n'
# shellcheck disable=SC2059 # the format is the constant above
{
  printf "$row" check figure target result
  printf "$row" "range streaming throughput" "$stream_figure" ">= ${TARGET_RATIO}x nginx MB/s" "$stream_result"
  printf "$row" "Spotik RSS while streaming" "$flat_figure" "flat: max - min <= $TARGET_FLAT_MB MB" "$flat_result"
  printf "$row" "upload answers" "$answers_figure" "all 201" "$answers_result"
  printf "$row" "upload throughput" "$throughput_figure" "reported, no target" "$throughput_result"
  printf "$row" "Spotik RSS during uploads" "$mem_figure" "peak <= idle + $TARGET_UPLOAD_GROWTH_MB MB" "$mem_result"
}

say ""
say "Streaming details (measured run; MB/s is wrk's Transfer/sec, headers included):"
for key in spotik nginx; do
  [[ -n "${REQS[$key]:-}" ]] || continue
  say "  $(printf '%-6s' "$key") $(fmt1 "${MBPS[$key]:-}") MB/s, $(fmt1 "${RPS[$key]:-}") ranges/s, p99 $(fmt_ms "${P99[$key]:-}") ms, requests ${REQS[$key]}, non-2xx ${NON2XX[$key]}, socket errors: ${SOCKERR[$key]:-none}"
  per_mb="$(awk -v c="${SRV_CPU[$key]:-}" -v m="${MBPS[$key]:-}" -v d="$DURATION" 'BEGIN { if (c != "" && m > 0) printf "%.2f", c * 1000 / (m * d); else printf "n/a" }')"
  say "         CPU used in the ${DURATION}s run: server ${SRV_CPU[$key]:-n/a} s ($per_mb ms per MB sent), wrk ${WRK_CPU[$key]:-n/a} s (they have $server_n and $wrk_threads core(s): near ${DURATION} s per core = that side is saturated)"
done
if [[ -n "${s_n:-}" ]]; then
  say "  Spotik RSS: $(mb "${rss_before_stream:-0}") MB idle before any streaming, $(mb "${rss_after_warmup:-0}") MB after the warm-up; ${s_n} samples every ${RSS_SAMPLE_S}s during the measured run, end - start $(mb_signed $((s_last - s_first))) MB, max - idle $(mb_signed $((s_max - ${rss_before_stream:-0}))) MB"
fi
if ((${#upload_times[@]} > 0)); then
  say "Upload details: time_total per upload (s) min/median/max $(printf '%s\n' "${upload_times[@]}" | awk 'NF' | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.3f / %.3f / %.3f", v[1], v[int((NR + 1) / 2)], v[NR]; else printf "n/a" }')"
  say "  wall time ${upload_wall_s} s from the first launch to the last answer, of which ${upload_launch_s} s to launch the $UPLOADS curl processes; Spotik used ${upload_spotik_cpu:-n/a} s of CPU meanwhile; peak RSS from $peak_source"
  say "  after the uploads: queue total_count ${queue_count:-n/a} (expected $((1 + n201))), stored .wav files $stored_count, wrong-sized $wrong_size, leftover .part files $leftover_parts, files left in storage/temp $leftover_temp"
  if [[ "${queue_count:-}" != "$((1 + n201))" || "$stored_count" != "$((1 + n201))" || "$wrong_size" != 0 || "$leftover_parts" != 0 ]]; then
    problems_exit+=("the queue or the storage folder does not match the accepted uploads (see the line above)")
  fi
fi
say_server_logs
if [[ -n "${REQS[spotik]:-}" && "${NON2XX[spotik]}" != 0 ]]; then
  say "WARNING: Spotik answered ${NON2XX[spotik]} streaming requests with a non-2xx status; its figures do not measure successful requests"
fi

if [[ -n "$spotik_crashed" ]]; then die "$spotik_crashed"; fi
if ((${#problems_exit[@]} > 0)); then
  for p in "${problems_exit[@]}"; do note "$p"; done
  die "something broke during the uploads (details above)"
fi
exit 0
