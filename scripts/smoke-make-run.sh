#!/usr/bin/env bash
# Acceptance check of the README's first set-up command: clones the repository into a
# temporary folder, runs `make run` there (on a free loopback port), and waits for
# GET /health to answer 200. Stops the server afterwards and removes the clone.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/spotik-smoke-XXXXXX)"
# A free loopback port: nothing answers a connection attempt on it.
port=""
for _ in $(seq 1 50); do
  candidate="$(shuf -i 30000-60999 -n 1)"
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port="$candidate"; break; fi
done
[ -n "$port" ] || { echo "smoke: no free port" >&2; exit 1; }
pid=""

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

git clone -q "$repo" "$work/spotik"
cd "$work/spotik"
echo "smoke: make run in a fresh clone (port $port)"
setsid env SERVER_HOST=127.0.0.1 SERVER_PORT="$port" make run >"$work/run.log" 2>&1 &
pid=$!

deadline=$((SECONDS + 1800))
while [ "$SECONDS" -lt "$deadline" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "smoke: make run exited early" >&2
    tail -n 40 "$work/run.log" >&2
    exit 1
  fi
  status="$(curl -s -o "$work/health.json" -w '%{http_code}' "http://127.0.0.1:$port/health" || true)"
  if [ "$status" = "200" ]; then
    echo "smoke: GET /health -> 200 $(head -c 120 "$work/health.json")"
    grep -q "listening on http://127.0.0.1:$port" "$work/run.log" || { echo "smoke: no URL printed" >&2; exit 1; }
    test -f var/spotik.db || { echo "smoke: no SQLite file under ./var" >&2; exit 1; }
    echo "smoke: PASS"
    exit 0
  fi
  sleep 2
done
echo "smoke: /health never answered 200" >&2
tail -n 40 "$work/run.log" >&2
exit 1
