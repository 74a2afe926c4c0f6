#!/usr/bin/env bash
# Installs the Debian 12 packages Spotik needs, by name, and only those that are missing.
# Usage: scripts/install-deps.sh [build|test|bench|containers]
#   build < test < bench each include the previous set; containers = test + what
#   `make test-containers` needs (Docker engine, compose 1.29, debootstrap, linters, nginx).
# Runs as root (or through sudo when available). Idempotent: a second run installs nothing.
set -euo pipefail

set_name="${1:-build}"

build_pkgs=(
  g++ cmake ninja-build pkg-config make
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-context1.81-dev
  libssl-dev libsqlite3-dev libpq-dev libcrypt-dev libtag1-dev libspdlog-dev libfmt-dev libhiredis-dev
)
# postgresql-15: the server binaries (/usr/lib/postgresql/15/bin) the PostgreSQL tests start.
# redis-server and nginx-light: the cluster tests start their own on loopback (no service is used).
# clang-14, libclang-rt-14-dev and llvm-14: `make test-fuzz` (clang 14 is Debian 12's clang; it only
# recommends libclang-rt-14-dev, which holds libFuzzer and the sanitizer runtimes; llvm-14 brings
# llvm-symbolizer, which turns the addresses of a sanitizer report into file:line).
test_pkgs=(libgtest-dev libgmock-dev librapidcheck-dev gcovr curl git postgresql-15 redis-server nginx-light
  clang-14 libclang-rt-14-dev llvm-14)
bench_pkgs=(nginx-light wrk curl)
containers_pkgs=(docker.io docker-compose debootstrap shellcheck yamllint nginx openssl python3 curl)

case "$set_name" in
  build) wanted=("${build_pkgs[@]}") ;;
  test) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  containers) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}" "${containers_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|bench|containers]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not running as root" >&2; exit 1
  fi
fi

# The postgresql-15 package would create a system cluster on port 5432 (and start it where
# services may start). Nothing here uses it (the tests run their own clusters), so ask
# postgresql-common not to create one.
if printf '%s\n' "${missing[@]}" | grep -qx 'postgresql-15' &&
  [ ! -e /etc/postgresql-common/createcluster.d/spotik-no-main-cluster.conf ]; then
  $SUDO mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' | $SUDO tee /etc/postgresql-common/createcluster.d/spotik-no-main-cluster.conf >/dev/null
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
