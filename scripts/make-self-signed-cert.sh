#!/usr/bin/env bash
# Makes a self-signed certificate for local HTTPS: docker/nginx/ssl/fullchain.pem and
# privkey.pem (RSA 2048, valid 365 days, for localhost and the names given as arguments).
# Usage: scripts/make-self-signed-cert.sh [NAME...] ; SSL_DIR overrides the output folder.
# Refuses to overwrite an existing pair unless FORCE=1. Needs openssl.
set -euo pipefail

dir="${SSL_DIR:-$(cd "$(dirname "$0")/.." && pwd)/docker/nginx/ssl}"
mkdir -p "$dir"
if [ -e "$dir/fullchain.pem" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "make-self-signed-cert: $dir/fullchain.pem exists; FORCE=1 replaces it" >&2
  exit 1
fi
names=(localhost "$@")
san="IP:127.0.0.1"
for n in "${names[@]}"; do san+=",DNS:$n"; done
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -sha256 \
  -subj "/CN=${names[0]}" -addext "subjectAltName=$san" \
  -keyout "$dir/privkey.pem.tmp" -out "$dir/fullchain.pem.tmp" 2>/dev/null
# Readable by the nginx user of the container (the key never leaves this folder).
chmod 644 "$dir/fullchain.pem.tmp" "$dir/privkey.pem.tmp"
mv "$dir/privkey.pem.tmp" "$dir/privkey.pem"
mv "$dir/fullchain.pem.tmp" "$dir/fullchain.pem"
echo "make-self-signed-cert: wrote $dir/fullchain.pem and $dir/privkey.pem (${names[*]})"
