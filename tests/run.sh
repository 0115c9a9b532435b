#!/bin/sh
# Runs every test tier and prints the total as the last line: "N passed, N failed[, N skipped]".
# Unit and virtual-time tests: build/test-unit. Live tests (root, network namespaces): tests/live/*.sh,
# each printing lines "PASS name", "FAIL name" or "SKIP name: reason".
BUILD=${BUILD:-build}
pass=0; fail=0; skip=0
out=$("$BUILD/test-unit" 2>&1); rc=$?
printf '%s\n' "$out" | grep -v '^unit:' >&2
line=$(printf '%s\n' "$out" | grep '^unit:' | tail -n 1)
echo "$line"
if [ -z "$line" ]; then fail=$((fail + 1)); echo "FAIL test-unit crashed (rc=$rc)"; else
  pass=$(echo "$line" | sed -E 's/unit: ([0-9]+) passed, ([0-9]+) failed/\1/')
  fail=$(echo "$line" | sed -E 's/unit: ([0-9]+) passed, ([0-9]+) failed/\2/')
  [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
fi
if [ "${SKIP_LIVE:-0}" != 1 ]; then
  for t in tests/cli/*.sh tests/live/*.sh; do
    [ -f "$t" ] || continue
    res=$(BUILD=$BUILD timeout 600 sh "$t" 2>&1); rc=$?
    printf '%s\n' "$res" | grep -E '^(PASS|FAIL|SKIP)' 
    p=$(printf '%s\n' "$res" | grep -c '^PASS'); f=$(printf '%s\n' "$res" | grep -c '^FAIL'); s=$(printf '%s\n' "$res" | grep -c '^SKIP')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL $t exited $rc"; printf '%s\n' "$res" | tail -n 20; fi
    [ "$f" -ne 0 ] && printf '%s\n' "$res" | tail -n 30 >&2
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
  done
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
