#!/bin/sh
# The official nginx image's entry point: for `nginx` and `nginx-debug`, run the scripts of
# /docker-entrypoint.d in order (sourcing *.envsh, executing executable *.sh), then exec.
set -e
if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
  if find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | read -r _; then
    echo "$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"
    # shellcheck disable=SC1090 # the user's scripts
    for f in $(find /docker-entrypoint.d/ -follow -type f -print | sort -V); do
      case "$f" in
        *.envsh)
          if [ -x "$f" ]; then echo "$0: Sourcing $f"; . "$f"; else echo "$0: Ignoring $f, not executable"; fi ;;
        *.sh)
          if [ -x "$f" ]; then echo "$0: Launching $f"; "$f"; else echo "$0: Ignoring $f, not executable"; fi ;;
        *) echo "$0: Ignoring $f" ;;
      esac
    done
    echo "$0: Configuration complete; ready for start up"
  else
    echo "$0: No files found in /docker-entrypoint.d/, skipping configuration"
  fi
fi
exec "$@"
