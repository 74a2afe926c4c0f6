#!/bin/sh
# As in the official image: /etc/nginx/templates/*.template -> $NGINX_ENVSUBST_OUTPUT_DIR
# (default /etc/nginx/conf.d), substituting only variables that are defined.
set -e
template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
[ -d "$template_dir" ] || exit 0
if [ ! -w "$output_dir" ]; then
  echo "$0: ERROR: $template_dir exists, but $output_dir is not writable" >&2
  exit 0
fi
# shellcheck disable=SC2016,SC2046 # a literal ${NAME} list for envsubst, one word per name
defined_envs=$(printf '${%s} ' $(awk 'END { for (name in ENVIRON) { print ( name ~ /^[a-zA-Z_][a-zA-Z0-9_]*$/ ) ? name : "" } }' </dev/null))
find "$template_dir" -follow -type f -name "*$suffix" -print | while read -r template; do
  relative_path="${template#"$template_dir/"}"
  output_path="$output_dir/${relative_path%"$suffix"}"
  mkdir -p "$(dirname "$output_path")"
  echo "$0: Running envsubst on $template to $output_path"
  envsubst "$defined_envs" <"$template" >"$output_path"
done
