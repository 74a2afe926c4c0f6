#!/usr/bin/env bash
# Health of a Spotik compose stack (make health): every container of the project must be
# running, and healthy where it has a health check; then GET /health must answer 200 with
# status healthy or degraded (through nginx for STACK=prod, on :3000 for STACK=dev).
# Environment: SPOTIK_COMPOSE (the compose command, as the Makefile builds it), STACK
# (prod|dev), HEALTH_URL (overrides the URL; default from HTTP_PORT in .env), HEALTH_TIMEOUT.
# Exits 1 listing what is unhealthy.
set -euo pipefail

read -r -a compose <<<"${SPOTIK_COMPOSE:?SPOTIK_COMPOSE must name the compose command}"
stack="${STACK:-prod}"
problems=0

env_value() {  # the value of $1 in .env, if any
  [ -f .env ] && sed -n "s/^$1=\(.*\)$/\1/p" .env | tail -n 1
}

ids="$("${compose[@]}" ps -q)"
if [ -z "$ids" ]; then
  echo "health: no container of this stack is running" >&2
  exit 1
fi
for id in $ids; do
  read -r name state health < <(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
  printf '  %-45s %-10s %s\n' "${name#/}" "$state" "$health"
  if [ "$state" != running ] || { [ "$health" != healthy ] && [ "$health" != none ]; }; then
    problems=$((problems + 1))
  fi
done

if [ "$stack" = dev ]; then
  url="${HEALTH_URL:-http://127.0.0.1:3000/health}"
else
  url="${HEALTH_URL:-http://127.0.0.1:$(env_value HTTP_PORT | grep . || echo 80)/health}"
fi
if body="$(curl -fsSkL --max-time "${HEALTH_TIMEOUT:-10}" "$url")"; then
  status="$(printf '%s' "$body" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' | head -n 1)"
  echo "  GET $url -> $status"
  case "$status" in healthy | degraded) ;; *) problems=$((problems + 1)) ;; esac
else
  echo "  GET $url failed" >&2
  problems=$((problems + 1))
fi
if [ "$problems" -gt 0 ]; then
  echo "health: $problems problem(s)" >&2
  exit 1
fi
echo "health: all healthy"
