#!/usr/bin/env bash
# run-tests.sh — run cmocka test binaries and add up what they report.
#
#   run-tests.sh plain BIN...              plain builds
#   run-tests.sh asan BIN...               ASan+UBSan builds
#   run-tests.sh all BIN... -- ASANBIN...  both, plain first
#
# With SUITES set (space-separated scripts whose last line is "N passed, N
# failed", such as tests/plugins/run.sh), those run after the binaries and
# their counts join the total.
#
# One line per binary (PASS/FAIL, with its test count); a binary's own output
# is shown only when it fails, or always with VERBOSE=1.  Counts come from
# cmocka's summary lines, summed over every group a binary runs.  A binary
# that crashes, times out or exits non-zero without reporting a failure
# counts as at least one failed test, so nothing fails silently.  The last
# line is always "N passed, N failed"; the exit status is 1 if anything
# failed.  TEST_TIMEOUT (seconds, default 600) bounds each binary.
set -euo pipefail

usage() {
    echo "usage: $0 plain BIN... | asan BIN... | all BIN... -- ASANBIN..." >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
mode=$1
shift
plain=()
asan=()
case $mode in
plain) plain=("$@") ;;
asan) asan=("$@") ;;
all)
    while [[ $# -gt 0 && $1 != -- ]]; do
        plain+=("$1")
        shift
    done
    [[ $# -gt 0 ]] || usage
    shift
    asan=("$@")
    ;;
*) usage ;;
esac

if [[ ${#plain[@]} -eq 0 && ${#asan[@]} -eq 0 ]]; then
    # A check that runs nothing cannot fail; refuse rather than pass.
    echo "run-tests.sh: no test binaries to run" >&2
    exit 2
fi

verbose=${VERBOSE:-0}
timeout_s=${TEST_TIMEOUT:-600}
total_passed=0
total_failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

plural() { # plural N WORD -> "1 test" / "2 tests"
    if [[ $1 -eq 1 ]]; then echo "$1 $2"; else echo "$1 $2s"; fi
}

# Describes an abnormal exit status in words.
describe_status() {
    local rc=$1
    if [[ $rc -eq 124 && -n $have_timeout ]]; then
        echo "timed out after ${timeout_s}s"
    elif [[ $rc -eq 127 ]]; then
        echo "could not be run"
    elif [[ $rc -gt 128 ]]; then
        echo "killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
    else
        echo "exit status $rc"
    fi
}

have_timeout=
command -v timeout >/dev/null 2>&1 && have_timeout=1

# run_one BIN [VAR=VALUE...]: runs one binary and adds its counts.
run_one() {
    local bin=$1
    shift
    local name rc=0 passed=0 failed=0 summaries=0 ok_since_summary=0 line n note=
    name=$(basename "$bin")
    if [[ ! -x $bin ]]; then
        echo "FAIL $name (not built: $bin)"
        total_failed=$((total_failed + 1))
        return
    fi
    # cmocka splits its report between stdout and stderr, and sanitizers
    # write to stderr: keep both, interleaved as the binary wrote them.  The standard output
    # format is forced in case the environment asks for TAP or XML.
    local -a runner=()
    [[ -n $have_timeout ]] && runner=(timeout --kill-after=10 "$timeout_s")
    # The outer 2>/dev/null only silences bash's own "Aborted"/"Killed"
    # notice; the status and the binary's output are kept.
    { env CMOCKA_MESSAGE_OUTPUT=STDOUT "$@" "${runner[@]}" "$bin" </dev/null >"$out" 2>&1; } 2>/dev/null || rc=$?
    while IFS= read -r line; do
        if [[ $line =~ ^\[\ \ PASSED\ \ \]\ ([0-9]+)\ test ]]; then
            n=${BASH_REMATCH[1]}
            passed=$((passed + n))
            summaries=$((summaries + 1))
            ok_since_summary=0
        elif [[ $line =~ ^\[\ \ FAILED\ \ \]\ ([0-9]+)\ test\(s\),\ listed\ below ]]; then
            n=${BASH_REMATCH[1]}
            failed=$((failed + n))
        elif [[ $line == '[       OK ] '* ]]; then
            ok_since_summary=$((ok_since_summary + 1))
        fi
    done <"$out"
    # Tests that passed in a group that never reached its summary (the
    # binary died in a later test) still count as passed.
    passed=$((passed + ok_since_summary))
    if [[ $rc -ne 0 && $failed -eq 0 ]]; then
        # Crashed, aborted or exited badly without a FAILED line.
        failed=1
        note="; $(describe_status "$rc") without a cmocka failure report"
    elif [[ $rc -gt 128 || ($rc -eq 124 && -n $have_timeout) ]]; then
        note="; $(describe_status "$rc")"
    elif [[ $summaries -eq 0 && $failed -eq 0 ]]; then
        failed=1
        note="; no cmocka summary: did it run any test?"
    fi
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    if [[ $failed -eq 0 ]]; then
        echo "PASS $name ($(plural "$passed" test))"
        [[ $verbose == 1 ]] && sed 's/^/    /' "$out"
    else
        echo "FAIL $name ($failed of $((passed + failed)) failed$note)"
        sed 's/^/    /' "$out"
    fi
    return 0
}

if [[ ${#plain[@]} -gt 0 ]]; then
    [[ $mode == all ]] && echo "-- unit tests, plain build"
    for bin in "${plain[@]}"; do
        run_one "$bin"
    done
fi

if [[ ${#asan[@]} -gt 0 ]]; then
    [[ $mode == all ]] && echo "-- unit tests, ASan+UBSan build"
    # Ours first, so options the caller already set win where they overlap.
    asan_opts="detect_leaks=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    ubsan_opts="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
    for bin in "${asan[@]}"; do
        run_one "$bin" "ASAN_OPTIONS=$asan_opts" "UBSAN_OPTIONS=$ubsan_opts"
    done
fi

for suite in ${SUITES:-}; do
    echo "-- $suite"
    rc=0
    "$suite" >"$out" 2>&1 </dev/null || rc=$?
    last=$(tail -n 1 "$out")
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=${BASH_REMATCH[1]}
        failed=${BASH_REMATCH[2]}
        [[ $rc -ne 0 && $failed -eq 0 ]] && failed=1
    else
        passed=0
        failed=1
    fi
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    if [[ $failed -eq 0 ]]; then
        echo "PASS $suite ($(plural "$passed" test))"
        [[ $verbose == 1 ]] && sed 's/^/    /' "$out"
    else
        echo "FAIL $suite ($failed failed)"
        sed 's/^/    /' "$out"
    fi
done

echo "$total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
