#!/bin/sh
# run.sh — the reader's tests (tests/plugins/test_*.py) with python3 -m
# unittest; the last line is "N passed, N failed" (test cases).
#
#   tests/plugins/run.sh            all of them
#   tests/plugins/run.sh -k Bad     unittest's own options pass through
set -u
cd "$(dirname "$0")/../.." || exit 1
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the tree
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
start=$(date +%s)
python3 -m unittest discover -s tests/plugins -p 'test_*.py' -v "$@" 2>&1 | tee "$log"
status=$?
end=$(date +%s)
ran=$(sed -n 's/^Ran \([0-9][0-9]*\) tests\{0,1\} in .*/\1/p' "$log" | tail -n 1)
ran=${ran:-0}
count() { sed -n "s/.*[(, ]$1=\([0-9][0-9]*\).*/\1/p" "$log" | tail -n 1; }
failures=$(count failures)
errors=$(count errors)
skipped=$(count skipped)
unexpected=$(count 'unexpected successes')
failed=$(( ${failures:-0} + ${errors:-0} + ${unexpected:-0} ))
passed=$(( ran - failed - ${skipped:-0} ))
if [ "$ran" -eq 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # nothing ran: the suite itself is broken
fi
[ "${skipped:-0}" -gt 0 ] && echo "${skipped} skipped"
echo "time: $((end - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
