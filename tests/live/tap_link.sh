#!/bin/sh
# Live test of the TAP link, synack_netdev_open_tap() (src/link/link_tap.c), run as
# `BUILD=build sh tests/live/tap_link.sh` from the repo root.
#
# Needs root, `ip netns`, /dev/net/tun, ping, a C compiler and $BUILD/libsynack.a; otherwise
# SKIP. Builds tests/live/tap_probe.c against the library; in a private namespace the probe
# opens TAP device synack-tap0 (kernel side 10.77.41.1/24) and answers ARP and ICMP echo for
# 10.77.41.2 by hand, in Ethernet II frames. Checks: the kernel's MAC and the probe's differ
# (the probe's random one locally administered unicast), ping -c 3 (and full-MTU frames)
# answered, the kernel's neighbour entry holds the probe's MAC, a MAC given to open_tap is
# the one used, and `ip link del` makes rx_burst (and flush) return -1, again and again.
# Only 10.77.41.0/24, no default route, nothing in the host's namespace.
NAME=tap_link
TAG=tap
BUILD=${BUILD:-build}
CC=${CC:-cc}
IFN=synack-tap0
. tests/live/lib.sh

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TAP)"
live_require ip iproute2
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
[ -c /dev/net/tun ] || skip "/dev/net/tun missing"
live_require timeout coreutils
live_require ping iputils-ping
live_require "$CC" build-essential
[ -f "$BUILD/libsynack.a" ] || skip "$BUILD/libsynack.a not built (run make)"

NS=synack-$TAG-$$
TMP=$(mktemp -d "/tmp/synack-$TAG.XXXXXX") || { echo "FAIL $NAME: mktemp"; exit 1; }
trap live_cleanup EXIT
trap 'live_cleanup; exit 130' INT
trap 'live_cleanup; exit 143' TERM

PROBE=$TMP/tap_probe
case "$BUILD" in *san*) SANF="-fsanitize=address,undefined" ;; *) SANF= ;; esac
# shellcheck disable=SC2046
if ! $CC $SANF -Iinclude -o "$PROBE" tests/live/tap_probe.c "$BUILD/libsynack.a" \
        $(pkg-config --libs libxdp libbpf 2>/dev/null) -lpthread >"$TMP/cc.log" 2>&1; then
    fail "build tap_probe:"
    sed 's/^/  /' "$TMP/cc.log" | head -n 20
    exit 1
fi

timeout 10 ip netns add "$NS" || skip "cannot create a network namespace (ip netns add failed)"
ns ip link set lo up

# probe_start [MAC]: the probe in the background (at most 40 s), output in $TMP/probe.out.
probe_start() {
    ip netns exec "$NS" timeout -k 2 50 "$PROBE" "$IFN" 40 "$@" >"$TMP/probe.out" 2>&1 &
    PROBE_PID=$!
    bg_track "$PROBE_PID"
    if ! wait_until 10 grep -q '^READY' "$TMP/probe.out"; then
        fail "probe not ready; its output:"
        sed 's/^/  /' "$TMP/probe.out"
        exit 1
    fi
}
field() { sed -n "s/^OPEN .* $1=\([^ ]*\).*/\1/p" "$TMP/probe.out"; }

probe_start
mac=$(field mac); kmac=$(ns cat "/sys/class/net/$IFN/address" 2>/dev/null)
first=$(printf '%d' "0x${mac%%:*}")
if [ -n "$mac" ] && [ "$mac" != "$kmac" ] && [ "$(field kernel_mac)" = "$kmac" ] &&
   [ $((first & 3)) = 2 ]; then
    pass "TAP $IFN: probe MAC $mac (random, locally administered unicast) differs from the kernel's $kmac"
else
    fail "MACs: probe '$mac', kernel '$kmac': $(grep '^OPEN' "$TMP/probe.out")"
fi
addr=$(ns ip -4 addr show dev "$IFN" 2>&1)
mtu=$(field mtu)
if printf '%s\n' "$addr" | grep -q 'inet 10\.77\.41\.1/24 ' &&
   printf '%s\n' "$addr" | grep -q '[<,]UP[,>]' &&
   printf '%s\n' "$addr" | grep -q " mtu $mtu " && [ "$(field kind)" = eth ]; then
    pass "kernel side 10.77.41.1/24 UP, d->mtu $mtu = the interface's, kind ETH"
else
    fail "interface state (d->mtu '$mtu'):"
    printf '%s\n' "$addr" | sed 's/^/  /'
fi

ns timeout 15 ping -c 3 -i 0.2 -W 2 10.77.41.2 >"$TMP/ping.out" 2>&1; prc=$?
if [ "$prc" = 0 ] && grep -q ' 3 received' "$TMP/ping.out"; then
    pass "ping -c 3 10.77.41.2 through ARP + Ethernet frames: 3 received ($(grep -o 'rtt.*' "$TMP/ping.out"))"
else
    fail "ping -c 3 10.77.41.2 (exit $prc):"
    sed 's/^/  /' "$TMP/ping.out"
fi
neigh=$(ns ip neigh show 10.77.41.2 dev "$IFN" 2>&1)
if printf '%s\n' "$neigh" | grep -q "lladdr $mac "; then
    pass "kernel neighbour entry for 10.77.41.2: $mac (the probe's ARP reply)"
else
    fail "ip neigh: $neigh"
fi
# Full-size frames: 1472 + 8 + 20 = 1500-byte IP packets, 1514-byte frames, don't fragment.
ns timeout 20 ping -q -c 20 -l 8 -i 0.01 -s 1472 -M do -W 2 10.77.41.2 >"$TMP/ping2.out" 2>&1; prc=$?
if [ "$prc" = 0 ] && grep -q ' 20 received' "$TMP/ping2.out"; then
    pass "20 full-MTU echoes (1514-byte frames), 8 in flight, all answered"
else
    fail "full-MTU ping burst (exit $prc):"
    sed 's/^/  /' "$TMP/ping2.out"
fi

# The device goes away under the probe.
ns ip link del "$IFN"
i=0
while kill -0 "$PROBE_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$PROBE_PID" 2>/dev/null; then
    fail "probe still running 5 s after ip link del (rx_burst did not fail)"
    kill -TERM "$PROBE_PID" 2>/dev/null
fi
wait "$PROBE_PID"; prc=$?
gone=$(grep '^GONE' "$TMP/probe.out")
if [ "$prc" = 0 ] && [ -n "$gone" ]; then
    pass "ip link del: $(echo "$gone" | sed 's/^GONE //'), probe gone within $(((i + 1) * 100)) ms"
else
    fail "device deletion (exit $prc): $(grep -E '^(GONE|END|ERROR|TIMEOUT)' "$TMP/probe.out" | head -n 3)"
fi
end=$(grep '^END' "$TMP/probe.out")
if echo "$end" | grep -q 'tx_fail=0 ' && echo "$end" | grep -q 'rx_dropped=0 '; then
    pass "probe: $(echo "$end" | cut -d' ' -f2-5), no tx failure, nothing dropped"
else
    fail "probe counters: $end"
fi

# A MAC given to open_tap is the one the probe answers with.
ns ip link del "$IFN" 2>/dev/null
probe_start 02:00:5e:77:41:02
# (A device just re-created under the same name: retried for up to 5 s; one run in ~30 saw
# the first ping fail with exit 2 here.)
prc=1; i=0
while [ "$prc" != 0 ] && [ $i -lt 5 ]; do
    ns timeout 10 ping -c 1 -W 1 10.77.41.2 >>"$TMP/ping3.out" 2>&1; prc=$?
    i=$((i + 1))
done
neigh=$(ns ip neigh show 10.77.41.2 dev "$IFN" 2>&1)
if [ "$prc" = 0 ] && [ "$(field mac)" = 02:00:5e:77:41:02 ] &&
   printf '%s\n' "$neigh" | grep -q 'lladdr 02:00:5e:77:41:02 '; then
    pass "open_tap with MAC 02:00:5e:77:41:02: used for ARP and echo"
else
    fail "given MAC (ping exit $prc): $(grep '^OPEN' "$TMP/probe.out"); neigh: $neigh; ping:"
    sed 's/^/  /' "$TMP/ping3.out"
fi
kill -TERM "$PROBE_PID" 2>/dev/null
wait "$PROBE_PID"; prc=$?
if [ "$prc" = 0 ] && grep -q '^STOP' "$TMP/probe.out"; then
    pass "SIGTERM stops the probe cleanly"
else
    fail "probe stop (exit $prc): $(tail -n 2 "$TMP/probe.out")"
fi

live_cleanup
if ip netns list 2>/dev/null | grep -q "^$NS\( \|\$\)"; then
    fail "namespace $NS still present after cleanup"
else
    pass "namespace $NS deleted"
fi
[ "$fails" = 0 ]
