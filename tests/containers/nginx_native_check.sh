#!/usr/bin/env bash
# Runs docker/nginx/nginx.conf with Debian's nginx (no Docker) in front of Spotik replicas
# started from the release binary, following the launch contract in the file's header:
#   1. plain HTTP, include files written by the container's entrypoint script: static web
#      client, headers, gzip, the full API flow with a WebSocket session and uploads through
#      the proxy, JSON 413, rate limits (on /api/, not on /api/time or streams);
#   2. an upstream{} of two replicas written by hand (as a native test does), reloaded:
#      requests reach both; one replica killed, requests keep succeeding;
#   3. TLS with a self-signed pair: TLS 1.2 and 1.3 only, HSTS, HTTP redirected to HTTPS,
#      WebSocket over wss.
# Usage: tests/containers/nginx_native_check.sh   (SPOTIK_BIN overrides build/release/spotik)
# Exits non-zero with "FAILED nginx: <step>: <what>" on the first problem.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${SPOTIK_BIN:-$root/build/release/spotik}"
client=(python3 "$root/tests/containers/spotik_client.py")
tmp="$(mktemp -d /tmp/spotik-nginx.XXXXXX)"
chmod 755 "$tmp"  # the nginx workers (www-data) read the web root below it
prefix="$tmp/prefix"
pids=()
nginx_pid=""
current="setup"

cleanup() {
  local p
  for p in "${pids[@]}" $nginx_pid; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}" $nginx_pid; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

step() { current="$1"; echo "== nginx: $1"; }
die() {
  echo "FAILED nginx: $current: $*" >&2
  if [ -s "$tmp/nginx.err" ]; then echo "--- nginx stderr (last lines)" >&2; tail -n 20 "$tmp/nginx.err" >&2; fi
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

[ -x "$bin" ] || die "no Spotik binary at $bin (make build-release, or set SPOTIK_BIN)"
command -v nginx >/dev/null || die "nginx is not installed (scripts/install-deps.sh containers)"

declare -A ports
# start_replica NAME: one server on a free port sharing one data folder; sets ports[NAME].
start_replica() {
  local name="$1" port=""
  (cd "$tmp" && exec env APP_ENV=development DATA_PATH="$tmp/data" JWT_SECRET="$(printf 'n%.0s' {1..40})" \
     BCRYPT_COST=4 SERVER_HOST=127.0.0.1 SERVER_PORT=0 LOG_FORMAT=json "$bin" serve \
     >"$tmp/$name.log" 2>"$tmp/$name.err") &
  pids+=($!)
  for _ in $(seq 1 100); do
    port="$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$tmp/$name.err" | head -n 1)"
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || die "replica $name did not start: $(tail -n 5 "$tmp/$name.err")"
  ports[$name]="$port"
}

start_nginx() {
  nginx -t -p "$prefix/" -c "$prefix/nginx.conf" -e stderr >"$tmp/nginx-t.out" 2>&1 ||
    die "nginx -t rejected the configuration: $(cat "$tmp/nginx-t.out")"
  nginx -p "$prefix/" -c "$prefix/nginx.conf" -e stderr -g 'daemon off;' >"$tmp/nginx.out" 2>"$tmp/nginx.err" &
  nginx_pid=$!
  for _ in $(seq 1 50); do
    curl -sfk -o /dev/null "$1/nginx-health" && return 0
    sleep 0.1
  done
  die "nginx did not answer /nginx-health at $1"
}

stop_nginx() {
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
}

# Header names of one response, lower-cased (curl -D).
header_count() { grep -ci "^$2:" "$1" || true; }

step "start two replicas"
mkdir -p "$prefix" "$tmp/web/assets"
start_replica a
start_replica b
cp "$root/docker/nginx/nginx.conf" "$prefix/nginx.conf"
echo '<!doctype html><title>Spotik web client</title>' >"$tmp/web/index.html"
echo 'console.log("spotik")' >"$tmp/web/assets/app-1234.js"

step "plain HTTP with the entrypoint's include files"
http_port="$(free_port)"
SPOTIK_NGINX_CONF_DIR="$prefix/spotik.d" SPOTIK_BACKEND="127.0.0.1:${ports[a]}" NGINX_RESOLVER=127.0.0.1 \
  SPOTIK_WEB_ROOT="$tmp/web" NGINX_SSL_DIR="$tmp/no-ssl" NGINX_HTTP_PORT="127.0.0.1:$http_port" \
  sh "$root/docker/nginx/docker-entrypoint.d/40-spotik-config.sh" >/dev/null || die "entrypoint script failed"
base="http://127.0.0.1:$http_port"
start_nginx "$base"

step "static web client at /"
curl -sf "$base/" | grep -q 'Spotik web client' || die "GET / did not serve index.html"
curl -sf "$base/rooms/some-room" | grep -q 'Spotik web client' || die "an app route did not fall back to index.html"
curl -sfD "$tmp/h" -o /dev/null "$base/assets/app-1234.js" || die "GET /assets/app-1234.js failed"
grep -qi '^cache-control: max-age=315360000' "$tmp/h" || die "hashed assets are not cached for long: $(grep -i cache-control "$tmp/h")"
grep -qi '^content-type: application/javascript' "$tmp/h" || die "wrong type for .js: $(grep -i content-type "$tmp/h")"

step "headers, gzip and proxying of /api"
curl -sf -H 'Accept-Encoding: gzip' -D "$tmp/h" -o "$tmp/api.gz" "$base/api" || die "GET /api through nginx failed"
grep -qi '^content-encoding: gzip' "$tmp/h" || die "JSON from /api is not gzip-compressed"
gunzip -c "$tmp/api.gz" | python3 -c 'import json,sys; json.load(sys.stdin)' || die "/api body is not JSON"
for h in x-frame-options x-content-type-options content-security-policy referrer-policy; do
  [ "$(header_count "$tmp/h" "$h")" = 1 ] || die "header $h appears $(header_count "$tmp/h" "$h") times (want 1)"
done
tr -d '\r' <"$tmp/h" | grep -qi '^server: nginx$' || die "server_tokens is not off: $(grep -i '^server:' "$tmp/h")"
if grep -qi '^strict-transport-security' "$tmp/h"; then die "HSTS sent over plain HTTP"; fi
"${client[@]}" expect-status "$base/health" 200 >/dev/null || die "/health not proxied"
"${client[@]}" expect-status "$base/api/no-such-route" 404 >/dev/null || die "backend 404 not passed through"

step "register, room, uploads, vote, play, stream and a WebSocket session through nginx"
"${client[@]}" flow "$base" "$root/tests/fixtures/tone-5s.wav" "$root/tests/fixtures/tone-3s-cbr.mp3" "$tmp/state.json" ||
  die "the API flow through nginx failed (see above)"
"${client[@]}" upload-size "$base" "$tmp/state.json" 40 || die "a 40 MiB upload did not reach the backend"
"${client[@]}" oversize "$base" "$tmp/state.json" || die "oversized upload"
token="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["alice"]["token"])' "$tmp/state.json")"
curl -sfD "$tmp/h" -o /dev/null -H "Authorization: Bearer $token" "$base/api/auth/me" || die "GET /api/auth/me failed"
grep -qi '^cache-control: private, no-store' "$tmp/h" || die "authenticated response may be cached: $(grep -i cache-control "$tmp/h")"

step "rate limits: /api/ yes; /api/time and streams no"
track="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tracks"][0])' "$tmp/state.json")"
"${client[@]}" burst "$base" "/api/time" 150 no || die "/api/time is rate-limited"
"${client[@]}" burst "$base" "/api/tracks/$track/stream?token=$token" 150 no || die "streams are rate-limited"
"${client[@]}" burst "$base" "/api/rooms" 150 yes || die "/api/ is not rate-limited"
grep -q '"status":429' "$tmp/nginx.out" || die "429s are missing from the JSON access log"
if grep -q 'token=' "$tmp/nginx.out"; then die "the access log contains a token"; fi
sleep 3  # let the per-address bucket refill before the next phase

step "upstream{} of two replicas, reloaded; traffic reaches both"
cat >"$prefix/spotik.d/site.conf" <<CONF
upstream spotik_replicas { server 127.0.0.1:${ports[a]} max_fails=1 fail_timeout=5s; server 127.0.0.1:${ports[b]} max_fails=1 fail_timeout=5s; keepalive 8; }
map \$host \$spotik_backend { default spotik_replicas; }
map \$host \$spotik_web_root { default $tmp/no-web; }
CONF
nginx -p "$prefix/" -c "$prefix/nginx.conf" -e stderr -s reload 2>/dev/null || die "nginx -s reload failed"
sleep 1
"${client[@]}" spread "$base" 40 spread-native || die "requests through two replicas failed"
for r in a b; do
  n="$(grep -c '"request_id":"spread-native-' "$tmp/$r.log" || true)"
  [ "$n" -gt 0 ] || die "replica $r received none of the 40 requests"
  echo "   replica $r served $n"
done
"${client[@]}" expect-status "$base/" 404 >/dev/null || die "without a web client, / should reach the backend (JSON 404)"

step "one replica killed: requests keep succeeding"
kill -9 "${pids[1]}"
wait "${pids[1]}" 2>/dev/null || true
"${client[@]}" steady "$base" 4 "$tmp/state.json" || die "requests failed after a replica died"
stop_nginx

step "TLS 1.2/1.3 with a self-signed pair, HTTP redirected to HTTPS"
SSL_DIR="$tmp/ssl" "$root/scripts/make-self-signed-cert.sh" >/dev/null || die "make-self-signed-cert.sh failed"
https_port="$(free_port)"
SPOTIK_NGINX_CONF_DIR="$prefix/spotik.d" SPOTIK_BACKEND="127.0.0.1:${ports[a]}" NGINX_RESOLVER=127.0.0.1 \
  SPOTIK_WEB_ROOT="$tmp/web" NGINX_SSL_DIR="$tmp/ssl" NGINX_HTTP_PORT="127.0.0.1:$http_port" \
  NGINX_HTTPS_PORT="127.0.0.1:$https_port" PUBLIC_HTTPS_PORT="$https_port" \
  sh "$root/docker/nginx/docker-entrypoint.d/40-spotik-config.sh" >/dev/null || die "entrypoint script failed (TLS)"
sbase="https://127.0.0.1:$https_port"
start_nginx "$base"
curl -sk -o /dev/null -D "$tmp/h" "$base/api/time"
grep -q '^HTTP/1.1 301' "$tmp/h" || die "HTTP was not redirected: $(head -n 1 "$tmp/h")"
grep -qi "^location: https://127.0.0.1:$https_port/api/time" "$tmp/h" || die "wrong redirect: $(grep -i location "$tmp/h")"
curl -sfk --tlsv1.3 -D "$tmp/h" -o /dev/null "$sbase/api/time" || die "TLS 1.3 handshake failed"
grep -qi '^strict-transport-security: max-age' "$tmp/h" || die "no HSTS over HTTPS"
curl -sfk --tlsv1.2 --tls-max 1.2 -o /dev/null "$sbase/api/time" || die "TLS 1.2 handshake failed"
if curl -sk --tlsv1.1 --tls-max 1.1 -o /dev/null "$sbase/api/time" 2>/dev/null; then die "TLS 1.1 was accepted"; fi
"${client[@]}" flow "$sbase" "$root/tests/fixtures/tone-5s.wav" "$root/tests/fixtures/tone-3s-cbr.mp3" "$tmp/state2.json" ||
  die "the API flow over HTTPS/wss failed"
stop_nginx
echo "nginx: all checks passed"
