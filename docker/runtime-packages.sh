#!/bin/sh
# Prints the Debian packages that hold the shared libraries a binary links (one per line,
# sorted), so the production image installs exactly the runtime half of the build's -dev
# packages. Fails when a library belongs to no package. Usage: runtime-packages.sh BINARY
set -eu
bin="$1"
libs="$(ldd "$bin" | awk '/=> \// {print $3}')"
for lib in $libs; do
    real="$(readlink -f "$lib")"
    found=""
    # Merged /usr: dpkg may know a library under /lib or under /usr/lib.
    for p in "$lib" "/usr$lib" "${lib#/usr}" "$real" "/usr$real" "${real#/usr}"; do
        if owner="$(dpkg-query -S "$p" 2>/dev/null)"; then
            found="${owner%%:*}"
            break
        fi
    done
    if [ -z "$found" ]; then
        echo "runtime-packages: no package holds $lib" >&2
        exit 1
    fi
    echo "$found"
done | sort -u
