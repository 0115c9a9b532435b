#!/bin/sh
# Benchmark of issue 4: a live SYN flood against synack serve on a TUN device and, in the same
# run, against the Linux kernel (net.ipv4.tcp_syncookies=1) serving on a veth pair. Not part of
# `make test`. Run as root from the repo root:
#   sh bench/flood_bench.sh [SECONDS]
# SECONDS: length of each flood (default 10). Environment: FLOOD_RATE SYNs per second offered
# (default 0: as fast as the flooder goes), BACKLOG (default 256: synack --backlog and
# --syn-backlog; Linux somaxconn and tcp_max_syn_backlog), CONC legitimate clients at a time
# (default 4), TIMEOUT per legitimate connection in seconds (default 3), PIN=0 to leave CPUs
# alone (default: flooder and clients on CPU 0, the server - synack, or Linux's receive
# processing via RPS and its echo process - on CPU 1). Builds tests/live/flooder.c and
# bench/tun/loadgen.c into $BUILD/bench/.
#
# Namespaces (all removed on exit; addresses only in 10.77.0.0/16, spoofed sources only in
# 10.78.0.0/16, no default route anywhere):
#   C  flooder + clients; synack serve on TUN synack-fbt (kernel 10.77.70.1, synack 10.77.70.2);
#      blackhole 10.78.0.0/16 (synack's SYN-ACKs to the spoofed sources come back into C through
#      the TUN and die here)
#   S  Linux server 10.77.71.2 (veth from C); 10.78.0.0/16 routed to K, so that Linux can route
#      its SYN-ACKs and does queue the spoofed SYNs (with a blackhole route it would drop them
#      before queueing, and the flood would cost it nothing)
#   K  sink 10.77.72.2 (veth from S): no forwarding, blackhole 10.78.0.0/16: the SYN-ACKs die
# Figures: "answered" = SYN-ACKs to 10.78.0.0/16 the server put out, per second of flood: for
# synack, those that came back through the TUN into C and died there (C's IpInAddrErrors +
# IpExtInNoRoutes: nothing is lost between synack's write() and C's IP input); for Linux, those
# S handed to its veth towards K (tx_packets + tx_dropped: some are lost in the receive backlog
# on the way to K, printed apart). Legitimate success and connect times from the clients (p99
# over every attempt, a failure counting as infinitely slow: "inf" when more than 1% failed).
SECS=${1:-10}
FLOOD_RATE=${FLOOD_RATE:-0}
BACKLOG=${BACKLOG:-256}
CONC=${CONC:-4}
TIMEOUT=${TIMEOUT:-3}
PIN=${PIN:-1}
BUILD=${BUILD:-build}
SYNACK=${SYNACK:-$BUILD/synack}
CC=${CC:-cc}

[ "$(id -u)" = 0 ] || { echo "flood_bench: needs root"; exit 1; }
[ -x "$SYNACK" ] || { echo "flood_bench: build $SYNACK first (make)"; exit 1; }
[ -c /dev/net/tun ] || { echo "flood_bench: /dev/net/tun missing"; exit 1; }
command -v nstat >/dev/null 2>&1 || { echo "flood_bench: nstat (iproute2) missing"; exit 1; }
case $SECS in ''|*[!0-9]*) echo "flood_bench: SECONDS must be a whole number"; exit 2;; esac
[ "$SECS" -ge 2 ] && [ "$SECS" -le 30 ] || { echo "flood_bench: SECONDS between 2 and 30"; exit 2; }
mkdir -p "$BUILD/bench" || exit 1
FL=$BUILD/bench/flooder
LG=$BUILD/bench/loadgen
$CC -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$FL" tests/live/flooder.c || { echo "flood_bench: cannot build the flooder"; exit 1; }
$CC -O2 -Wall -Wextra -o "$LG" bench/tun/loadgen.c || { echo "flood_bench: cannot build loadgen"; exit 1; }

if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    ON0="taskset -c 0"; ON1="taskset -c 1"; PINNED=1
else
    ON0=; ON1=; PINNED=0
fi
C=synack-fbc-$$
S=synack-fbs-$$
K=synack-fbk-$$
TMP=$(mktemp -d /tmp/synack-floodbench.XXXXXX) || exit 1
PIDS=
cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    sleep 0.3
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    ip netns del "$C" 2>/dev/null
    ip netns del "$S" 2>/dev/null
    ip netns del "$K" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP
trap 'cleanup; exit 141' PIPE
die() { echo "flood_bench: $*"; exit 1; }

ip netns add "$C" && ip netns add "$S" && ip netns add "$K" || die "ip netns add failed"
for n in "$C" "$S" "$K"; do ip -n "$n" link set lo up; done
ip -n "$C" link add synack-fcs type veth peer name synack-fsc netns "$S" &&
    ip -n "$S" link add synack-fsk type veth peer name synack-fks netns "$K" &&
    ip -n "$C" addr add 10.77.71.1/24 dev synack-fcs && ip -n "$C" link set synack-fcs up &&
    ip -n "$S" addr add 10.77.71.2/24 dev synack-fsc && ip -n "$S" link set synack-fsc up &&
    ip -n "$S" addr add 10.77.72.1/24 dev synack-fsk && ip -n "$S" link set synack-fsk up &&
    ip -n "$K" addr add 10.77.72.2/24 dev synack-fks && ip -n "$K" link set synack-fks up ||
    die "veth setup failed"
ip -n "$C" route add blackhole 10.78.0.0/16 &&
    ip -n "$S" route add 10.78.0.0/16 via 10.77.72.2 &&
    ip -n "$K" route add blackhole 10.78.0.0/16 || die "routes failed"
ip netns exec "$C" sysctl -q -w net.ipv4.ip_forward=0 net.ipv4.tcp_tw_reuse=1 \
    net.ipv4.ip_local_port_range="1024 65535" || die "sysctl (C) failed"
ip netns exec "$K" sysctl -q -w net.ipv4.ip_forward=0 || die "sysctl (K) failed"
ip netns exec "$S" sysctl -q -w net.ipv4.ip_forward=0 net.ipv4.tcp_syncookies=1 \
    net.core.somaxconn="$BACKLOG" net.ipv4.tcp_max_syn_backlog="$BACKLOG" \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv4.conf.synack-fsc.rp_filter=0 || die "sysctl (S) failed"
for n in "$C" "$S" "$K"; do
    ip -n "$n" route show | grep -q '^default' && die "a default route in $n"
done
# Linux's receive processing on CPU 1, like synack's process
[ "$PINNED" = 1 ] && ip netns exec "$S" sh -c 'echo 2 > /sys/class/net/synack-fsc/queues/rx-0/rps_cpus' 2>/dev/null

# field FILE KEY: the word after KEY (0 if absent)
field() {
    _v=$(awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1" 2>/dev/null)
    echo "${_v:-0}"
}
nst() { NSTAT_HISTORY=$TMP/nstat.hist ip netns exec "$1" nstat -asz 2>/dev/null; }
# died NS: SYN-ACKs to the spoofed range dropped in NS so far
died() { nst "$1" >"$TMP/n"; echo $(( $(field "$TMP/n" IpInAddrErrors) + $(field "$TMP/n" IpExtInNoRoutes) )); }
# softnet drops, all CPUs (the per-CPU backlog queue: Linux's veth receive path)
softnet_drops() {
    _s=0
    while read -r _a _b _rest; do _s=$((_s + 0x$_b)); done </proc/net/softnet_stat
    echo "$_s"
}

# dev_tx NS DEV: packets the device was handed to send (sent + dropped on the way to its peer)
dev_tx() {
    ip netns exec "$1" sh -c "echo \$(( \$(cat /sys/class/net/$2/statistics/tx_packets) + \$(cat /sys/class/net/$2/statistics/tx_dropped) ))" 2>/dev/null || echo 0
}

# flood NS TARGET TAG: flood + clients against TARGET (IP:PORT); results in $TMP/TAG.*
flood() {
    ip netns exec "$1" timeout $((SECS + 10)) $ON0 "$FL" syn --to "$2" --count 20000000 \
        --rate "$FLOOD_RATE" --duration "$SECS" >"$TMP/$3.flood" 2>&1 &
    _fp=$!
    PIDS="$PIDS $_fp"
    sleep 0.5
    ip netns exec "$1" timeout $((SECS + TIMEOUT + 10)) $ON0 "$FL" conn --to "$2" --conc "$CONC" \
        --duration $((SECS - 1)) --timeout "$TIMEOUT" >"$TMP/$3.conn" 2>&1
    wait "$_fp"
    sleep 0.3
}

# ---- synack ----
# shellcheck disable=SC2086
ip netns exec "$C" timeout $((SECS + 40)) $ON1 "$SYNACK" serve --tun synack-fbt --addr 10.77.70.2 \
    --host-addr 10.77.70.1/24 --port 7 --app echo --backlog "$BACKLOG" --syn-backlog "$BACKLOG" \
    --syncookies auto --duration $((SECS + 2)) >"$TMP/serve.out" 2>"$TMP/serve.err" &
SP=$!
PIDS="$PIDS $SP"
i=0
while ! grep -q ' app on ' "$TMP/serve.err" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && { cat "$TMP/serve.err"; die "synack serve did not start"; }
    sleep 0.05
done
d0=$(died "$C")
ssd0=$(softnet_drops)
q0=$(ip netns exec "$C" cat /sys/class/net/synack-fbt/statistics/tx_dropped 2>/dev/null || echo 0)
flood "$C" 10.77.70.2:7 synack
d1=$(died "$C")
ssd1=$(softnet_drops)
q1=$(ip netns exec "$C" cat /sys/class/net/synack-fbt/statistics/tx_dropped 2>/dev/null || echo 0)
i=0
while kill -0 "$SP" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
wait "$SP" 2>/dev/null
cnt() { _v=$(awk -v n="$1" '$1 == n { print $2 }' "$TMP/serve.out"); echo "${_v:-0}"; }
s_ans=$((d1 - d0))
s_qdrop=$((q1 - q0))

# ---- Linux ----
# shellcheck disable=SC2086
ip netns exec "$S" timeout $((SECS + 40)) $ON1 "$LG" server 7 echo >/dev/null 2>&1 &
PIDS="$PIDS $!"
i=0
until ip netns exec "$S" ss -ltn 2>/dev/null | grep -q ':7 '; do
    i=$((i + 1)); [ $i -gt 100 ] && die "the Linux echo server did not start"
    sleep 0.05
done
nst "$S" >"$TMP/s0"
k0=$(died "$K")
sd0=$(softnet_drops)
t0=$(dev_tx "$S" synack-fsk)
flood "$C" 10.77.71.2:7 linux
k1=$(died "$K")
sd1=$(softnet_drops)
t1=$(dev_tx "$S" synack-fsk)
nst "$S" >"$TMP/s1"
sdelta() { echo $(( $(field "$TMP/s1" "$1") - $(field "$TMP/s0" "$1") )); }
l_ans=$((t1 - t0))
l_died=$((k1 - k0))
l_qdrop=$((sd1 - sd0))

# ---- table ----
s_secs=$(field "$TMP/synack.flood" seconds)
l_secs=$(field "$TMP/linux.flood" seconds)
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print 0 }'; }
row() { # LABEL SYNACK LINUX
    r=$(awk -v a="$2" -v b="$3" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }')
    printf '%-34s %14s %14s %8s\n' "$1" "$2" "$3" "$r"
}
echo "SYN flood: synack serve (TUN) vs Linux $(uname -r) (veth, tcp_syncookies=1), $(nproc) CPUs" \
    "$( [ "$PINNED" = 1 ] && echo "(flooder+clients on CPU 0, server on CPU 1)")"
echo "flood: $SECS s at $( [ "$FLOOD_RATE" = 0 ] && echo "the flooder's top rate" || echo "$FLOOD_RATE SYN/s")," \
    "spoofed sources in 10.78.0.0/16; backlog $BACKLOG; $CONC clients at a time, ${TIMEOUT} s timeout"
printf '%-34s %14s %14s %8s\n' "" "synack" "linux-veth" "ratio"
row "flood offered (SYN/s)" "$(field "$TMP/synack.flood" pps)" "$(field "$TMP/linux.flood" pps)"
row "SYN-ACKs answered (/s)" "$(rate "$s_ans" "$s_secs")" "$(rate "$l_ans" "$l_secs")"
row "legit success (%)" "$(field "$TMP/synack.conn" success_pct)" "$(field "$TMP/linux.conn" success_pct)"
row "legit p99 connect (ms)" "$(field "$TMP/synack.conn" p99)" "$(field "$TMP/linux.conn" p99)"
row "legit p50 connect (ms)" "$(field "$TMP/synack.conn" p50)" "$(field "$TMP/linux.conn" p50)"
row "legit connections" "$(field "$TMP/synack.conn" attempts)" "$(field "$TMP/linux.conn" attempts)"
echo
echo "synack: flood $(cat "$TMP/synack.flood")"
echo "synack: clients $(head -n 1 "$TMP/synack.conn")"
echo "synack: tcp_syn_in $(cnt tcp_syn_in) tcp_syncookies_sent $(cnt tcp_syncookies_sent)" \
    "tcp_synack_sent $(cnt tcp_synack_sent) tcp_syncookies_ok $(cnt tcp_syncookies_ok)" \
    "tcp_syncache_overflow $(cnt tcp_syncache_overflow) tcp_syn_dropped $(cnt tcp_syn_dropped)" \
    "tx_drop_queue_full $(cnt tx_drop_queue_full); SYN-ACKs to 10.78/16 that reached C (and died there)" \
    "$s_ans; TUN queue drops (SYNs lost before synack) $s_qdrop; softnet backlog drops $((ssd1 - ssd0))"
echo "linux: flood $(cat "$TMP/linux.flood")"
echo "linux: clients $(head -n 1 "$TMP/linux.conn")"
echo "linux: TcpExtSyncookiesSent $(sdelta TcpExtSyncookiesSent) TcpExtSyncookiesRecv $(sdelta TcpExtSyncookiesRecv)" \
    "TcpExtSyncookiesFailed $(sdelta TcpExtSyncookiesFailed) TcpExtTCPReqQFullDoCookies $(sdelta TcpExtTCPReqQFullDoCookies)" \
    "TcpExtTCPReqQFullDrop $(sdelta TcpExtTCPReqQFullDrop) TcpExtListenDrops $(sdelta TcpExtListenDrops)" \
    "TcpExtListenOverflows $(sdelta TcpExtListenOverflows); SYN-ACKs handed to the veth to K $l_ans," \
    "reached K (and died there) $l_died; softnet backlog drops (SYNs lost before Linux, SYN-ACKs lost on" \
    "the way to K) $l_qdrop"
