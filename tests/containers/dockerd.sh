#!/usr/bin/env bash
# A private Docker engine for the container tests: Debian's dockerd with its own data root,
# exec root, socket and bridge (spotik0, 10.213.255.1/24), so it never touches another
# engine on the machine. The data root is kept between runs (images and build cache).
#   tests/containers/dockerd.sh start   start it unless it already answers; prints DOCKER_HOST
#   tests/containers/dockerd.sh stop    stop the engine this script started (by its pid file)
#                                       and remove its bridge
# SPOTIK_DOCKER_ROOT (default /var/lib/spotik-test/docker) and SPOTIK_DOCKER_RUN
# (default /run/spotik-test) move it. Needs root and the `containers` set of install-deps.sh.
set -euo pipefail

root_dir="${SPOTIK_DOCKER_ROOT:-/var/lib/spotik-test/docker}"
run_dir="${SPOTIK_DOCKER_RUN:-/run/spotik-test}"
sock="$run_dir/docker.sock"
pidfile="$run_dir/dockerd.pid"
bridge=spotik0
host="unix://$sock"

answers() { DOCKER_HOST="$host" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start() {
  mkdir -p "$root_dir" "$run_dir"
  if answers; then echo "$host"; return 0; fi
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add 10.213.255.1/24 dev "$bridge"
  fi
  ip link set "$bridge" up
  # The uplink's MTU (1400 here) for the bridge, so apt-get in image builds does not stall.
  local mtu
  mtu="$(ip -o link show "$(ip route show default | awk '{print $5; exit}')" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')"
  dockerd --data-root "$root_dir" --exec-root "$run_dir/exec" --pidfile "$pidfile" \
    -H "$host" --bridge "$bridge" --mtu "${mtu:-1500}" \
    --default-address-pool base=10.214.0.0/16,size=24 \
    --log-level warn >"$run_dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 120); do
    if answers; then echo "$host"; return 0; fi
    sleep 0.5
  done
  echo "dockerd.sh: the engine did not answer on $sock within 60 s; its log:" >&2
  tail -n 30 "$run_dir/dockerd.log" >&2
  return 1
}

stop() {
  [ -f "$pidfile" ] || return 0
  local pid
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$pidfile"
  if ip link show "$bridge" >/dev/null 2>&1; then ip link del "$bridge" || true; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
