#!/bin/sh
# Runs the hostile-load tests (issue 10), tests/live/hostile/*.sh, one after another, and
# forwards their PASS/FAIL/SKIP lines (tests/run.sh runs tests/live/*.sh only; it counts the
# lines this prints). Run from the repo root: `BUILD=build sh tests/live/hostile.sh`. Each test
# skips by itself without root; HOSTILE_ONLY=name (e.g. slowloris) runs one.
rc=0
for t in tests/live/hostile/*.sh; do
    [ -f "$t" ] || continue
    case $t in */${HOSTILE_ONLY:-*}.sh) ;; *) continue ;; esac
    res=$(timeout 300 sh "$t" 2>&1); r=$?
    printf '%s\n' "$res" | grep -E '^(PASS|FAIL|SKIP)'
    if [ "$r" -ne 0 ] && ! printf '%s\n' "$res" | grep -q '^FAIL'; then
        echo "FAIL $t exited $r"
        printf '%s\n' "$res" | tail -n 20
    fi
    [ "$r" -ne 0 ] && rc=1
done
exit $rc
