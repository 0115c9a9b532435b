#!/bin/sh
# Live test of TUN offloads in synack_netdev_open_tun() (src/link/link_tun.c, cfg.offload = 1:
# IFF_VNET_HDR, TUNSETVNETHDRSZ 10, TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4), run as
# `BUILD=build sh tests/live/tun_offload_link.sh` from the repo root.
#
# Needs root, `ip netns`, /dev/net/tun, a C compiler and $BUILD/libsynack.a; otherwise SKIP.
# Builds tests/live/tun_offload_probe.c against the library and, in a private namespace
# (10.77.50.0/24 .. 10.77.54.0/24 only, no default route), checks:
#   fwd      a coalesced write (10 segments, one write) on an offload TUN, forwarded by the
#            kernel out a TUN without TSO, comes out as the 10 original segments
#   rx 1/0   a kernel TCP sender hands over GSO super-packets whole (larger than the MTU, all
#            checksums valid once completed, data intact); without offload, MTU packets only
#   tx 1/0   the probe's coalesced writes reach a kernel TCP receiver intact
#   gone 1/0 `ip link del` makes rx_burst and flush return -1, and keep returning it
# and measures kernel->probe and probe->kernel transfers with and without offload (RUNS times
# MIB MiB each, probe in "fast" mode, min/median/max reported; they are measurements, not
# pass/fail criteria, and they swing with whatever else runs on the machine).
NAME=tun_offload_link
TAG=tunoff
BUILD=${BUILD:-build}
CC=${CC:-cc}
RUNS=${RUNS:-5}
MIB=${MIB:-64}
. tests/live/lib.sh

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TUN)"
live_require ip iproute2
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
[ -c /dev/net/tun ] || skip "/dev/net/tun missing"
live_require timeout coreutils
live_require "$CC" build-essential
[ -f "$BUILD/libsynack.a" ] || skip "$BUILD/libsynack.a not built (run make)"

NS=synack-$TAG-$$
TMP=$(mktemp -d "/tmp/synack-$TAG.XXXXXX") || { echo "FAIL $NAME: mktemp"; exit 1; }
trap live_cleanup EXIT
trap 'live_cleanup; exit 130' INT
trap 'live_cleanup; exit 143' TERM

PROBE=$TMP/tun_offload_probe
case "$BUILD" in *san*) SANF="-fsanitize=address,undefined" ;; *) SANF= ;; esac
# shellcheck disable=SC2046
if ! $CC -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -O2 -g \
        $SANF -Iinclude -o "$PROBE" tests/live/tun_offload_probe.c "$BUILD/libsynack.a" \
        $(pkg-config --libs libxdp libbpf 2>/dev/null) -lpthread >"$TMP/cc.log" 2>&1; then
    fail "build tun_offload_probe:"
    sed 's/^/  /' "$TMP/cc.log" | head -n 20
    exit 1
fi

timeout 10 ip netns add "$NS" || skip "cannot create a network namespace (ip netns add failed)"
ns ip link set lo up
ns sysctl -qw net.ipv4.ip_forward=1 || { fail "sysctl net.ipv4.ip_forward=1 in $NS"; exit 1; }

# probe ARGS...: runs the probe in the namespace, bounded; output in $TMP/out, status in $prc.
probe() {
    ip netns exec "$NS" timeout -k 5 90 "$PROBE" "$@" >"$TMP/out" 2>&1
    prc=$?
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$TMP/out" | head -n 1; }
show() { sed 's/^/  /' "$TMP/out" | head -n 20; }

# 1. resegmentation of a coalesced write
probe fwd
if [ "$prc" = 0 ] && grep -q '^FWD ok' "$TMP/out"; then
    pass "10 segments coalesced into $(field writes) GSO write, forwarded out a TSO-less TUN as $(field segs_out) segments identical to the originals (TTL-1)"
else
    fail "fwd (exit $prc):"; show
fi

# 2. whole GSO packets from a kernel TCP sender; 3. coalesced writes to a kernel receiver
probe rx 1 8388608
gso=$(field gso); maxlen=$(field maxlen)
if [ "$prc" = 0 ] && [ "${gso:-0}" -gt 0 ] && [ "${maxlen:-0}" -gt 1500 ]; then
    pass "offload rx: kernel TCP hands over GSO packets whole ($gso of $(field pkts) packets > MTU, up to $maxlen bytes), checksums completed and valid, 8 MiB intact"
else
    fail "offload rx (exit $prc):"; show
fi
probe rx 0 8388608
if [ "$prc" = 0 ] && [ "$(field gso)" = 0 ] && [ "$(field maxlen)" -le 1500 ]; then
    pass "plain rx: MTU packets only (max $(field maxlen) bytes), 8 MiB intact"
else
    fail "plain rx (exit $prc):"; show
fi
for o in 1 0; do
    probe tx $o 8388608
    if [ "$prc" = 0 ]; then
        pass "tx offload=$o: 8 MiB verified by a kernel TCP receiver, $(field segs) segments in $(field writes) writes"
    else
        fail "tx offload=$o (exit $prc):"; show
    fi
done

# 4. a deleted device is reported, not spun on
for o in 0 1; do
    ip netns exec "$NS" timeout -k 5 30 "$PROBE" gone $o >"$TMP/gone.out" 2>&1 &
    gpid=$!
    bg_track "$gpid"
    if wait_until 10 grep -q '^READY' "$TMP/gone.out"; then
        ns ip link del so-gone
    fi
    wait "$gpid"; prc=$?
    if [ "$prc" = 0 ] && grep -q '^GONE rx=-1' "$TMP/gone.out"; then
        pass "offload=$o: ip link del -> rx_burst -1 errno $(sed -n 's/^GONE rx=-1 errno=\([^ ]*\) .*/\1/p' "$TMP/gone.out"), and again on the next rx_burst and flush"
    else
        fail "device deletion, offload=$o (exit $prc):"; sed 's/^/  /' "$TMP/gone.out"
    fi
done

# 5. measurements: RUNS runs of MIB MiB each
stats() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%s/%s/%s", v[1], v[int((NR + 1) / 2)], v[NR]; else print "-" }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
bytes=$((MIB * 1048576))
for dir in rx tx; do
    for o in 0 1; do
        : >"$TMP/mbps"; : >"$TMP/writes"
        i=0
        while [ $i -lt "$RUNS" ]; do
            probe "$dir" $o $bytes fast
            if [ "$prc" != 0 ]; then
                fail "measure $dir offload=$o run $i (exit $prc):"; show
                break
            fi
            field MBps >>"$TMP/mbps"
            if [ "$dir" = rx ]; then field pkts >>"$TMP/writes"; else field writes >>"$TMP/writes"; fi
            i=$((i + 1))
        done
        eval "m_${dir}_$o=\$(stats <\"\$TMP/mbps\")"
        eval "n_${dir}_$o=\$(median <\"\$TMP/writes\")"
    done
done
pass "measured kernel->probe, $MIB MiB x $RUNS, MB/s min/median/max: plain $m_rx_0 ($n_rx_0 reads), offload $m_rx_1 ($n_rx_1 reads)"
pass "measured probe->kernel, $MIB MiB x $RUNS, MB/s min/median/max: plain $m_tx_0 ($n_tx_0 writes), offload $m_tx_1 ($n_tx_1 writes)"

live_finish
