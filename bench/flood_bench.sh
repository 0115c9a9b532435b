#!/bin/sh
# SYN-flood benchmark of issue 9 (item 7): the whole server on ONE core, for synack and Linux
# alike, from one run. Not part of `make test`. Run as root from the repo root:
#   sh bench/flood_bench.sh [SECONDS]
# SECONDS: length of each flood (default 8, 3..30); about 3 minutes in all. Environment:
#   MODES       rows to run, in this order (default: all of them)
#               "linux tun tun-ceiling tun-rate xdp xdp-busy xdp-ceiling"
#   FLOOD_RATE  SYN/s of the fixed-rate TUN row "tun-rate" (default 200000)
#   BACKLOG     accept queue and SYN queue (default 128: Linux's listen backlog/somaxconn and
#               tcp_max_syn_backlog; synack --backlog and --syn-backlog)
#   TIMEOUT     seconds a legitimate connection may take (default 3)
#   XDP_GENERIC auto (default: a generic-mode row only when native XDP fails), 1 (always), 0
#   TR_HOW      how the TUN ceiling waits: poll (default), block or spin (bench/tun/responder.c)
#   QUIET_WAIT  seconds to wait, before each flood, for other processes to leave the CPUs alone
#               (default 5); REDO: floods again up to REDO times (default 1) when others used
#               more than 5% of a CPU during it (printed: "figures disturbed")
#   STEER=0     no RPS, no threaded NAPI: the kernel's receive processing stays where the kernel
#               puts it (the sender's CPU: the trap of issue 9); to show it, not to measure
#   SYNACK      the binary (default build/synack); CC the compiler
# Needs 2 CPUs: the server side runs on CPU 0, the flooder and the clients on CPU 1.
#
# What "on one core" means here. The server's core (CPU 0) does, for every mode:
#   - the server process (taskset -c 0): synack serve, the ceiling responders, Linux's echo
#     server (bench/tun/loadgen.c server);
#   - the kernel's receive processing of the server's interfaces. On a veth pair the kernel
#     runs the receiving peer's input on the CPU that SENT the packet (veth_xmit -> netif_rx on
#     the sender's CPU; with XDP on the receiving end, its NAPI is scheduled on the sender's
#     CPU), so without steering the flooder's core would pay the server's receive path. So:
#     RPS (rx-0/rps_cpus = 1) on the server's veth and on synack's TUN; for a veth with XDP,
#     threaded NAPI (/sys/class/net/DEV/threaded = 1) with its napi/DEV-* kthread pinned to
#     CPU 0 (taskset -p);
#   - in TUN modes, the kernel's forwarding into and out of the TUN (it runs in the receive
#     processing of the veth, and in synack's write() on the TUN).
# And the client side (CPU 1): the flooder and the legitimate clients (taskset -c 1), and the
# receive processing of the client namespace's veth (rps_cpus = 2), where the replies come in
# and die. /proc/stat and /proc/net/softnet_stat are sampled around every flood to show where
# the work landed (busy% and receive-processed packets per CPU, printed below the table).
#
# Namespaces, new for each mode and removed after it (and by the EXIT trap): C (clients,
# flooder) and S (the server), joined by a veth pair (C 10.77.80.1/24, S 10.77.80.2/24).
# Addresses only in 10.77.0.0/16; spoofed flood sources only in 10.78.0.0/16; no default
# route anywhere. C has a blackhole route for 10.78.0.0/16 and no forwarding: every reply to a
# spoofed source comes back to C and dies there. S routes 10.78.0.0/16 back to C (via
# 10.77.80.1), so that Linux really answers the flood (with a blackhole route in S it would
# drop each SYN before queueing it).
#   linux        Linux serving on S's veth (10.77.80.2:7): tcp_syncookies=1, backlog BACKLOG,
#                loadgen's echo server on CPU 0.
#   tun          synack serve --tun in S (kernel 10.77.81.1/24, synack 10.77.81.2:7), S
#                forwarding between the veth and the TUN; --app echo --syncookies auto.
#   tun-ceiling  bench/tun/responder.c on the same TUN (txqueuelen 8192, as synack sets it): one
#                read and one write per SYN, a RST.
#   tun-rate     the tun mode at FLOOD_RATE SYN/s (the ">= 99.9% legitimate at 200k SYN/s"
#                target).
#   xdp          synack serve --xdp on S's veth (no kernel address there; synack is
#                10.77.80.2), native XDP (NAPI threaded, pinned) and, see XDP_GENERIC, generic
#                XDP (it runs in the veth's receive path: RPS as for Linux).
#   xdp-busy     the xdp row with synack serve --busy-poll (never sleeps; NAPI still pinned).
#   xdp-ceiling  bench/xdp/responder.c on the same veth (skipped while it is missing), once
#                per xdp row (--generic, --busy-poll to match).
# Each mode floods at the flooder's top rate (tun-rate: at FLOOD_RATE) three times: alone (the
# row's offered and answered rates: legitimate clients share the flooder's core and slow it
# down), then with 1 and with 16 legitimate clients at a time (tests/live/flooder.c conn:
# connect, 32-byte echo, close; a failure is a refusal, a reset or no reply within TIMEOUT).
# The ceilings flood once, without clients (they answer every SYN with a RST).
# Every flood is bounded in packets and time (flooder syn --count, --duration).
# Figures:
#   offered   SYNs per second the flooder sent (its own count and clock)
#   answered  replies to 10.78.0.0/16 (SYN-ACKs; RSTs for the ceilings) that arrived in C and
#             died there (C's IpInAddrErrors + IpExtInNoRoutes), per second of flood: counted
#             where they are received, not where they are sent
#   ans%      answered / offered; *: >= 97%, i.e. the one flooder core, not the server, was the
#             limit (the row's answered rate is a lower bound of what the server can do)
#   xLinux    answered / Linux's answered; xCeil: / the ceiling on the same link
#   ok%       legitimate connections that succeeded; p99: connect time, over every attempt, a
#             failure counting as infinitely slow ("inf" when more than 1% failed)
# every process of this run carries SYNACK_FB=<pid> in its environment (foreign_snap)
[ "${SYNACK_FB:-}" = $$ ] || exec env SYNACK_FB=$$ sh "$0" "$@"
SECS=${1:-8}
MODES=${MODES:-linux tun tun-ceiling tun-rate xdp xdp-busy xdp-ceiling}
FLOOD_RATE=${FLOOD_RATE:-200000}
BACKLOG=${BACKLOG:-128}
TIMEOUT=${TIMEOUT:-3}
XDP_GENERIC=${XDP_GENERIC:-auto}
TR_HOW=${TR_HOW:-poll}
QUIET_WAIT=${QUIET_WAIT:-5}
REDO=${REDO:-1}
STEER=${STEER:-1}
BUILD=${BUILD:-build}
SYNACK=${SYNACK:-$BUILD/synack}
CC=${CC:-cc}
CMDLINE="$0 $*"
ENVLINE="MODES=\"$MODES\" FLOOD_RATE=$FLOOD_RATE BACKLOG=$BACKLOG TIMEOUT=$TIMEOUT XDP_GENERIC=$XDP_GENERIC TR_HOW=$TR_HOW QUIET_WAIT=$QUIET_WAIT REDO=$REDO STEER=$STEER SYNACK=$SYNACK"

die() { echo "flood_bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
[ -x "$SYNACK" ] || die "build $SYNACK first (make)"
[ -c /dev/net/tun ] || die "/dev/net/tun missing"
for t in ip nstat taskset timeout awk ethtool "$CC"; do
    command -v "$t" >/dev/null 2>&1 || die "$t missing"
done
case $SECS in ''|*[!0-9]*) echo "flood_bench: SECONDS must be a whole number"; exit 2;; esac
[ "$SECS" -ge 3 ] && [ "$SECS" -le 30 ] || { echo "flood_bench: SECONDS between 3 and 30"; exit 2; }
grep -q '^cpu1 ' /proc/stat && grep -q '^cpu0 ' /proc/stat || die "needs CPUs 0 and 1"
ON0="taskset -c 0"
ON1="taskset -c 1"
COUNT=$((SECS * 1500000)); [ $COUNT -gt 20000000 ] && COUNT=20000000
case $QUIET_WAIT$REDO in *[!0-9]*) die "QUIET_WAIT and REDO are whole numbers";; esac
# how long a server may live (its timeout(1) bound): three floods (one for the ceilings), each
# tried up to REDO + 1 times after waiting up to QUIET_WAIT s
LIFE=$(( (REDO + 1) * 3 * (QUIET_WAIT + SECS + TIMEOUT + 8) + 30 ))
LIFE1=$(( (REDO + 1) * (QUIET_WAIT + SECS + 8) + 30 ))

TMP=$(mktemp -d /tmp/synack-floodbench.XXXXXX) || exit 1
FL=$TMP/flooder; LG=$TMP/loadgen; TR=$TMP/tun-responder; XR=$TMP/xdp-responder
# a copy of the binary: the one measured, even if build/ is rebuilt meanwhile
cp "$SYNACK" "$TMP/synack" && "$TMP/synack" help >/dev/null 2>&1 || die "cannot copy $SYNACK"
BIN_ID="$SYNACK $(sha256sum "$SYNACK" | cut -c1-12), built $(date -r "$SYNACK" '+%Y-%m-%d %H:%M'), tree $(git describe --always --dirty 2>/dev/null || echo ?)"
SYNACK=$TMP/synack
$CC -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$FL" tests/live/flooder.c || die "cannot build the flooder"
$CC -O2 -Wall -Wextra -o "$LG" bench/tun/loadgen.c || die "cannot build loadgen"
$CC -O2 -Wall -Wextra -o "$TR" bench/tun/responder.c || die "cannot build bench/tun/responder.c"
XR_OK=0
if [ -f bench/xdp/responder.c ]; then
    # shellcheck disable=SC2046
    if $CC -O2 -Iinclude -o "$XR" bench/xdp/responder.c "$BUILD/libsynack.a" \
            $(pkg-config --libs libxdp libbpf 2>/dev/null) -lpthread >"$TMP/xr.log" 2>&1; then
        XR_OK=1
    else
        XR_WHY="bench/xdp/responder.c does not build: $(head -n 3 "$TMP/xr.log" | tr '\n' ' ')"
    fi
else
    XR_WHY="bench/xdp/responder.c is not there yet"
fi

C=synack-fbc-$$
S=synack-fbs-$$
CDEV=fc$$          # C's end of the veth
SDEV=fs$$          # S's end (napi/fs<pid>-N when threaded)
TDEV=ft$$          # the TUN in S
PIDS=
cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    [ -n "$PIDS" ] && sleep 0.5
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    PIDS=
    ip netns del "$C" 2>/dev/null
    ip netns del "$S" 2>/dev/null
}
trap 'cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# field FILE KEY: the word after KEY (0 if absent)
field() {
    _v=$(awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1" 2>/dev/null)
    echo "${_v:-0}"
}
nsx() { _n=$1; shift; ip netns exec "$_n" "$@"; }
sysv() { nsx "$1" cat "/sys/class/net/$2/$3" 2>/dev/null || echo 0; }

# setup MODE-KIND (kernel|tun|xdp): the two namespaces and the veth; RPS for the client side.
setup() {
    ip netns add "$C" && ip netns add "$S" || die "ip netns add failed"
    nsx "$C" ip link set lo up && nsx "$S" ip link set lo up || die "lo up failed"
    nsx "$C" ip link add "$CDEV" type veth peer name "$SDEV" netns "$S" || die "veth failed"
    nsx "$C" ip addr add 10.77.80.1/24 dev "$CDEV" && nsx "$C" ip link set "$CDEV" up &&
        nsx "$S" ip link set "$SDEV" up || die "veth setup failed"
    # the clients compute their TCP checksums in software, in every mode: a veth would hand an
    # XDP program frames whose checksum is still left to offload (CHECKSUM_PARTIAL)
    nsx "$C" ethtool -K "$CDEV" tx off >/dev/null 2>&1 || die "ethtool -K $CDEV tx off failed"
    nsx "$C" ip route add blackhole 10.78.0.0/16 || die "blackhole route failed"
    nsx "$C" sysctl -q -w net.ipv4.ip_forward=0 net.ipv4.tcp_tw_reuse=1 \
        net.ipv4.ip_local_port_range="1024 65535" || die "sysctl (C) failed"
    # the replies' receive processing in C: on the client core, not on the sender's (CPU 0)
    [ "$STEER" = 1 ] && { nsx "$C" sh -c "echo 2 > /sys/class/net/$CDEV/queues/rx-0/rps_cpus" || die "RPS (C) failed"; }
    nsx "$S" sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
        net.ipv4.tcp_syncookies=1 net.core.somaxconn="$BACKLOG" \
        net.ipv4.tcp_max_syn_backlog="$BACKLOG" || die "sysctl (S) failed"
    case $1 in
    kernel|tun)
        nsx "$S" ip addr add 10.77.80.2/24 dev "$SDEV" || die "address (S) failed"
        nsx "$S" ip route add 10.78.0.0/16 via 10.77.80.1 || die "route (S) failed"
        # S's veth input (the flood, the clients): on the server core
        [ "$STEER" = 1 ] && { nsx "$S" sh -c "echo 1 > /sys/class/net/$SDEV/queues/rx-0/rps_cpus" || die "RPS (S) failed"; }
        ;;
    esac
    if [ "$1" = tun ]; then
        nsx "$S" sysctl -q -w net.ipv4.ip_forward=1 || die "forwarding (S) failed"
        nsx "$C" ip route add 10.77.81.0/24 via 10.77.80.2 || die "route (C) failed"
    else
        nsx "$S" sysctl -q -w net.ipv4.ip_forward=0 || die "sysctl (S) failed"
    fi
    for n in "$C" "$S"; do
        nsx "$n" ip route show | grep -q '^default' && die "a default route in $n"
    done
    return 0
}

# wait_for FILE PATTERN PID: until PATTERN appears in FILE (10 s), or PID ends. 1 on failure.
wait_for() {
    _i=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        kill -0 "$3" 2>/dev/null || return 1
        _i=$((_i + 1)); [ $_i -gt 200 ] && return 1
        sleep 0.05
    done
    return 0
}

# stop_server PID: SIGTERM, wait (bounded)
stop_server() {
    kill -TERM "$1" 2>/dev/null
    _i=0
    while kill -0 "$1" 2>/dev/null && [ $_i -lt 200 ]; do sleep 0.1; _i=$((_i + 1)); done
    kill -0 "$1" 2>/dev/null && note "a server did not stop within 20 s of SIGTERM (killed)"
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# tun_rps: the TUN's own receive processing (synack's writes) on the server core too
tun_rps() {
    [ "$STEER" = 1 ] || return 0
    nsx "$S" sh -c "echo 1 > /sys/class/net/$TDEV/queues/rx-0/rps_cpus" || echo "flood_bench: RPS on the TUN failed" >&2
}

# napi_pin: threaded NAPI on S's veth (XDP modes), the kthread(s) on CPU 0. Sets NAPI_PIDS.
napi_pin() {
    NAPI_PIDS=
    [ "$STEER" = 1 ] || return 0
    nsx "$S" sh -c "echo 1 > /sys/class/net/$SDEV/threaded" 2>/dev/null ||
        { echo "flood_bench: threaded NAPI on $SDEV refused" >&2; return 1; }
    for _d in /proc/[0-9]*; do
        _c=$(cat "$_d/comm" 2>/dev/null) || continue
        case $_c in "napi/$SDEV-"*|"napi/$SDEV") NAPI_PIDS="$NAPI_PIDS ${_d#/proc/}";; esac
    done
    [ -n "$NAPI_PIDS" ] || { echo "flood_bench: no napi/$SDEV-* kthread" >&2; return 1; }
    for _p in $NAPI_PIDS; do taskset -pc 0 "$_p" >/dev/null || return 1; done
    return 0
}

# ---- sampling around a flood ----
cpu_snap() { awk '$1 == "cpu0" || $1 == "cpu1" { print }' /proc/stat >"$1"; }
# cpu_delta A B CPU: "busy% (usr/sys/softirq)" of CPU between the snapshots
cpu_delta() {
    awk -v c="cpu$3" 'FNR == NR { if ($1 == c) for (i = 2; i <= 11; i++) a[i] = $i; next }
        $1 == c { t = 0; for (i = 2; i <= 11; i++) { d[i] = $i - a[i]; t += d[i] }
                  if (t <= 0) { print "-"; exit }
                  printf "%.0f%% (usr %.0f sys %.0f si %.0f)", 100 * (t - d[5] - d[6]) / t,
                         100 * (d[2] + d[3]) / t, 100 * d[4] / t, 100 * (d[7] + d[8]) / t }' "$1" "$2"
}
# softnet_snap FILE: "cpu processed dropped" per CPU, decimal (the 13th column is the CPU)
softnet_snap() {
    while read -r _p _d _x3 _x4 _x5 _x6 _x7 _x8 _x9 _x10 _x11 _x12 _c _rest; do
        echo "$((0x$_c)) $((0x$_p)) $((0x$_d))"
    done </proc/net/softnet_stat >"$1"
}
# softnet_delta A B: "cpu0 processed P dropped D, cpu1 ..."
softnet_delta() {
    awk 'FNR == NR { p[$1] = $2; d[$1] = $3; next }
        { printf "%scpu%d processed %d dropped %d", (n++ ? ", " : ""), $1, $2 - p[$1], $3 - d[$1] }
        END { print "" }' "$1" "$2"
}
BENCH_TAG=SYNACK_FB
. "$(dirname "$0")/quiet.inc"
nst() { NSTAT_HISTORY=$TMP/nstat.hist ip netns exec "$1" nstat -asz 2>/dev/null; }
died() { nst "$C" >"$TMP/n"; echo $(( $(field "$TMP/n" IpInAddrErrors) + $(field "$TMP/n" IpExtInNoRoutes) )); }

# flood TAG TARGET CONC RATE: a flood at RATE (0: top speed) with CONC legitimate clients
# (0: none) against TARGET; results in $TMP/TAG.*. Waits for the others to be quiet first
# (QUIET_WAIT), and floods again (up to REDO times) when they were not quiet meanwhile.
flood() {
    _try=0
    while :; do
        wait_quiet || :
        flood_once "$@"
        # shellcheck disable=SC2046
        busy $(cat "$TMP/$1.fg") "$(awk -v s="$SECS" 'BEGIN { print 0.05 * s }')" || return 0
        [ $_try -ge "$REDO" ] && break
        _try=$((_try + 1))
        echo "flood_bench: $1: others were busy during the flood ($(cat "$TMP/$1.fg") CPU-s), once more" >&2
    done
    note "$1: other processes used $(awk '{ print $1 }' "$TMP/$1.fg") CPU-s (+ $(awk '{ print $2 }' "$TMP/$1.fg") in children they reaped) during the flood, $((REDO + 1)) tries: figures disturbed"
}
flood_once() {
    _tag=$1
    foreign_snap "$TMP/$_tag.fg0"
    cpu_snap "$TMP/$_tag.cpu0"; softnet_snap "$TMP/$_tag.sn0"
    _d0=$(died); _rx0=$(sysv "$C" "$CDEV" statistics/rx_packets); _txd0=$(sysv "$C" "$CDEV" statistics/tx_dropped)
    _q0=$(sysv "$S" "$TDEV" statistics/tx_dropped)
    ip netns exec "$C" timeout $((SECS + 10)) $ON1 "$FL" syn --to "$2" --count "$COUNT" --rate "$4" \
        --duration "$SECS" >"$TMP/$_tag.flood" 2>&1 &
    _fp=$!
    PIDS="$PIDS $_fp"
    if [ "$3" -gt 0 ]; then
        sleep 0.5
        nsx "$C" timeout $((SECS + TIMEOUT + 10)) $ON1 "$FL" conn --to "$2" --conc "$3" \
            --duration $((SECS - 1)) --timeout "$TIMEOUT" >"$TMP/$_tag.conn" 2>&1
    fi
    wait "$_fp"
    sleep 0.3
    cpu_snap "$TMP/$_tag.cpu1"; softnet_snap "$TMP/$_tag.sn1"
    foreign_snap "$TMP/$_tag.fg1"
    foreign_delta "$TMP/$_tag.fg0" "$TMP/$_tag.fg1" >"$TMP/$_tag.fg"
    _d1=$(died); _rx1=$(sysv "$C" "$CDEV" statistics/rx_packets); _txd1=$(sysv "$C" "$CDEV" statistics/tx_dropped)
    _q1=$(sysv "$S" "$TDEV" statistics/tx_dropped)
    {
        echo "answered $((_d1 - _d0)) c_rx $((_rx1 - _rx0)) c_txdrop $((_txd1 - _txd0)) tun_txdrop $((_q1 - _q0))"
        echo "cpu0 $(cpu_delta "$TMP/$_tag.cpu0" "$TMP/$_tag.cpu1" 0)"
        echo "cpu1 $(cpu_delta "$TMP/$_tag.cpu0" "$TMP/$_tag.cpu1" 1)"
        echo "softnet $(softnet_delta "$TMP/$_tag.sn0" "$TMP/$_tag.sn1")"
        echo "others_cpu_s $(cat "$TMP/$_tag.fg") (CPU-s of processes not of this benchmark: theirs, their reaped children's)"
    } >"$TMP/$_tag.m"
}

# run_floods ROW TARGET RATE CLIENTS(1|0): a flood without clients (the row's offered and
# answered rates: the legitimate clients share the flooder's core and would slow it), then,
# with CLIENTS=1, one with 1 and one with 16 legitimate clients at a time
ROWS=
run_floods() {
    _row=$1
    _tags=$_row.c0
    flood "$_row.c0" "$2" 0 "$3"
    if [ "$4" = 1 ]; then
        flood "$_row.c1" "$2" 1 "$3"
        flood "$_row.c16" "$2" 16 "$3"
        _tags="$_tags $_row.c1 $_row.c16"
    fi
    for t in $_tags; do
        awk -v a="$(field "$TMP/$t.m" answered)" -v s="$(field "$TMP/$t.flood" sent)" \
            -v t="$(field "$TMP/$t.flood" seconds)" \
            'BEGIN { if (t > 0) printf "offered %.0f answered %.0f\n", s / t, a / t; else print "offered 0 answered 0" }' >"$TMP/$t.res"
    done
    cp "$TMP/$_row.c0.res" "$TMP/$_row.res"
    echo "$_tags" >"$TMP/$_row.tags"
    ROWS="$ROWS $_row"
}

# serve_synack ROW LINKARGS...: synack serve on CPU 0 in S; SP its pid
serve_synack() {
    _r=$1; shift
    # $! is timeout(1) (--foreground: it passes one SIGTERM on to serve, which then stops cleanly)
    ip netns exec "$S" timeout --foreground -k 30 "$LIFE" $ON0 "$SYNACK" serve "$@" --port 7 --app echo \
        --backlog "$BACKLOG" --syn-backlog "$BACKLOG" --syncookies auto \
        >"$TMP/$_r.serve.out" 2>"$TMP/$_r.serve.err" &
    SP=$!
    PIDS="$PIDS $SP"
    echo "synack serve $* --port 7 --app echo --backlog $BACKLOG --syn-backlog $BACKLOG --syncookies auto" >"$TMP/$_r.cmd"
    wait_for "$TMP/$_r.serve.err" ' app on ' "$SP"
}

note() { echo "$*" >>"$TMP/notes"; }

# ---- the modes ----
mode_linux() {
    setup kernel linux
    ip netns exec "$S" timeout "$LIFE" $ON0 "$LG" server 7 echo >/dev/null 2>&1 &
    _lp=$!
    PIDS="$PIDS $_lp"
    _i=0
    until nsx "$S" ss -ltn 2>/dev/null | grep -q ':7 '; do
        _i=$((_i + 1)); [ $_i -gt 100 ] && die "the Linux echo server did not start"
        sleep 0.05
    done
    echo "loadgen server 7 echo (Linux $(uname -r), tcp_syncookies=1, somaxconn $BACKLOG, tcp_max_syn_backlog $BACKLOG)" >"$TMP/linux.cmd"
    nst "$S" >"$TMP/linux.s0"
    run_floods linux 10.77.80.2:7 0 1
    kill -0 "$_lp" 2>/dev/null || note "linux: the echo server did not last until the end of the floods"
    nst "$S" >"$TMP/linux.s1"
    cleanup
}

mode_tun() { # ROW RATE
    setup tun "$1"
    if ! serve_synack "$1" --tun "$TDEV" --addr 10.77.81.2 --host-addr 10.77.81.1/24; then
        note "$1: synack serve --tun did not start: $(head -n 3 "$TMP/$1.serve.err" | tr '\n' ' ')"
        cleanup; return 1
    fi
    tun_rps
    run_floods "$1" 10.77.81.2:7 "$2" 1
    kill -0 "$SP" 2>/dev/null || note "$1: synack serve did not last until the end of the floods"
    stop_server "$SP"
    cleanup
}

mode_tun_ceiling() {
    setup tun tun-ceiling
    nsx "$S" ip tuntap add mode tun name "$TDEV" && nsx "$S" ip addr add 10.77.81.1/24 dev "$TDEV" &&
        nsx "$S" ip link set "$TDEV" txqueuelen 8192 up || die "TUN setup failed"   # as synack sets it
    ip netns exec "$S" timeout $((LIFE1 + 10)) $ON0 "$TR" "$TDEV" "$LIFE1" "$TR_HOW" >"$TMP/tun-ceiling.out" 2>&1 &
    _rp=$!
    PIDS="$PIDS $_rp"
    wait_for "$TMP/tun-ceiling.out" 'responder on' "$_rp" || die "the TUN responder did not start"
    echo "bench/tun/responder $TDEV $LIFE1 $TR_HOW (one read + one write per SYN: a RST)" >"$TMP/tun-ceiling.cmd"
    tun_rps
    run_floods tun-ceiling 10.77.81.2:7 0 0
    stop_server "$_rp"
    cleanup
}

mode_xdp() { # XMODE (native|generic) [busy]
    _row=xdp-$1${2:+-busy}
    setup xdp "$_row"
    if ! serve_synack "$_row" --xdp "$SDEV" --xdp-mode "$1" --addr 10.77.80.2/24 ${2:+--busy-poll}; then
        _why=$(grep -v '^ *$' "$TMP/$_row.serve.err" | head -n 3 | tr '\n' ' ')
        if [ "$1" = native ] && [ -z "$2" ] && [ "$XDP_GENERIC" != 0 ]; then
            note "$_row: native XDP unavailable, generic mode instead: $_why"
        else
            note "$_row: synack serve --xdp did not start: $_why"
        fi
        cleanup; return 1
    fi
    if [ "$1" = generic ]; then
        # generic XDP runs in the veth's receive path (netif_rx, no NAPI of its own): RPS
        NAPI_PIDS=
        [ "$STEER" = 1 ] && { nsx "$S" sh -c "echo 1 > /sys/class/net/$SDEV/queues/rx-0/rps_cpus" || die "RPS (S) failed"; }
    elif ! napi_pin; then
        note "$_row: threaded NAPI could not be pinned to CPU 0: its receive work would land on the flooder's core"
        stop_server "$SP"; cleanup; return 1
    fi
    echo "$NAPI_PIDS" >"$TMP/$_row.napi"
    for p in $NAPI_PIDS; do cat "/proc/$p/stat" >"$TMP/$_row.napi.$p.0"; done
    run_floods "$_row" 10.77.80.2:7 0 1
    kill -0 "$SP" 2>/dev/null || note "$_row: synack serve did not last until the end of the floods"
    for p in $NAPI_PIDS; do cat "/proc/$p/stat" >"$TMP/$_row.napi.$p.1" 2>/dev/null; done
    stop_server "$SP"
    cleanup
    return 0
}

mode_xdp_ceiling() { # XMODE [busy]
    _row=xdp-ceiling-$1${2:+-busy}
    [ "$XR_OK" = 1 ] || { note "$_row: skipped: $XR_WHY"; return 1; }
    setup xdp "$_row"
    _g=; [ "$1" = generic ] && _g=--generic
    [ -n "$2" ] && _g="$_g --busy-poll"
    ip netns exec "$S" timeout $((LIFE1 + 10)) $ON0 "$XR" --xdp "$SDEV" --addr 10.77.80.2 \
        --duration "$LIFE1" $_g >"$TMP/$_row.out" 2>&1 &
    _rp=$!
    PIDS="$PIDS $_rp"
    if ! wait_for "$TMP/$_row.out" 'answering SYNs' "$_rp"; then
        note "$_row: bench/xdp/responder did not start: $(head -n 3 "$TMP/$_row.out" | tr '\n' ' ')"
        cleanup; return 1
    fi
    if ! grep -q " $1 XDP" "$TMP/$_row.out"; then
        note "$_row: bench/xdp/responder is not in $1 mode: $(head -n 1 "$TMP/$_row.out")"
        cleanup; return 1
    fi
    echo "bench/xdp/responder --xdp $SDEV --addr 10.77.80.2 --duration $LIFE1 $_g" >"$TMP/$_row.cmd"
    if [ "$1" = generic ]; then
        [ "$STEER" = 1 ] && { nsx "$S" sh -c "echo 1 > /sys/class/net/$SDEV/queues/rx-0/rps_cpus" || die "RPS (S) failed"; }
    elif ! napi_pin; then
        note "$_row: threaded NAPI could not be pinned to CPU 0"
        cleanup; return 1
    fi
    run_floods "$_row" 10.77.80.2:7 0 0
    stop_server "$_rp"
    cleanup
}

START=$(date +%s)
XMODES=
XBUSY=
for m in $MODES; do
    case $m in
    linux) mode_linux ;;
    tun) mode_tun tun 0 ;;
    tun-rate) mode_tun tun-rate "$FLOOD_RATE" ;;
    tun-ceiling) mode_tun_ceiling ;;
    xdp)
        if mode_xdp native; then
            XMODES=native
            [ "$XDP_GENERIC" = 1 ] && mode_xdp generic && XMODES="native generic"
        elif [ "$XDP_GENERIC" != 0 ]; then
            mode_xdp generic && XMODES=generic
        fi
        ;;
    xdp-busy)
        XBUSY=${XMODES%% *}
        mode_xdp "${XBUSY:=native}" busy || XBUSY=
        ;;
    xdp-ceiling)
        for x in ${XMODES:-native}; do mode_xdp_ceiling "$x"; done
        [ -n "$XBUSY" ] && mode_xdp_ceiling "$XBUSY" busy
        ;;
    *) die "unknown mode $m" ;;
    esac
done
END=$(date +%s)

# ---- the table ----
res() { [ -f "$TMP/$1.res" ] && field "$TMP/$1.res" "$2" || echo ""; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
conn() { [ -f "$TMP/$1.conn" ] && field "$TMP/$1.conn" "$2" || echo "-"; }
# ansp ROW: answered % of offered; fbound ROW: true when the row answered >= 97% of the flood
# (bounded by the one flooder core, not by the server: its answered rate says how fast the
# flooder went, and a ratio involving it is a lower bound or meaningless)
ansp() { awk -v a="$(res "$1" answered)" -v o="$(res "$1" offered)" 'BEGIN { if (o > 0) printf "%.0f", 100 * a / o; else print "-" }'; }
fbound() { [ -f "$TMP/$1.res" ] && awk -v a="$(res "$1" answered)" -v o="$(res "$1" offered)" 'BEGIN { exit !(o > 0 && a >= 0.97 * o) }'; }
LIN=$(res linux answered)
echo "SYN flood, the whole server on CPU 0 (process + its interfaces' receive processing), flooder and clients on CPU 1"
echo "kernel $(uname -r), $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)); floods of $SECS s," \
    "spoofed sources in 10.78.0.0/16; backlog $BACKLOG; cookies on (Linux tcp_syncookies=1, synack auto); client timeout $TIMEOUT s"
printf '%-24s %9s %10s %5s %6s %6s %8s %8s %9s %9s %5s %5s\n' "row" "offered/s" "answrd/s" "ans%" "xLinux" "xCeil" \
    "ok%c=1" "ok%c=16" "p99ms c=1" "p99 c=16" "cpu0%" "cpu1%"
STARS=0
for r in $ROWS; do
    case $r in
    tun|tun-rate) cr=tun-ceiling ;;
    xdp-ceiling-*) cr= ;;
    xdp-*) cr=xdp-ceiling-${r#xdp-} ;;
    *) cr= ;;
    esac
    a=$(res "$r" answered)
    sr=; fbound "$r" && { sr='*'; STARS=1; }
    sl=; fbound linux && sl='*'
    sc=; [ -n "$cr" ] && fbound "$cr" && sc='*'
    xl=$( [ "$r" = linux ] && echo 1.00 || ratio "$a" "$LIN"); [ "$xl" != - ] && [ "$r" != linux ] && [ -n "$sr$sl" ] && xl="$xl*"
    xc=$(ratio "$a" "$(res "$cr" answered)"); [ "$xc" != - ] && [ -n "$sr$sc" ] && xc="$xc*"
    set -- $(cat "$TMP/$r.tags")
    c0=$(sed -n 's/^cpu0 \([0-9]*\)%.*/\1/p' "$TMP/$1.m"); c1=$(sed -n 's/^cpu1 \([0-9]*\)%.*/\1/p' "$TMP/$1.m")
    lab=$r; [ "$r" = tun-rate ] && lab="tun@$FLOOD_RATE"
    printf '%-24s %9s %10s %5s %6s %6s %8s %8s %9s %9s %5s %5s\n' "$lab" "$(res "$r" offered)" "$a$sr" "$(ansp "$r")" \
        "$xl" "$xc" "$(conn "$r.c1" success_pct)" "$(conn "$r.c16" success_pct)" "$(conn "$r.c1" p99)" "$(conn "$r.c16" p99)" \
        "$c0" "$c1"
done
echo "(answrd/s: replies to the spoofed sources counted where they died, in the clients' namespace; ans%: of the" \
    "SYNs offered; cpu0%/cpu1%: busy during the flood without clients)"
[ "$STARS" = 1 ] && echo "(*: the row answered >= 97% of the flood: bounded by the one flooder core, not by the server," \
    "whose own limit is higher; a ratio with a * compares flooder rates, not servers: see ans%)"
[ -f "$TMP/notes" ] && { echo; cat "$TMP/notes"; }
echo
echo "details per flood:"
for r in $ROWS; do
    echo "[$r] $(cat "$TMP/$r.cmd" 2>/dev/null)"
    for t in $(cat "$TMP/$r.tags"); do
        echo "  $t: flood $(cat "$TMP/$t.flood" | tr '\n' ' ')"
        [ -f "$TMP/$t.conn" ] && echo "  $t: clients $(tr '\n' ' ' <"$TMP/$t.conn")"
        echo "  $t: $(cat "$TMP/$t.res") (per second)"
        sed 's/^/  '"$t"': /' "$TMP/$t.m"
    done
    if [ -f "$TMP/$r.serve.out" ]; then
        cnt() { _v=$(awk -v n="$1" '$1 == n { print $2 }' "$TMP/$r.serve.out"); echo "${_v:-0}"; }
        echo "  synack: tcp_syn_in $(cnt tcp_syn_in) tcp_synack_sent $(cnt tcp_synack_sent)" \
            "tcp_syncookies_sent $(cnt tcp_syncookies_sent) tcp_syncookies_ok $(cnt tcp_syncookies_ok)" \
            "tcp_syncache_overflow $(cnt tcp_syncache_overflow) tcp_syn_dropped $(cnt tcp_syn_dropped)" \
            "tx_drop_queue_full $(cnt tx_drop_queue_full)"
    fi
    if [ -f "$TMP/$r.napi" ]; then
        for p in $(cat "$TMP/$r.napi"); do
            [ -f "$TMP/$r.napi.$p.1" ] || continue
            awk -v p="$p" -v hz="$(getconf CLK_TCK)" 'FNR == NR { u = $14; s = $15; next }
                { printf "  napi kthread %s %s: %.2f s CPU during the floods, last ran on CPU %s\n", p, $2, ($14 - u + $15 - s) / hz, $39 }' \
                "$TMP/$r.napi.$p.0" "$TMP/$r.napi.$p.1"
        done
    fi
    if [ "$r" = linux ] && [ -f "$TMP/linux.s1" ]; then
        sd() { echo $(( $(field "$TMP/linux.s1" "$1") - $(field "$TMP/linux.s0" "$1") )); }
        echo "  linux: TcpExtSyncookiesSent $(sd TcpExtSyncookiesSent) TcpExtSyncookiesRecv $(sd TcpExtSyncookiesRecv)" \
            "TcpExtSyncookiesFailed $(sd TcpExtSyncookiesFailed) TcpExtTCPReqQFullDoCookies $(sd TcpExtTCPReqQFullDoCookies)" \
            "TcpExtTCPReqQFullDrop $(sd TcpExtTCPReqQFullDrop) TcpExtListenDrops $(sd TcpExtListenDrops)" \
            "TcpExtListenOverflows $(sd TcpExtListenOverflows)"
    fi
    [ -f "$TMP/$r.out" ] && sed "s/^/  /" "$TMP/$r.out"
done
echo
echo "synack: $BIN_ID"
echo "command: $ENVLINE sh $CMDLINE   ($((END - START)) s)"
[ -f "$TMP/notes" ] && grep -q 'did not\|could not' "$TMP/notes" && exit 1
exit 0
