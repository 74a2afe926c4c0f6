#!/usr/bin/env bash
# Creates .env for the compose stacks from a template, never overwriting an existing file.
#   scripts/setup-env.sh                  .env.example    -> .env (development values)
#   scripts/setup-env.sh production       .env.production -> .env, every CHANGE_ME value
#                                         replaced by a fresh random secret (openssl rand -hex)
# OUT=path writes elsewhere (the container test uses it). Exits 1 if the target exists.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
kind="${1:-development}"
out="${OUT:-$root/.env}"
case "$kind" in
  development) template="$root/.env.example" ;;
  production) template="$root/.env.production" ;;
  *) echo "usage: $0 [development|production]" >&2; exit 2 ;;
esac
if [ -e "$out" ]; then
  echo "setup-env: $out exists; remove it first to start from $(basename "$template")" >&2
  exit 1
fi
if [ "$kind" = development ]; then
  cp "$template" "$out"
  echo "setup-env: wrote $out from $(basename "$template")"
  exit 0
fi
command -v openssl >/dev/null || { echo "setup-env: openssl is needed to generate secrets" >&2; exit 1; }
tmp="$out.tmp.$$"
n=0
while IFS= read -r line || [ -n "$line" ]; do
  if [[ "$line" =~ ^([A-Z_]+)=CHANGE_ME ]]; then
    printf '%s=%s\n' "${BASH_REMATCH[1]}" "$(openssl rand -hex 32)"
    n=$((n + 1))
  else
    printf '%s\n' "$line"
  fi
done <"$template" >"$tmp"
chmod 600 "$tmp"
mv "$tmp" "$out"
echo "setup-env: wrote $out from $(basename "$template") with $n generated secret(s); review APP_URL and CORS_ORIGINS"
