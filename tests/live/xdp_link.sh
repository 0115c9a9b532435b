#!/bin/sh
# Live test of the AF_XDP link (src/link/link_xdp.c), run as `BUILD=build sh tests/live/xdp_link.sh`
# from the repo root after `make`.
#
# Needs root, `ip netns`, ping, a kernel with AF_XDP and a build with libxdp/libbpf; otherwise
# prints "SKIP xdp_link: reason". Builds tests/live/xdp_probe.c against $BUILD/libsynack.a, makes
# two namespaces A and B joined by a veth pair (A's end has no kernel IP address; B's end is
# 10.77.40.1/24), and runs the probe on A's end: it answers ARP and ICMP echo for 10.77.40.2 by
# hand through AF_XDP. For native and for generic XDP, `ping -c 5` from B must get every reply,
# a burst of full-size echoes too, and the probe's counters must show the frames went through
# it. Also: a missing interface gives ENODEV with a message, zero-copy on veth (which has none)
# is refused cleanly, a second open on a busy interface gives EBUSY, close detaches the
# program, and deleting the interface under a running probe makes it stop with ENXIO.
# Only 10.77.0.0/16, no default route, everything bounded by timeout(1), cleanup in a trap.
BUILD=${BUILD:-build}
CC=${CC:-cc}
NAME=xdp_link
NSA=synack-xdpa-$$
NSB=synack-xdpb-$$
IFA=sxdp-a
IFB=sxdp-b
ADDR=10.77.40.2
PEER=10.77.40.1

skip() { echo "SKIP $NAME: $1"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, XDP, AF_XDP)"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not installed"
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
command -v ping >/dev/null 2>&1 || skip "ping (iputils-ping) not installed"
command -v timeout >/dev/null 2>&1 || skip "timeout (coreutils) not installed"
command -v "$CC" >/dev/null 2>&1 || skip "no C compiler ($CC)"
command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libxdp libbpf 2>/dev/null ||
    skip "libxdp/libbpf not installed (Debian: libxdp-dev libbpf-dev)"
[ -f "$BUILD/libsynack.a" ] || skip "$BUILD/libsynack.a not built (run make)"

fails=0
pass() { echo "PASS $NAME: $1"; }
fail() { echo "FAIL $NAME: $1"; fails=$((fails + 1)); }

TMP=$(mktemp -d /tmp/synack-xdp.XXXXXX) || { echo "FAIL $NAME: mktemp"; exit 1; }
PROBE=$TMP/xdp_probe
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
    ip netns del "$NSA" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# shellcheck disable=SC2046
if ! timeout 60 $CC -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Iinclude -o "$PROBE" \
        tests/live/xdp_probe.c "$BUILD/libsynack.a" $(pkg-config --libs libxdp libbpf) -lpthread \
        >"$TMP/cc.log" 2>&1; then
    sed 's/^/  /' "$TMP/cc.log"
    fail "build xdp_probe"
    exit 1
fi

timeout 10 ip netns add "$NSA" || skip "cannot create a network namespace (ip netns add failed)"
timeout 10 ip netns add "$NSB" || skip "cannot create a network namespace (ip netns add failed)"
a() { ip netns exec "$NSA" "$@"; }
b() { ip netns exec "$NSB" "$@"; }

veth_up() {
    timeout 10 ip link add "$IFA" netns "$NSA" type veth peer name "$IFB" netns "$NSB" || return 1
    a timeout 5 ip link set lo up && b timeout 5 ip link set lo up &&
        a timeout 5 ip link set "$IFA" up && b timeout 5 ip link set "$IFB" up &&
        { b timeout 5 ip addr add "$PEER/24" dev "$IFB" 2>/dev/null ||
          b timeout 5 ip addr show dev "$IFB" | grep -q "inet $PEER/24"; }
}
veth_up || skip "cannot create a veth pair"

# start_probe MODE ZEROCOPY [busy]: runs the probe in A, waits for READY (0) or its exit (1).
start_probe() {
    : >"$TMP/probe.out"
    ip netns exec "$NSA" timeout -k 2 60 "$PROBE" "$IFA" "$ADDR" "$1" "$2" 45 $3 \
        >"$TMP/probe.out" 2>&1 &
    PROBE_PID=$!
    i=0
    while [ $i -lt 100 ] && ! grep -q '^READY' "$TMP/probe.out" && kill -0 "$PROBE_PID" 2>/dev/null; do
        sleep 0.05; i=$((i + 1))
    done
    if grep -q '^READY' "$TMP/probe.out"; then return 0; fi
    wait "$PROBE_PID" 2>/dev/null
    PROBE_PID=
    return 1
}

# stop_probe: SIGTERM, wait; the STOP line in $STOPLINE, exit status in $PRC.
stop_probe() {
    kill -TERM "$PROBE_PID" 2>/dev/null
    wait "$PROBE_PID"; PRC=$?
    PROBE_PID=
    STOPLINE=$(grep '^STOP' "$TMP/probe.out")
}

field() { printf '%s\n' "$STOPLINE" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

# --- the clean error for a missing interface, before anything is attached
a timeout 10 "$PROBE" synack-nosuch0 "$ADDR" auto auto 5 >"$TMP/missing.out" 2>&1; prc=$?
if [ "$prc" = 1 ] && grep -q '^ERROR open errno=ENODEV: no interface synack-nosuch0' "$TMP/missing.out"; then
    pass "missing interface: $(cat "$TMP/missing.out")"
else
    fail "missing interface (exit $prc): $(cat "$TMP/missing.out")"
fi

# Is XDP + AF_XDP there at all? The first generic-mode open says so (generic works on any
# interface); a kernel without AF_XDP is a SKIP, not a failure.
if ! start_probe generic off; then
    msg=$(grep -m1 '^ERROR' "$TMP/probe.out")
    case "$msg" in
    *ENOTSUP*|*"no AF_XDP"*) skip "AF_XDP/XDP unavailable: $msg" ;;
    esac
    fail "generic-mode open: $msg"
    exit 1
fi
stop_probe

run_mode() { # MODE: native or generic
    mode=$1
    if ! start_probe "$mode" auto; then
        fail "$mode: open: $(grep -m1 '^ERROR' "$TMP/probe.out")"
        return
    fi
    open=$(grep '^OPEN' "$TMP/probe.out")
    want_native=0; [ "$mode" = native ] && want_native=1
    if printf '%s\n' "$open" | grep -q " kind=eth native=$want_native " &&
       a timeout 5 ip link show dev "$IFA" | grep -q 'prog/xdp'; then
        pass "$mode: open: $(echo "$open" | cut -c6-)"
    else
        fail "$mode: open line or attached program wrong: $open"
    fi
    if [ "$mode" = native ]; then
        a timeout 5 ip link show dev "$IFA" | grep -q ' xdp ' && pass "$mode: ip link shows a driver-mode (xdp) program" ||
            fail "$mode: no driver-mode program: $(a ip link show dev "$IFA" | tr '\n' ' ')"
    else
        a timeout 5 ip link show dev "$IFA" | grep -q ' xdpgeneric ' && pass "$mode: ip link shows a generic (xdpgeneric) program" ||
            fail "$mode: no generic program: $(a ip link show dev "$IFA" | tr '\n' ' ')"
    fi
    b timeout 5 ip neigh flush dev "$IFB" 2>/dev/null
    b timeout 20 ping -c 5 -i 0.2 -W 2 "$ADDR" >"$TMP/ping.out" 2>&1; prc=$?
    if [ "$prc" = 0 ] && grep -q ' 5 received' "$TMP/ping.out"; then
        pass "$mode: ping -c 5 $ADDR from B: $(grep -o '[0-9]* packets transmitted, [0-9]* received' "$TMP/ping.out"), $(grep -o 'rtt.*' "$TMP/ping.out")"
    else
        fail "$mode: ping -c 5 $ADDR (exit $prc):"
        sed 's/^/  /' "$TMP/ping.out"
    fi
    # Full-size frames (1472 + 8 + 20 = 1500), 16 in flight: batches larger than one.
    b timeout 30 ping -q -c 500 -l 16 -i 0.002 -s 1472 -M do -W 2 "$ADDR" >"$TMP/ping2.out" 2>&1; prc=$?
    if [ "$prc" = 0 ] && grep -q ' 500 received' "$TMP/ping2.out"; then
        pass "$mode: 500 full-size (1500-byte) echoes, 16 in flight, all answered"
    else
        fail "$mode: ping burst (exit $prc): $(grep -m1 'transmitted' "$TMP/ping2.out")"
    fi
    stop_probe
    echo=$(field echo); arp=$(field arp); rxp=$(field rx_packets); txp=$(field tx_packets)
    if [ "$PRC" = 0 ] && [ "${echo:-0}" -ge 505 ] && [ "${arp:-0}" -ge 1 ] &&
       [ "${rxp:-0}" -ge 506 ] && [ "${txp:-0}" -ge 506 ] && [ "$(field tx_dropped)" = 0 ] &&
       [ "$(field rx_dropped)" = 0 ] && [ "$(field tx_fail)" = 0 ]; then
        pass "$mode: probe stats: rx_packets=$rxp rx_batches=$(field rx_batches) max_batch=$(field max_batch) tx_packets=$txp tx_batches=$(field tx_batches) tx_dropped=0 arp=$arp echo=$echo"
    else
        fail "$mode: probe stop (exit $PRC): $STOPLINE"
    fi
    if a timeout 5 ip link show dev "$IFA" | grep -q 'prog/xdp'; then
        fail "$mode: program still attached after close"
    else
        pass "$mode: close detached the program"
    fi
}

run_mode native
run_mode generic

# Busy polling (best-effort socket options; the probe polls rx_burst instead of waiting).
if start_probe auto auto busy; then
    b timeout 20 ping -c 5 -i 0.2 -W 2 "$ADDR" >"$TMP/ping.out" 2>&1; prc=$?
    stop_probe
    if [ "$prc" = 0 ] && grep -q ' 5 received' "$TMP/ping.out" && [ "$PRC" = 0 ]; then
        pass "busy-poll: ping -c 5 answered (rx_batches=$(field rx_batches))"
    else
        fail "busy-poll: ping exit $prc, probe exit $PRC: $STOPLINE"
    fi
else
    fail "busy-poll: open: $(grep -m1 '^ERROR' "$TMP/probe.out")"
fi

# Zero-copy: veth has no zero-copy AF_XDP, so asking for it must fail cleanly (and detach).
if start_probe native on; then
    stop_probe
    pass "zero-copy: granted on $IFA (the driver has it)"
else
    zc=$(grep -m1 '^ERROR' "$TMP/probe.out")
    if printf '%s\n' "$zc" | grep -q 'errno=ENOTSUP/EOPNOTSUPP: .*zero-copy' &&
       ! a timeout 5 ip link show dev "$IFA" | grep -q 'prog/xdp'; then
        pass "zero-copy refused cleanly, nothing left attached: $zc"
    else
        fail "zero-copy: $zc"
    fi
fi

# A second open while the first holds the interface: EBUSY, and the first keeps working.
if start_probe native auto; then
    a timeout 10 "$PROBE" "$IFA" "$ADDR" auto auto 5 >"$TMP/busy.out" 2>&1; prc=$?
    b timeout 10 ping -c 1 -W 2 "$ADDR" >/dev/null 2>&1; prc2=$?
    if [ "$prc" = 1 ] && grep -q '^ERROR open errno=EBUSY' "$TMP/busy.out" && [ "$prc2" = 0 ]; then
        pass "second open: $(cat "$TMP/busy.out"); the first still answers"
    else
        fail "second open (exit $prc, ping $prc2): $(cat "$TMP/busy.out")"
    fi
    # The interface goes away under the probe: rx_burst reports ENXIO and the probe exits.
    a timeout 5 ip link del "$IFA"
    i=0
    while [ $i -lt 40 ] && kill -0 "$PROBE_PID" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
    if kill -0 "$PROBE_PID" 2>/dev/null; then
        fail "probe still running 2 s after its interface was deleted"
        stop_probe
    else
        wait "$PROBE_PID"; prc=$?
        PROBE_PID=
        err=$(grep -m1 '^ERROR rx_burst' "$TMP/probe.out")
        if [ "$prc" = 1 ] && printf '%s\n' "$err" | grep -Eq 'errno=(ENXIO|ENETDOWN)'; then
            pass "interface deleted under the probe: $err, exit 1"
        else
            fail "interface deleted (exit $prc): $(grep -m1 -E '^(ERROR|STOP|END)' "$TMP/probe.out")"
        fi
    fi
else
    fail "native reopen: $(grep -m1 '^ERROR' "$TMP/probe.out")"
fi

cleanup
if ip netns list 2>/dev/null | grep -Eq "^($NSA|$NSB)( |\$)"; then
    fail "namespaces still present after cleanup"
else
    pass "namespaces $NSA and $NSB deleted"
fi
[ "$fails" = 0 ]
