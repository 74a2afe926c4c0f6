#!/usr/bin/env bash
# `make test-tsan`: runs the concurrency-heavy tests of the ThreadSanitizer build (build/tsan,
# built by the make target) — the hub's fan-out, votes, uploads, WebSocket sessions and their
# resilience, the Redis bus between replicas and the cluster session tests; votes, concurrent
# uploads and the session flow once more on PostgreSQL. The servers those tests start are the
# TSan binary of the same build tree, so races in the server are caught as well as in the tests.
#
# Every instrumented process writes its reports to build/tsan/tsan-reports/ rather than to
# stderr: a server's stderr goes to a log the harness deletes when the test passes, so a race
# inside a server would otherwise go unseen. The run fails if any report was written.
#
# GCC 12's TSan maps its shadow memory at fixed addresses and aborts with "unexpected memory
# mapping" when the kernel randomises mmap with more bits than it expects (vm.mmap_rnd_bits=32,
# the default on some newer kernels; 28 works). Running under `setarch -R` turns address
# randomisation off for ctest and every process it starts, which avoids that on any kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/tsan

# The tests are those of spotik_tsan_tests (tests/CMakeLists.txt). TSAN_TESTS=<regex> runs
# other tests of the build tree instead; extra arguments go to ctest.
tests="${TSAN_TESTS:-^tsan\.}"

reports="$PWD/$build/tsan-reports"
rm -rf "$reports"
mkdir -p "$reports"
export TSAN_OPTIONS="log_path=$reports/report suppressions=$PWD/tests/tsan.supp second_deadlock_stack=1 history_size=4 ${TSAN_OPTIONS:-}"

no_aslr=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
  no_aslr=(setarch "$(uname -m)" -R)
else
  # (Docker's default seccomp profile refuses this personality flag, for instance.)
  echo "test-tsan: setarch -R is not permitted here; running with address randomisation" \
    "(vm.mmap_rnd_bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo '?')). If TSan aborts with" \
    "'unexpected memory mapping', lower it on the host: sysctl vm.mmap_rnd_bits=28" >&2
fi

status=0
"${no_aslr[@]}" ctest --preset tsan -R "$tests" "$@" || status=$?

# (A report file without a finding holds only what a verbosity option asked for.)
mapfile -t found < <(grep -l 'ThreadSanitizer:' "$reports"/report.* 2>/dev/null || true)
if [ ${#found[@]} -gt 0 ]; then
  echo "test-tsan: ThreadSanitizer reported in ${#found[@]} process(es):" >&2
  for report in "${found[@]}"; do
    echo "---- $report" >&2
    cat "$report" >&2
  done
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
