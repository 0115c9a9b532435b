#!/bin/sh
# Live test of the TUN driver and the event-loop helpers (src/link/link_tun.c,
# src/platform/loop_posix.c), run as `BUILD=build sh tests/live/tun_driver.sh` from the repo root.
#
# Needs root, `ip netns` and /dev/net/tun; otherwise prints "SKIP tun_driver: reason".
# Builds tests/live/tun_probe.c into $BUILD/, creates a private network namespace, and inside it
# runs the probe, which creates a TUN device, gives the kernel's side 10.77.1.1/24 (MTU 1400) with
# the driver and answers ICMP echo requests for 10.77.1.2 by hand. The script pings 10.77.1.2
# from the kernel side, checks the device with `ip`, stops the probe with SIGTERM (the loop's
# stop-signal path) and deletes the namespace. Only 10.77.0.0/16, no default route, nothing in
# the host's namespace. One "PASS tun_driver: ..." or "FAIL tun_driver: ..." line per check.
BUILD=${BUILD:-build}
CC=${CC:-cc}
NAME=tun_driver
NS=synack-tund-$$
IFN=synack-tun0
PROBE=$BUILD/tun_probe

skip() { echo "SKIP $NAME: $1"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TUN)"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not installed"
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
[ -c /dev/net/tun ] || skip "/dev/net/tun missing"
command -v ping >/dev/null 2>&1 || skip "ping (iputils-ping) not installed"
command -v timeout >/dev/null 2>&1 || skip "timeout (coreutils) not installed"
command -v "$CC" >/dev/null 2>&1 || skip "no C compiler ($CC)"

fails=0
pass() { echo "PASS $NAME: $1"; }
fail() { echo "FAIL $NAME: $1"; fails=$((fails + 1)); }

mkdir -p "$BUILD" || { fail "cannot create $BUILD"; exit 1; }
if ! $CC -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
        -Iinclude -Isrc -O2 -g tests/live/tun_probe.c src/link/link_tun.c \
        src/platform/loop_posix.c -o "$PROBE" 2>"$BUILD/tun_probe.log"; then
    cat "$BUILD/tun_probe.log"
    fail "build tun_probe"
    exit 1
fi

TMP=$(mktemp -d /tmp/synack-tund.XXXXXX) || { fail "mktemp"; exit 1; }
PROBE_PID=
cleaned=0
cleanup() {
    [ "$cleaned" = 1 ] && return
    cleaned=1
    if [ -n "$PROBE_PID" ] && kill -0 "$PROBE_PID" 2>/dev/null; then
        kill -TERM "$PROBE_PID" 2>/dev/null
        sleep 0.5
        kill -KILL "$PROBE_PID" 2>/dev/null
        wait "$PROBE_PID" 2>/dev/null
    fi
    ip netns del "$NS" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

timeout 10 ip netns add "$NS" || skip "cannot create a network namespace (ip netns add failed)"

# The probe gives up by itself after 40 s; timeout(1) is the backstop (it forwards SIGTERM).
ip netns exec "$NS" timeout -k 2 50 "$PROBE" "$IFN" 40 >"$TMP/probe.out" 2>&1 &
PROBE_PID=$!

i=0
while [ $i -lt 100 ] && ! grep -q '^READY' "$TMP/probe.out" && kill -0 "$PROBE_PID" 2>/dev/null; do
    sleep 0.1; i=$((i + 1))
done
if grep -q '^CONFIGURED' "$TMP/probe.out"; then
    pass "open $IFN and configure 10.77.1.1/24 mtu 1400 by ioctl"
else
    fail "open/configure: $(grep -m1 '^ERROR' "$TMP/probe.out")"
fi
if grep -q '^LOOP ok' "$TMP/probe.out"; then
    pass "loop wait: $(grep '^LOOP ok' "$TMP/probe.out" | cut -c9-)"
else
    fail "loop wait: $(grep -m1 '^LOOP' "$TMP/probe.out")"
fi

if ! grep -q '^READY' "$TMP/probe.out"; then
    fail "probe not ready; its output:"
    sed 's/^/  /' "$TMP/probe.out"
    cleanup
    exit 1
fi

addr=$(ip netns exec "$NS" timeout 5 ip -4 addr show dev "$IFN" 2>&1)
if printf '%s\n' "$addr" | grep -q 'inet 10\.77\.1\.1/24 ' &&
   printf '%s\n' "$addr" | grep -q '[<,]UP[,>]' &&
   printf '%s\n' "$addr" | grep -q ' mtu 1400 '; then
    pass "ip -4 addr show: 10.77.1.1/24, link UP, mtu 1400"
else
    fail "ip -4 addr show does not show 10.77.1.1/24 UP mtu 1400:"
    printf '%s\n' "$addr" | sed 's/^/  /'
fi
route=$(ip netns exec "$NS" timeout 5 ip -4 route show 2>&1)
if printf '%s\n' "$route" | grep -q "^10\.77\.1\.0/24 dev $IFN " &&
   ! printf '%s\n' "$route" | grep -q '^default'; then
    pass "prefix route 10.77.1.0/24 dev $IFN, no default route"
else
    fail "routes in the namespace:"
    printf '%s\n' "$route" | sed 's/^/  /'
fi

# The round trip of the brief: one echo request, answered by hand through the TUN fd.
ip netns exec "$NS" timeout 10 ping -c 1 -W 2 10.77.1.2 >"$TMP/ping1.out" 2>&1 &
PING_PID=$!
wait "$PING_PID"; prc=$?
if [ "$prc" = 0 ] && grep -q ' 1 received' "$TMP/ping1.out"; then
    pass "ping round trip 10.77.1.1 -> 10.77.1.2 ($(grep -o 'time=[0-9.]* ms' "$TMP/ping1.out"))"
else
    fail "ping -c 1 10.77.1.2 (exit $prc):"
    sed 's/^/  /' "$TMP/ping1.out"
fi

# Full-MTU packets (1372 + 8 + 20 = 1400, don't fragment), 8 in flight at a time.
ip netns exec "$NS" timeout 20 ping -q -c 32 -l 8 -i 0.005 -s 1372 -M do -W 2 10.77.1.2 \
    >"$TMP/ping2.out" 2>&1; prc=$?
if [ "$prc" = 0 ] && grep -q ' 32 received' "$TMP/ping2.out"; then
    pass "32 full-MTU (1400-byte) echoes, 8 in flight, all answered"
else
    fail "ping burst (exit $prc):"
    sed 's/^/  /' "$TMP/ping2.out"
fi

# Stop through the loop's signal path: SIGTERM -> flag -> clean exit with a summary.
kill -TERM "$PROBE_PID" 2>/dev/null
wait "$PROBE_PID"; prc=$?
PROBE_PID=
stopline=$(grep '^STOP' "$TMP/probe.out")
if [ "$prc" = 0 ] && [ -n "$stopline" ]; then
    pass "SIGTERM stops the probe cleanly: $(echo "$stopline" | cut -c6-)"
else
    fail "probe stop (exit $prc): $(grep -E '^(STOP|END|TIMEOUT|ERROR)' "$TMP/probe.out" | head -n 3)"
fi
nrep=$(grep -c '^REPLY' "$TMP/probe.out")
if [ "$nrep" -ge 33 ] && echo "$stopline" | grep -q 'write_fail=0 ' &&
   echo "$stopline" | grep -q 'tx_dropped=0 '; then
    pass "probe answered $nrep echo requests, no write failure or drop"
else
    fail "probe answered $nrep echo requests (want >= 33): $stopline"
fi

cleanup
if ip netns list 2>/dev/null | grep -q "^$NS\( \|\$\)"; then
    fail "namespace $NS still present after cleanup"
else
    pass "namespace $NS deleted"
fi
[ "$fails" = 0 ]
