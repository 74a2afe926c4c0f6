#!/usr/bin/env bash
# `make test-fuzz`: builds the libFuzzer targets (preset fuzz), replays every reproducer kept in
# tests/fuzz/crashes/<target>/, then fuzzes each target for FUZZ_SECONDS from its seed corpus.
# Fails on any crash, leak, timeout, out-of-memory or sanitizer report, and prints how many
# inputs each target ran. A failing input is saved under build/fuzz/run/artifacts/<target>/.
#
#   FUZZ_SECONDS=20            fuzzing time per target
#   FUZZ_TARGETS="jwt config"  a subset (default: every target)
#   FUZZ_JOBS=2                targets fuzzed at once (default: the number of cores)
set -euo pipefail
cd "$(dirname "$0")/../.."

all_targets=(multipart byte_range jwt config audio_probe image_probe api_request ws_command ws_frame)
read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"
seconds="${FUZZ_SECONDS:-20}"
jobs="${FUZZ_JOBS:-$(nproc)}"
bin=build/fuzz/tests/fuzz
run=build/fuzz/run

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${JOBS:-$(nproc)}"

rm -rf "$run"
mkdir -p "$run"
# Scratch files (request bodies, uploads, the SQLite database) go to memory when possible.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
# A smaller quarantine than ASan's 256 MB halves the cost of the allocation-heavy targets.
export ASAN_OPTIONS="quarantine_size_mb=64:detect_leaks=1:abort_on_error=0:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
if [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer; fi

# Per-target options: longest input and extra seed directories.
max_len() {
  case "$1" in
    audio_probe) echo 65536 ;;
    image_probe) echo 16384 ;;
    api_request) echo 8192 ;;
    *) echo 4096 ;;
  esac
}
extra_seeds() {
  case "$1" in
    audio_probe | image_probe) echo tests/fixtures ;;
  esac
}

declare -A failed=()  # target -> why

# 1. Reproducers of fixed bugs: each must now run clean.
for t in "${targets[@]}"; do
  dir="tests/fuzz/crashes/$t"
  [ -d "$dir" ] || continue
  mapfile -t inputs < <(find "$dir" -type f ! -name '*.md' | sort)
  [ "${#inputs[@]}" -gt 0 ] || continue
  if "$bin/fuzz_$t" -runs=1 "${inputs[@]}" >"$run/$t.replay.log" 2>&1; then
    echo "fuzz: $t: ${#inputs[@]} reproducer(s) replayed, no failure"
  else
    echo "fuzz: $t: a reproducer fails again" >&2
    tail -n 40 "$run/$t.replay.log" >&2
    failed[$t]="a reproducer fails again"
  fi
done

# 2. Fuzzing, several targets at once.
fuzz_one() {
  local t="$1"
  mkdir -p "$run/corpus/$t" "$run/artifacts/$t"
  # shellcheck disable=SC2046
  "$bin/fuzz_$t" "$run/corpus/$t" "tests/fuzz/corpus/$t" $(extra_seeds "$t") \
    -dict="tests/fuzz/dict/$t.dict" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$run/artifacts/$t/" \
    >"$run/$t.log" 2>&1
}
declare -A pid_of=()
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  pid_of[$t]=$!
  running=$((running + 1))
done

total=0
printf '%-12s %12s %8s %6s %7s\n' target executions exec/s cov corpus
for t in "${targets[@]}"; do
  status=0
  wait "${pid_of[$t]}" || status=$?
  log="$run/$t.log"
  execs="$(sed -n 's/^stat::number_of_executed_units: \([0-9]*\)/\1/p' "$log" | tail -n 1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: \([0-9]*\)/\1/p' "$log" | tail -n 1)"
  cov="$(sed -n 's/.*DONE *cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)"
  corp="$(sed -n 's/.*DONE .*corp: \([0-9]*\)\/.*/\1/p' "$log" | tail -n 1)"
  printf '%-12s %12s %8s %6s %7s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${corp:-?}"
  total=$((total + ${execs:-0}))
  # Any sanitizer report fails the target, even one that did not end the process.
  if [ "$status" -ne 0 ] || grep -qE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: ' "$log"; then
    failed[$t]="${failed[$t]:-fuzzing found a failure}"
    {
      echo "fuzz: $t failed (exit $status); the end of $log:"
      grep -vE '^#[0-9]+|NEW_FUNC' "$log" | tail -n 60
      echo "fuzz: the input is in $run/artifacts/$t/; once fixed, keep it in tests/fuzz/crashes/$t/"
    } >&2
  fi
done
printf '%-12s %12s\n' total "$total"
echo "fuzz: ${#targets[@]} targets ran ${total} inputs in ${seconds} s each"
echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
for t in "${!failed[@]}"; do echo "fuzz: $t: ${failed[$t]}" >&2; done
[ "${#failed[@]}" -eq 0 ]
