#!/usr/bin/env bash
# deps.sh MODE — make sure the Debian packages a make target needs are here.
#
#   check   compiler, make, cmocka (unit tests), pkg-config (install check),
#           python3 and gdb (the reference reader's tests read live processes
#           and the core files gdb's gcore writes)
#   bench   compiler, make, mimalloc, jemalloc, valgrind, python3
#   demo    compiler, make, python3 (the reader reads an example from outside)
#
# Each package is probed by a file or a command, never by the package
# database first: the probes cost nothing, so the common case (everything
# present) takes a few milliseconds.  Only when a probe fails do we ask
# dpkg-query, then install as root or explain what to install otherwise.
# Never reads standard input: CI runs without one.
set -euo pipefail

usage() {
    echo "usage: $0 check|bench|demo" >&2
    exit 2
}

[[ $# -eq 1 ]] || usage
mode=$1

# "package probe" pairs; a probe starting with / is a file, else a command.
# libc6-dev is only a recommendation of gcc, and installs here skip those.
base=("gcc gcc" "libc6-dev /usr/include/stdio.h" "make make")
case $mode in
check)
    wanted=("${base[@]}"
        "libcmocka-dev /usr/include/cmocka.h"
        "pkg-config pkg-config"
        "python3 python3"
        "gdb gcore")
    ;;
bench)
    wanted=("${base[@]}"
        "libmimalloc-dev /usr/include/mimalloc.h"
        "libjemalloc-dev /usr/include/jemalloc/jemalloc.h"
        "valgrind valgrind"
        "python3 python3")
    ;;
demo) wanted=("${base[@]}" "python3 python3") ;; # the reader reads an example from outside
*) usage ;;
esac

present() {
    local pkg=$1 probe=$2
    if [[ $probe == /* ]]; then
        [[ -e $probe ]] && return 0
    else
        command -v "$probe" >/dev/null 2>&1 && return 0
    fi
    # A probe can miss a package installed somewhere unusual; the package
    # database has the last word when it exists.
    command -v dpkg-query >/dev/null 2>&1 &&
        [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null) == ii* ]]
}

missing=()
for entry in "${wanted[@]}"; do
    read -r pkg probe <<<"$entry"
    present "$pkg" "$probe" || missing+=("$pkg")
done

[[ ${#missing[@]} -eq 0 ]] && exit 0

install_cmd="apt-get install -y --no-install-recommends ${missing[*]}"

if [[ $(id -u) -ne 0 ]]; then
    echo "rgc: missing Debian packages for 'make $mode': ${missing[*]}; install them with: sudo apt-get update && sudo $install_cmd" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "rgc: missing packages for 'make $mode': ${missing[*]} (no apt-get here: install their equivalents by hand)" >&2
    exit 1
fi

echo "rgc: installing ${missing[*]} for 'make $mode'" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
# Quiet on success; on failure the whole apt output is the useful part.
if ! apt-get update -q </dev/null >"$log" 2>&1 ||
    ! apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >>"$log" 2>&1; then
    cat "$log" >&2
    echo "rgc: could not install ${missing[*]} (see the apt-get output above)" >&2
    exit 1
fi

# The packages must now satisfy their probes, or the build will fail later
# with a less helpful message.
still=()
for entry in "${wanted[@]}"; do
    read -r pkg probe <<<"$entry"
    present "$pkg" "$probe" || still+=("$pkg")
done
if [[ ${#still[@]} -ne 0 ]]; then
    echo "rgc: installed, but still missing: ${still[*]}" >&2
    exit 1
fi
