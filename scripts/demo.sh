#!/usr/bin/env bash
# demo.sh — run the example programs, one memory problem each, in the order
# that tells the story: counting references, the cycle counting cannot free,
# what an object costs, compact numbers, and memory the process keeps.
# Examples not named here run afterwards, alphabetically, so a new one is
# never silently skipped.  Exit status 1 if any example fails.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bindir=$root/build/examples

ordered=(
    "refcounts|reference counts, step by step"
    "cycle_leak|a reference cycle that counting alone cannot free"
    "weak_cache|weak references, a cache that lets its values go, generations"
    "slots_vs_dict|attributes in a dict vs fixed fields (__slots__)"
    "array_vs_list|a million numbers: list of int objects vs int32 array"
    "fragmentation|freed memory the process keeps, and memory it gives back"
)

if [[ ! -d $bindir ]]; then
    echo "demo.sh: no examples in $bindir (run 'make demo')" >&2
    exit 1
fi

declare -A seen=()
failed=()

run() { # run NAME TITLE
    local name=$1 title=$2 rc=0
    echo
    echo "=== $name: $title"
    "$bindir/$name" </dev/null || rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "demo.sh: $name exited with status $rc" >&2
        failed+=("$name")
    fi
}

for entry in "${ordered[@]}"; do
    name=${entry%%|*}
    seen[$name]=1
    if [[ -x $bindir/$name ]]; then
        run "$name" "${entry#*|}"
    else
        echo "demo.sh: $name was not built" >&2
        failed+=("$name")
    fi
done

for bin in "$bindir"/*; do
    name=$(basename "$bin")
    [[ -f $bin && -x $bin && -z ${seen[$name]:-} ]] || continue
    run "$name" "examples/$name.c"
done

if [[ ${#failed[@]} -ne 0 ]]; then
    echo "demo.sh: failed: ${failed[*]}" >&2
    exit 1
fi
