#!/bin/sh
# Benchmark of issue 3: synack on a TUN device against Linux, side by side with Linux-to-Linux
# over a veth pair, in the same run. Not part of `make test`. Run as root from the repo root:
#   sh bench/tun_bench.sh [BYTES] [SECONDS]
# BYTES: bulk transfer size (default 1 GiB); SECONDS: length of each connection-rate run
# (default 5). Needs ip netns, /dev/net/tun, a C compiler; builds bench/tun/loadgen.c.
#
# Rows:
#   bulk Linux -> peer   loadgen send: BYTES to the peer's discard service (synack serve --app
#                        discard / loadgen server discard)
#   bulk peer -> Linux   loadgen recv: BYTES from the peer's chargen service
#   conn/s c=N           loadgen rate: N connections at a time, each connect, 100-byte request,
#                        100-byte echo, close (the client closes first)
# Linux's side uses its defaults (veth with GSO/GRO: 64 KiB segments inside the host), synack's
# the TUN at MTU 1500 (or --mtu via SYNACK_ARGS), one packet per read/write.
BYTES=${1:-1073741824}
SECS=${2:-5}
BUILD=${BUILD:-build}
SYNACK=${SYNACK:-$BUILD/synack}
CC=${CC:-cc}
SYNACK_ARGS=${SYNACK_ARGS:-}

[ "$(id -u)" = 0 ] || { echo "tun_bench: needs root"; exit 1; }
[ -x "$SYNACK" ] || { echo "tun_bench: build $SYNACK first (make)"; exit 1; }
[ -c /dev/net/tun ] || { echo "tun_bench: /dev/net/tun missing"; exit 1; }
mkdir -p "$BUILD/bench" || exit 1
LG=$BUILD/bench/loadgen
$CC -O2 -Wall -Wextra -o "$LG" bench/tun/loadgen.c || { echo "tun_bench: cannot build loadgen"; exit 1; }

NS=synack-bench-$$
NSB=synack-benchb-$$
PIDS=
cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    sleep 0.3
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

ip netns add "$NS" && ip netns add "$NSB" || { echo "tun_bench: ip netns add failed"; exit 1; }
for n in "$NS" "$NSB"; do
    ip netns exec "$n" ip link set lo up
    # short connections: the client closes first and keeps TIME_WAIT; let it reuse ports
    ip netns exec "$n" sysctl -q -w net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
done
# Linux <-> Linux: veth between the two namespaces, 10.77.40.1 (clients) - 10.77.40.2 (server)
ip -n "$NS" link add synack-va type veth peer name synack-vb netns "$NSB" &&
    ip -n "$NS" addr add 10.77.40.1/24 dev synack-va && ip -n "$NS" link set synack-va up &&
    ip -n "$NSB" addr add 10.77.40.2/24 dev synack-vb && ip -n "$NSB" link set synack-vb up ||
    { echo "tun_bench: veth setup failed"; exit 1; }

start_bg() { "$@" >/dev/null 2>&1 & PIDS="$PIDS $!"; }
wait_port() { # NS ADDR PORT
    i=0
    while [ $i -lt 100 ]; do
        ip netns exec "$1" "$LG" rate "$2" "$3" 1 0.05 2>/dev/null | awk '{ exit !($1 > 0) }' && return 0
        sleep 0.05; i=$((i + 1))
    done
    return 1
}

# synack: one serve per service, each on its own TUN device (10.77.31/33/35.0/24)
S=31
for svc in discard:9 chargen:19 echo:7; do
    app=${svc%:*}; port=${svc#*:}
    # shellcheck disable=SC2086
    start_bg ip netns exec "$NS" "$SYNACK" serve --tun "synack-b$S" --addr "10.77.$S.2" \
        --host-addr "10.77.$S.1/24" --port "$port" --app "$app" --max-conns 1024 $SYNACK_ARGS
    S=$((S + 2))
done
for svc in discard:9 chargen:19 echo:7; do
    start_bg ip netns exec "$NSB" "$LG" server "${svc#*:}" "${svc%:*}"
done
sleep 0.5
wait_port "$NS" 10.77.35.2 7 && wait_port "$NS" 10.77.40.2 7 ||
    { echo "tun_bench: servers did not start"; exit 1; }

run() { ip netns exec "$NS" timeout 600 "$LG" "$@" 2>/dev/null | head -n 1; }
row() { # LABEL SYNACK LINUX
    r=$(awk -v a="$2" -v b="$3" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }')
    printf '%-28s %14s %14s %8s\n' "$1" "$2" "$3" "$r"
}

MIB=$((BYTES / 1048576))
echo "synack vs Linux (veth), $(nproc) CPUs, kernel $(uname -r); bulk $MIB MiB, rate runs of $SECS s"
printf '%-28s %14s %14s %8s\n' "test" "synack" "linux-veth" "ratio"
row "bulk Linux->peer (MiB/s)" "$(run send 10.77.31.2 9 "$BYTES")" "$(run send 10.77.40.2 9 "$BYTES")"
row "bulk peer->Linux (MiB/s)" "$(run recv 10.77.33.2 19 "$BYTES")" "$(run recv 10.77.40.2 19 "$BYTES")"
for c in 1 16 256; do
    a=$(run rate 10.77.35.2 7 "$c" "$SECS")
    b=$(run rate 10.77.40.2 7 "$c" "$SECS")
    row "conn/s c=$c" "${a% *}" "${b% *}"
    if [ "${a#* }" != 0 ]; then echo "  (synack run: ${a#* } failed connections)"; fi
    if [ "${b#* }" != 0 ]; then echo "  (linux run: ${b#* } failed connections)"; fi
done
exit 0
