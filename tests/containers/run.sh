#!/usr/bin/env bash
# The container test (make test-containers): lints, builds both image targets in a private
# Docker engine, brings the production stack up from the project's compose files and its
# .env.production template, and checks it end to end through nginx (see README, "Container
# test"). Each step prints "== containers: <step>" and, on failure, "FAILED containers:
# <step>: <what broke>" plus the state and logs of the stack, and exits 1.
# Needs root and `scripts/install-deps.sh containers`. Environment:
#   SPOTIK_TEST_CACHE (/var/cache/spotik-test)  debootstrap tarball cache
#   SPOTIK_DOCKER_ROOT (/var/lib/spotik-test/docker)  the private engine's data root (kept)
#   KEEP_STACK=1  leave the stack running at the end (for debugging)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
here="$root/tests/containers"
# Debian's docker CLI matches Debian's engine (a newer CLI elsewhere on PATH may insist on BuildKit).
export PATH="/usr/bin:/usr/sbin:$PATH"
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
project=spotiktest
work="$(mktemp -d /tmp/spotik-containers.XXXXXX)"
chmod 755 "$work"
client=(python3 "$here/spotik_client.py")
current="start"
started_engine=0
t_start=$SECONDS
t_step=$SECONDS
timings=()

compose_files=(-f docker-compose.yml -f docker-compose.prod.yml)
compose() { docker-compose --env-file "$work/env" -p "$project" "${compose_files[@]}" "$@"; }

step() {
  [ "$current" = start ] || timings+=("$(printf '%4ds  %s' $((SECONDS - t_step)) "$current")")
  current="$1"
  t_step=$SECONDS
  echo "== containers: $1"
}

diagnostics() {
  [ -f "$work/env" ] && [ -n "${DOCKER_HOST:-}" ] || return 0
  echo "--- stack state" >&2
  compose ps >&2 2>&1 || true
  local c
  for c in $(compose ps -q 2>/dev/null); do
    echo "--- last log lines of $(docker inspect -f '{{.Name}}' "$c")" >&2
    docker logs --tail 15 "$c" >&2 2>&1 || true
  done
}

die() {
  echo "FAILED containers: $current: $*" >&2
  diagnostics
  exit 1
}

cleanup() {
  local rc=$?
  if [ -f "$work/env" ] && [ -n "${DOCKER_HOST:-}" ] && [ "${KEEP_STACK:-0}" != 1 ] && docker info >/dev/null 2>&1; then
    compose down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  if [ "$started_engine" = 1 ] && [ "${KEEP_STACK:-0}" != 1 ]; then "$here/dockerd.sh" stop || true; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_healthy SERVICE... : every container of these services running and healthy (3 min).
wait_healthy() {
  local deadline=$((SECONDS + 180)) bad c state
  while true; do
    bad=""
    for svc in "$@"; do
      local ids
      ids="$(compose ps -q "$svc")"
      [ -n "$ids" ] || bad+=" $svc(no container)"
      for c in $ids; do
        state="$(docker inspect -f '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$c")"
        case "$state" in running/healthy | running/none) ;; *) bad+=" $(docker inspect -f '{{.Name}}' "$c")=$state" ;; esac
      done
    done
    [ -z "$bad" ] && return 0
    [ $SECONDS -lt $deadline ] || die "not healthy within 3 minutes:$bad"
    sleep 2
  done
}

backend_ids() { compose ps -q backend | sort; }

# ------------------------------------------------------------------ static checks
step "shellcheck on every shell script"
mapfile -t scripts < <(git ls-files '*.sh'; echo .ci/run; ls docker/nginx/docker-entrypoint.d/*.sh \
  tests/containers/*.sh tests/containers/standins/*/*.sh scripts/*.sh docker/*.sh docker/dev/*.sh)
mapfile -t scripts < <(printf '%s\n' "${scripts[@]}" | sort -u)
shellcheck "${scripts[@]}" || die "shellcheck found problems (above)"
echo "   ${#scripts[@]} scripts clean"

step "yamllint on the compose files"
yamllint -c .yamllint.yml docker-compose.yml docker-compose.override.yml docker-compose.prod.yml .yamllint.yml ||
  die "yamllint found problems (above)"

step "Fluent Bit configuration (static: its image cannot be built here)"
python3 "$here/check_fluent_bit.py" docker/fluent-bit || die "docker/fluent-bit is inconsistent"

step "every compose file combination passes docker-compose config"
OUT="$work/env" scripts/setup-env.sh production >/dev/null || die "scripts/setup-env.sh production failed"
grep -q '^[A-Z_]*=CHANGE_ME' "$work/env" && die "setup-env left a CHANGE_ME placeholder in the production .env"
cp .env.example "$work/env.dev"
for combo in "base:-f docker-compose.yml" "development:-f docker-compose.yml -f docker-compose.override.yml" \
             "production:-f docker-compose.yml -f docker-compose.prod.yml"; do
  name="${combo%%:*}"
  read -r -a files <<<"${combo#*:}"
  envf="$work/env"; [ "$name" = production ] || envf="$work/env.dev"
  docker-compose --env-file "$envf" "${files[@]}" config -q || die "compose config rejects the $name files"
  docker-compose --env-file "$envf" "${files[@]}" --profile tools config -q || die "compose config rejects $name with --profile tools"
done
docker-compose --env-file .env.production -f docker-compose.yml -f docker-compose.prod.yml config -q ||
  die "compose config rejects the production files with the unmodified .env.production"
if docker-compose --env-file "$work/env.dev" -f docker-compose.yml -f docker-compose.prod.yml config -q 2>"$work/cfg.err"; then
  die "the production files accepted an .env without JWT_SECRET, DB_PASSWORD and REDIS_PASSWORD"
fi
grep -q 'set JWT_SECRET' "$work/cfg.err" || die "missing secrets are not reported clearly: $(cat "$work/cfg.err")"
tools="$(docker-compose --env-file "$work/env.dev" --profile tools config --services | sort | tr '\n' ' ')"
for svc in pgadmin redis-commander dozzle; do
  [[ " $tools" == *" $svc "* ]] || die "the tools profile has no $svc service (services: $tools)"
done
echo "   config-only services (images not buildable here): fluent-bit pgadmin redis-commander dozzle"

# ------------------------------------------------------------------ engine and images
step "private Docker engine"
if ! DOCKER_HOST="unix://${SPOTIK_DOCKER_RUN:-/run/spotik-test}/docker.sock" docker info >/dev/null 2>&1; then
  started_engine=1
fi
DOCKER_HOST="$("$here/dockerd.sh" start)" || die "dockerd did not start"
export DOCKER_HOST

step "debian:bookworm-slim from debootstrap"
"$here/base_image.sh" || die "could not make debian:bookworm-slim"

step "stand-ins for the third-party images the compose files name"
mapfile -t images < <(docker-compose --env-file "$work/env" -f docker-compose.yml -f docker-compose.prod.yml config |
  sed -n 's/^ *image: //p' | sort -u)
for image in "${images[@]}"; do
  case "$image" in
    postgres:*) dir=postgres ;;
    redis:*) dir=redis ;;
    nginx:*) dir=nginx ;;
    spotik:* | spotik-backup:*) continue ;;
    *) echo "   $image: validated by config only"; continue ;;
  esac
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    docker build -q -t "$image" "$here/standins/$dir" >/dev/null || die "the stand-in for $image did not build"
  fi
  echo "   $image: stand-in from Debian packages"
done

step "docker build --target development"
docker build -q --target development -t spotik:dev . >"$work/build-dev.log" 2>&1 ||
  die "the development target did not build: $(tail -n 20 "$work/build-dev.log")"
docker run --rm --entrypoint sh spotik:dev -c 'command -v gdbserver && command -v inotifywait && command -v g++ && id -u' \
  >"$work/dev.out" || die "the development image lacks gdbserver, inotifywait or g++"
[ "$(tail -n 1 "$work/dev.out")" = 1000 ] || die "the development image does not run as uid 1000"

step "docker build --target production"
docker build -q --target production -t spotik:latest . >"$work/build-prod.log" 2>&1 ||
  die "the production target did not build: $(tail -n 30 "$work/build-prod.log")"
docker build -q -f docker/backup/Dockerfile -t spotik-backup:latest . >"$work/build-backup.log" 2>&1 ||
  die "the backup image did not build: $(tail -n 20 "$work/build-backup.log")"
size="$(docker image inspect -f '{{.Size}}' spotik:latest)"
echo "   spotik:latest is $((size / 1000000)) MB; spotik:dev is $(( $(docker image inspect -f '{{.Size}}' spotik:dev) / 1000000 )) MB"
[ "$size" -lt 150000000 ] || die "the production image is $((size / 1000000)) MB, over 150 MB"
[ "$(docker image inspect -f '{{.Config.User}}' spotik:latest)" = "1000:1000" ] || die "the production image does not run as 1000:1000"
docker image inspect -f '{{json .Config.Healthcheck.Test}}' spotik:latest | grep -q '"spotik","healthcheck"' ||
  die "the production image has no HEALTHCHECK calling spotik healthcheck"
docker run --rm spotik:latest --version | grep -q '^spotik ' || die "spotik --version failed in the image"
if docker run --rm --entrypoint sh spotik:latest -c 'command -v curl || command -v g++ || command -v cmake'; then
  die "the production image contains curl or build tools"
fi

step "the .env.production template's placeholders are refused"
if docker run --rm --env-file .env.production spotik:latest >"$work/refused.out" 2>&1; then
  die "the server started with the template's placeholder secrets"
fi
for var in JWT_SECRET DB_PASSWORD REDIS_PASSWORD; do
  grep -q "$var" "$work/refused.out" || die "the refusal does not name $var: $(cat "$work/refused.out")"
done
if grep -q CHANGE_ME "$work/refused.out"; then die "the refusal prints a secret's value"; fi

step "nginx config natively (Debian nginx, the image's binary as replicas)"
cid="$(docker create spotik:latest)"
docker cp "$cid:/usr/local/bin/spotik" "$work/spotik" >/dev/null
docker rm "$cid" >/dev/null
SPOTIK_BIN="$work/spotik" "$here/nginx_native_check.sh" >"$work/nginx-native.log" 2>&1 ||
  die "$(grep FAILED "$work/nginx-native.log" || tail -n 20 "$work/nginx-native.log")"
grep -c '^== nginx' "$work/nginx-native.log" | xargs printf '   %s native nginx steps passed\n'

# ------------------------------------------------------------------ production stack
step "production stack up from the compose files and the .env template"
http_port="$(free_port)"
https_port="$(free_port)"
mkdir -p "$work/ssl" "$work/web"
SSL_DIR="$work/ssl" scripts/make-self-signed-cert.sh >/dev/null || die "make-self-signed-cert.sh failed"
chmod 755 "$work/ssl"
# The steady check below makes ~150 requests in 8 s as one user: more than the default burst.
cat >>"$work/env" <<EOF
HTTP_BIND=127.0.0.1
HTTP_PORT=$http_port
HTTPS_PORT=$https_port
NGINX_SSL_DIR=$work/ssl
WEB_CLIENT_DIR=$work/web
BCRYPT_COST=4
RATE_LIMIT_BURST=1000
EOF
help="$(docker run --rm spotik:latest --help)" || die "spotik --help failed in the image"
for name in DATABASE_URL REDIS_URL; do
  grep -q "$name" <<<"$help" || die "the image's spotik does not know $name"
done
echo "   backend on PostgreSQL and the Redis event bus (from the compose files)"
compose up -d --no-build nginx backend postgres redis postgres-backup >"$work/up.log" 2>&1 ||
  die "compose up failed: $(tail -n 20 "$work/up.log")"
wait_healthy postgres redis backend nginx postgres-backup
base="https://127.0.0.1:$https_port"
echo "   all health checks pass; nginx on http://127.0.0.1:$http_port and $base"

step "nginx -t inside the nginx container"
compose exec -T nginx nginx -t -p /var/cache/nginx/ -c /etc/nginx/nginx.conf -e stderr >"$work/nginx-t.out" 2>&1 ||
  die "nginx -t failed in the container: $(cat "$work/nginx-t.out")"

step "HTTP redirects to HTTPS; make health"
curl -s -o /dev/null -D "$work/h" "http://127.0.0.1:$http_port/api/time" || die "nginx does not answer on the HTTP port"
grep -qi "^location: https://127.0.0.1:$https_port/api/time" "$work/h" || die "no redirect to HTTPS: $(head -n 3 "$work/h")"
make -s health SPOTIK_COMPOSE="docker-compose --env-file $work/env -p $project" HEALTH_URL="$base/health" ||
  die "make health reported a problem"

step "register, room, upload, vote, play, stream and a WebSocket session through nginx (wss)"
"${client[@]}" flow "$base" tests/fixtures/tone-5s.wav tests/fixtures/tone-3s-cbr.mp3 "$work/state.json" ||
  die "the API flow through nginx failed (above)"

step "scale the backend to 3 and show traffic reaching all three"
make_args=(SPOTIK_COMPOSE="docker-compose --env-file $work/env -p $project")
make -s prod-scale REPLICAS=3 "${make_args[@]}" >"$work/scale.log" 2>&1 || die "make prod-scale REPLICAS=3 failed: $(tail "$work/scale.log")"
wait_healthy backend
mapfile -t backends < <(backend_ids)
[ "${#backends[@]}" = 3 ] || die "expected 3 backend containers, found ${#backends[@]}"
sleep 6  # nginx re-resolves the service name every 5 s
"${client[@]}" spread "$base" 90 scale-check || die "requests through three replicas failed"
for c in "${backends[@]}"; do
  n="$(docker logs "$c" 2>&1 | grep -c '"request_id":"scale-check-' || true)"
  echo "   $(docker inspect -f '{{.Name}}' "$c") served $n of 90"
  [ "$n" -gt 0 ] || die "backend $(docker inspect -f '{{.Name}}' "$c") received no request"
done
"${client[@]}" flow "$base" tests/fixtures/tone-5s.wav tests/fixtures/tone-3s-cbr.mp3 "$work/state3.json" ||
  die "the API flow with WebSocket events across three replicas failed"

step "kill one backend container: the service continues"
docker kill "${backends[0]}" >/dev/null || die "docker kill failed"
"${client[@]}" steady "$base" 8 "$work/state.json" || die "requests failed after a backend was killed"

step "backup: a failing one is reported, a good one is verified, old ones are pruned"
# shellcheck disable=SC2016 # expanded by the container's shell
psql_in_postgres=(compose exec -T postgres sh -c 'psql -X -v ON_ERROR_STOP=1 -qAt -U "$POSTGRES_USER" -d "$POSTGRES_DB"')
"${psql_in_postgres[@]}" <<<"CREATE TABLE container_test_marker (v text); INSERT INTO container_test_marker VALUES ('before-backup');" ||
  die "could not write the marker row into PostgreSQL"
if compose exec -T -e PGDATABASE=no_such_database postgres-backup spotik-backup once >"$work/bad-backup.log" 2>&1; then
  die "a backup of a missing database exited 0"
fi
grep -q 'backup: FAILED' "$work/bad-backup.log" || die "a failed backup logs no FAILED line: $(cat "$work/bad-backup.log")"
if compose exec -T postgres-backup spotik-backup status >/dev/null 2>&1; then die "status does not report the failed backup"; fi
compose exec -T postgres-backup sh -c 'touch -d "10 days ago" /backups/spotik_20000101_000000.dump' || die "cannot plant an old backup"
make -s db-backup "${make_args[@]}" >"$work/backup.log" 2>&1 || die "make db-backup failed: $(cat "$work/backup.log")"
grep -q 'verified (restore)' "$work/backup.log" || die "the backup was not verified by a scratch restore: $(cat "$work/backup.log")"
grep -q 'retention (7 days): removed 1' "$work/backup.log" || die "the 10-day-old backup was not pruned: $(cat "$work/backup.log")"
compose exec -T postgres-backup spotik-backup status >/dev/null || die "status fails after a good backup"
compose exec -T postgres-backup spotik-backup list >"$work/list" || die "spotik-backup list failed"
dump="$(sed -n 's/.* \(spotik_[0-9_]*\.dump\)$/\1/p' "$work/list" | head -n 1)"
[ -n "$dump" ] || die "no dump in the backups volume: $(cat "$work/list")"
grep -q "${dump%.dump}.storage.tar.gz" "$work/list" || die "no storage archive beside $dump"
echo "   $dump and its storage archive"

step "wipe the database and the audio files"
compose stop >/dev/null 2>&1
compose rm -f >/dev/null 2>&1
docker volume rm "${project}_postgres_data" "${project}_storage" >/dev/null || die "could not remove the data volumes"
compose up -d --no-build --scale backend=2 nginx backend postgres redis postgres-backup >"$work/up2.log" 2>&1 ||
  die "compose up after the wipe failed: $(tail "$work/up2.log")"
wait_healthy postgres redis backend nginx postgres-backup
sleep 6
if "${client[@]}" verify "$base" "$work/state.json" >/dev/null 2>&1; then die "the data survived the wipe"; fi

step "make db-restore brings the data back"
make -s db-restore BACKUP_FILE="$dump" "${make_args[@]}" >"$work/restore.log" 2>&1 ||
  die "make db-restore failed: $(tail -n 20 "$work/restore.log")"
wait_healthy backend
sleep 6
"${client[@]}" verify "$base" "$work/state.json" || die "the restored stack lacks the data made before the backup"
marker="$("${psql_in_postgres[@]}" <<<"SELECT v FROM container_test_marker" 2>&1)"
[ "$(echo "$marker" | tr -d '\r')" = before-backup ] || die "the PostgreSQL marker row was not restored (got '$marker')"

step "containers run as non-root with no-new-privileges, read-only roots and limits"
for c in $(compose ps -q); do
  name="$(docker inspect -f '{{.Name}}' "$c")"
  read -r user ro sec mem cpu < <(docker inspect -f '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.SecurityOpt}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' "$c")
  if [ -z "$user" ] || [ "$user" = root ] || [ "$user" = 0 ]; then die "$name has no non-root user (User='$user')"; fi
  uid="$(docker exec "$c" id -u)"
  [ "$uid" != 0 ] || die "$name runs its processes as root"
  [ "$ro" = true ] || die "$name has a writable root filesystem"
  [[ "$sec" == *no-new-privileges:true* ]] || die "$name lacks no-new-privileges ($sec)"
  if [ "$mem" -le 0 ] || [ "$cpu" -le 0 ]; then die "$name has no memory or CPU limit (memory=$mem nanocpus=$cpu)"; fi
  if docker exec "$c" sh -c 'echo x >/ro-probe' 2>/dev/null; then die "$name could write to /"; fi
  echo "   $name: uid $uid, read-only, no-new-privileges, limits ${mem}B / $((cpu / 1000000)) mCPU"
done

step "logs: one JSON object per line from the backend and nginx"
# stdout is the log stream; stderr carries only the human "is listening" banner.
docker logs "$(backend_ids | head -n 1)" >"$work/backend.log" 2>/dev/null
docker logs "$(compose ps -q nginx)" 2>&1 | sed -n '/Configuration complete; ready for start up/,$p' | sed 1d >"$work/nginx.log"
python3 - "$work/backend.log" <<'PY' || die "backend log lines lack the required fields"
import json, sys
need = {"timestamp", "level", "message", "instance"}
n = req = 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    try:
        obj = json.loads(line)
    except ValueError:
        sys.exit(f"not a JSON object: {line[:200]}")
    missing = need - obj.keys()
    if missing:
        sys.exit(f"line without {missing}: {line[:200]}")
    if obj["message"] == "request":
        req += 1
        for k in ("request_id", "route", "status", "duration_ms"):
            if k not in obj:
                sys.exit(f"request line without {k}: {line[:200]}")
    n += 1
if req == 0:
    sys.exit("no request lines")
print(f"   backend: {n} JSON lines, {req} request lines with request_id, route, status, duration")
PY
python3 "$here/check_fluent_bit.py" docker/fluent-bit "$work/backend.log" "$work/nginx.log" ||
  die "backend or nginx lines do not fit the Fluent Bit parsers"

step "done"
printf '%s\n' "${timings[@]}"
echo "containers: all checks passed in $((SECONDS - t_start)) s"
