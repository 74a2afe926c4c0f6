#!/usr/bin/env bash
# Development container loop: builds the mounted source ($SPOTIK_SOURCE) into $SPOTIK_BUILD
# (a volume, ccache in $CCACHE_DIR), runs the server, and on every saved change under src/,
# migrations/ or CMakeLists.txt rebuilds and restarts it (a failed build keeps the old server
# running and prints the errors). gdbserver --multi listens on :9229: attach from gdb with
#   target extended-remote localhost:9229   then   attach <pid of spotik>
set -uo pipefail

src="${SPOTIK_SOURCE:-/app}"
build="${SPOTIK_BUILD:-/build}/debug"
server_pid=""

log() { echo "dev-loop: $*" >&2; }

compile() {
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSPOTIK_TESTS=OFF \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null || return 1
  fi
  local started=$SECONDS
  cmake --build "$build" --target spotik || return 1
  log "built in $((SECONDS - started)) s"
}

start_server() {
  "$build/spotik" serve &
  server_pid=$!
  log "server started (pid $server_pid)"
}

stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
}

trap 'stop_server; kill "$gdb_pid" 2>/dev/null; exit 0' TERM INT

gdbserver --multi 0.0.0.0:9229 >/dev/null 2>&1 &
gdb_pid=$!

until compile; do
  log "build failed; waiting for a change"
  inotifywait -qq -r -e close_write,create,delete,move "$src/src" "$src/migrations" "$src/CMakeLists.txt"
done
start_server
while true; do
  inotifywait -qq -r -e close_write,create,delete,move "$src/src" "$src/migrations" "$src/CMakeLists.txt"
  sleep 0.3  # editors write in several steps
  if compile; then
    stop_server
    start_server
  else
    log "build failed; the previous server keeps running"
  fi
done
