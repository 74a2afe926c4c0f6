# shellcheck shell=bash
# Helpers every benchmark script shares (lib.sh for the HTTP benchmarks, ws/ws_bench.sh); sourced,
# never run. The script sets, before sourcing:
#   bench_name   the prefix of its notes and errors ("bench", "ws-bench")
# and may set, before calling free_port, the loopback port range it draws from:
#   free_port_lo, free_port_span   (default: 20000 and 40000)
# Every request a benchmark makes goes to 127.0.0.1; it is deliberately not configurable.
readonly HOST=127.0.0.1

say() { printf '%s\n' "$*"; }
note() { printf '%s: %s\n' "${bench_name:-bench}" "$*" >&2; }
die() {
  printf '%s: ERROR: %s\n' "${bench_name:-bench}" "$*" >&2
  exit 1
}

# Numeric comparisons of decimals: ge A B is true when A >= B.
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# shellcheck disable=SC2317 # called from EXIT traps
stop_process() { # pid, name, signal, seconds to wait before SIGKILL
  local pid="$1" name="$2" sig="$3" wait_s="$4" i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || {
    wait "$pid" 2>/dev/null || true # reaps a process that already ended
    return 0
  }
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

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
free_port() {
  local p i lo="${free_port_lo:-20000}" span="${free_port_span:-40000}"
  for ((i = 0; i < 200; i++)); do
    p=$((lo + (RANDOM * 32768 + RANDOM) % span))
    if ! port_in_use "$p"; then
      printf '%s' "$p"
      return 0
    fi
  done
  die "no free loopback port found"
}
