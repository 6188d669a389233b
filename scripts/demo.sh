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
    "leak_hunt|a service whose memory grows, read from outside by its debug table"
)

# Examples that stop themselves (SIGSTOP) to be read from outside: the
# reference reader reads them live, then from a core file when gdb's gcore
# is there, and lets them go on.
readable=(leak_hunt)

if [[ ! -d $bindir ]]; then
    echo "demo.sh: no examples in $bindir (run 'make demo')" >&2
    exit 1
fi

declare -A seen=()
failed=()

# read_outside NAME: runs the example until it stops itself, reads it.
read_outside() {
    local name=$1 pid rc=0 state= i
    "$bindir/$name" </dev/null &
    pid=$!
    for i in $(seq 1 300); do # up to 30 s
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
        [[ $state == T || -z $state ]] && break
        sleep 0.1
    done
    if [[ $state != T ]]; then
        wait "$pid" || rc=$?
        return $((rc ? rc : 1))
    fi
    echo
    echo "--- read from outside, live: python3 -m rgc --pid $pid (PYTHONPATH=plugins)"
    PYTHONPATH=$root/plugins python3 -m rgc --pid "$pid" --events 6 --sites 4 || rc=$?
    if command -v gcore >/dev/null 2>&1; then
        local dir
        dir=$(mktemp -d)
        if gcore -o "$dir/core" "$pid" >/dev/null 2>&1; then
            echo
            echo "--- and from a core file: python3 -m rgc --core core.$pid (the process may be gone)"
            PYTHONPATH=$root/plugins python3 -m rgc --core "$dir/core.$pid" --events 0 --sites 2 |
                grep -E "debug table|^heap|objects:|by type|tracing|largest| bytes in " || rc=$?
        fi
        rm -rf "$dir"
    fi
    kill -CONT "$pid"
    wait "$pid" || rc=$?
    return "$rc"
}

run() { # run NAME TITLE
    local name=$1 title=$2 rc=0 r
    echo
    echo "=== $name: $title"
    for r in "${readable[@]}"; do
        if [[ $r == "$name" ]]; then
            read_outside "$name" || rc=$?
            [[ $rc -ne 0 ]] && failed+=("$name")
            return 0
        fi
    done
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
