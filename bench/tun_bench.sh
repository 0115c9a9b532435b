#!/bin/sh
# Data-path benchmark of issue 9 (item 7): bulk transfers and short connections, synack on each
# of its links against Linux over a veth pair, the whole of each server on ONE core, from one
# run. Not part of `make test`. Run as root from the repo root:
#   sh bench/tun_bench.sh [MIB] [SECONDS]
# MIB: size of each bulk transfer (default 256); SECONDS: length of each connection-rate run
# (default 5); about 2 minutes in all. Environment:
#   LINKS   columns, in this order (default "linux tun tun-offload xdp tap"); xdp is native XDP,
#           generic when native fails (XDP_MODE=generic to force it)
#   SYNACK  the binary (default build/synack); CC the compiler; SYNACK_ARGS more serve/connect
#           options
#   QUIET_WAIT  seconds to wait, before each measurement, for other processes to leave the CPUs
#           alone (default 5); REDO: measures again up to REDO times (default 1) when others
#           used more than 5% of a CPU meanwhile (printed: "figures disturbed")
# Needs 2 CPUs, ip netns, /dev/net/tun, ethtool, sha256sum, a C compiler (builds
# bench/tun/loadgen.c and bench/tun/bulk.c).
#
# On one core: the server side runs on CPU 0: the process (taskset -c 0: synack serve or
# connect, or Linux's servers and receiver from loadgen.c/bulk.c) and the kernel's receive
# processing of the server's interfaces: RPS (rx-0/rps_cpus = 1) on S's veth and on the TUN/TAP,
# and for native XDP threaded NAPI with the napi/DEV-* kthread pinned to CPU 0 (generic XDP runs
# in the veth's receive path: RPS). On a veth pair the receiving peer's input otherwise runs on
# the sending CPU, i.e. the client core would pay for the server's receive path. The clients run on CPU 1 (taskset -c 1) with the receive
# processing of their own veth (rps_cpus = 2). For TUN and TAP the kernel's forwarding between
# the veth and the device is the server's too (it runs in S's receive processing, and in
# synack's write()).
#
# Namespaces, new for each column and removed after it (and by the EXIT trap): C (clients) and S
# (the server), a veth pair between them (C 10.77.90.1/24, S 10.77.90.2/24); addresses only in
# 10.77.0.0/16, no default route. linux: Linux's servers on S's veth. tun / tun-offload: synack
# on a TUN in S (kernel 10.77.91.1/24, synack 10.77.91.2; --offload: IFF_VNET_HDR + TSO both
# ways), S forwarding. tap: synack on a TAP in S (kernel 10.77.92.1/24, synack 10.77.92.2,
# --gateway 10.77.92.1). xdp: synack on S's veth by AF_XDP (no kernel address there; synack is
# 10.77.90.2), C's veth computing its checksums in software (ethtool -K tx off: a veth hands
# XDP frames whose checksum is still left to offload, and XDP turns off its GSO anyway). Linux
# and the TUN/TAP columns keep the veth's defaults (GSO/TSO: 64 KiB segments inside the host).
#
# Rows (the client in C):
#   bulk C->server  MIB of random bytes from C to the server side (bulk.c give, timed from the
#                   start to the last byte acknowledged): received by synack connect --to C
#                   (stdout to a file), by bulk.c take for Linux; SHA-256 compared
#   bulk server->C  GET of the same file over HTTP (synack serve --app http; bulk.c httpd for
#                   Linux: read() + send()), received into memory by bulk.c get, timed from
#                   connect to the last byte; SHA-256 compared
#   conn/s c=N      loadgen rate: N connections at a time, each connect, 100-byte request,
#                   100-byte echo, close (the client closes first); synack serve --app echo,
#                   loadgen server echo for Linux
# Every figure is printed with its ratio to Linux's (xN.NN) from the same run. The data lives in
# /dev/shm (tmpfs) while the run lasts.
# every process of this run carries SYNACK_TB=<pid> in its environment (foreign_snap)
[ "${SYNACK_TB:-}" = $$ ] || exec env SYNACK_TB=$$ sh "$0" "$@"
MIB=${1:-256}
SECS=${2:-5}
LINKS=${LINKS:-linux tun tun-offload xdp tap}
XDP_MODE=${XDP_MODE:-native}
BUILD=${BUILD:-build}
SYNACK=${SYNACK:-$BUILD/synack}
CC=${CC:-cc}
SYNACK_ARGS=${SYNACK_ARGS:-}
QUIET_WAIT=${QUIET_WAIT:-5}
REDO=${REDO:-1}
CMDLINE="$0 $*"
ENVLINE="LINKS=\"$LINKS\" XDP_MODE=$XDP_MODE QUIET_WAIT=$QUIET_WAIT REDO=$REDO SYNACK=$SYNACK${SYNACK_ARGS:+ SYNACK_ARGS=\"$SYNACK_ARGS\"}"

die() { echo "tun_bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
[ -x "$SYNACK" ] || die "build $SYNACK first (make)"
[ -c /dev/net/tun ] || die "/dev/net/tun missing"
for t in ip taskset timeout awk ethtool sha256sum "$CC"; do
    command -v "$t" >/dev/null 2>&1 || die "$t missing"
done
case $MIB in ''|*[!0-9]*) echo "tun_bench: MIB must be a whole number"; exit 2;; esac
case $SECS in ''|*[!0-9]*) echo "tun_bench: SECONDS must be a whole number"; exit 2;; esac
[ "$MIB" -ge 1 ] && [ "$MIB" -le 4096 ] || { echo "tun_bench: MIB between 1 and 4096"; exit 2; }
[ "$SECS" -ge 1 ] && [ "$SECS" -le 60 ] || { echo "tun_bench: SECONDS between 1 and 60"; exit 2; }
grep -q '^cpu1 ' /proc/stat && grep -q '^cpu0 ' /proc/stat || die "needs CPUs 0 and 1"
ON0="taskset -c 0"
ON1="taskset -c 1"
case $QUIET_WAIT$REDO in *[!0-9]*) die "QUIET_WAIT and REDO are whole numbers";; esac
LIFE=$(( (REDO + 1) * 3 * (QUIET_WAIT + SECS + 40) + 60 ))   # a server's timeout(1) bound

TMP=$(mktemp -d /tmp/synack-tunbench.XXXXXX) || exit 1
SHM=$(mktemp -d /dev/shm/synack-tunbench.XXXXXX 2>/dev/null) || SHM=$TMP   # the data: in memory
C=synack-tbc-$$
S=synack-tbs-$$
CDEV=tc$$
SDEV=ts$$
TDEV=tt$$
PIDS=
cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    [ -n "$PIDS" ] && sleep 0.3
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    PIDS=
    ip netns del "$C" 2>/dev/null
    ip netns del "$S" 2>/dev/null
}
trap 'cleanup; rm -rf "$TMP" "$SHM"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

LG=$TMP/loadgen; BK=$TMP/bulk
# a copy of the binary: the one measured, even if build/ is rebuilt meanwhile
cp "$SYNACK" "$TMP/synack" && "$TMP/synack" help >/dev/null 2>&1 || die "cannot copy $SYNACK"
BIN_ID="$SYNACK $(sha256sum "$SYNACK" | cut -c1-12), built $(date -r "$SYNACK" '+%Y-%m-%d %H:%M'), tree $(git describe --always --dirty 2>/dev/null || echo ?)"
SYNACK=$TMP/synack
$CC -O2 -Wall -Wextra -o "$LG" bench/tun/loadgen.c || die "cannot build loadgen"
$CC -O2 -Wall -Wextra -o "$BK" bench/tun/bulk.c || die "cannot build bench/tun/bulk.c"
mkdir -p "$SHM/www" && head -c $((MIB * 1048576)) /dev/urandom >"$SHM/www/data" || die "cannot write the data"
SHA=$(sha256sum "$SHM/www/data" | cut -d' ' -f1)

nsx() { _n=$1; shift; ip netns exec "$_n" "$@"; }
note() { echo "$*" >>"$TMP/notes"; }

# quiet LINK: is the machine idle while nothing of ours runs? (someone else's work on these 2
# CPUs would disturb the figures: noted, and printed with the table)
cpu_busy() { # A B CPU: busy% between two /proc/stat snapshots
    awk -v c="cpu$3" 'FNR == NR { if ($1 == c) for (i = 2; i <= 11; i++) a[i] = $i; next }
        $1 == c { t = 0; for (i = 2; i <= 11; i++) { d[i] = $i - a[i]; t += d[i] }
                  printf "%d", t > 0 ? 100 * (t - d[5] - d[6]) / t : 0 }' "$1" "$2"
}
quiet() {
    grep '^cpu[01] ' /proc/stat >"$TMP/idle0"; sleep 0.5; grep '^cpu[01] ' /proc/stat >"$TMP/idle1"
    for _c in 0 1; do
        _b=$(cpu_busy "$TMP/idle0" "$TMP/idle1" $_c)
        [ "${_b:-0}" -gt 10 ] 2>/dev/null &&
            note "$1: CPU $_c was ${_b}% busy before the column started (another job on the machine?): figures may be disturbed"
    done
}

BENCH_TAG=SYNACK_TB
. "$(dirname "$0")/quiet.inc"
# measured TAG CMD...: CMD (one measurement) after wait_quiet; once more (up to REDO times)
# when the others used more than 5% of a CPU meanwhile (at least 0.05 CPU-s)
measured() {
    _mt=$1; shift
    _try=0
    while :; do
        wait_quiet || :
        foreign_snap "$TMP/fg0"
        "$@"
        _mr=$?
        foreign_snap "$TMP/fg1"
        _fg=$(foreign_delta "$TMP/fg0" "$TMP/fg1")
        _lim=$(awk -v t="$MEAS_T" 'BEGIN { l = 0.05 * t; print l < 0.05 ? 0.05 : l }')
        # shellcheck disable=SC2086
        busy $_fg "$_lim" || return $_mr
        [ $_try -ge "$REDO" ] && break
        _try=$((_try + 1))
        echo "tun_bench: $_mt: others were busy meanwhile ($_fg CPU-s), once more" >&2
    done
    note "$_mt: other processes used ${_fg% *} CPU-s (+ ${_fg#* } in children they reaped) meanwhile, $((REDO + 1)) tries: figures disturbed"
    return $_mr
}

# setup KIND (kernel|fwd|xdp) LINK: namespaces, veth, routes, RPS for the veth ends
setup() {
    ip netns add "$C" && ip netns add "$S" || die "ip netns add failed"
    nsx "$C" ip link set lo up && nsx "$S" ip link set lo up || die "lo up failed"
    nsx "$C" ip link add "$CDEV" type veth peer name "$SDEV" netns "$S" || die "veth failed"
    nsx "$C" ip addr add 10.77.90.1/24 dev "$CDEV" && nsx "$C" ip link set "$CDEV" up &&
        nsx "$S" ip link set "$SDEV" up || die "veth setup failed"
    nsx "$C" sysctl -q -w net.ipv4.ip_forward=0 net.ipv4.tcp_tw_reuse=1 \
        net.ipv4.ip_local_port_range="1024 65535" || die "sysctl (C) failed"
    nsx "$S" sysctl -q -w net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535" \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || die "sysctl (S) failed"
    nsx "$C" sh -c "echo 2 > /sys/class/net/$CDEV/queues/rx-0/rps_cpus" || die "RPS (C) failed"
    case $1 in
    kernel|fwd)
        nsx "$S" ip addr add 10.77.90.2/24 dev "$SDEV" || die "address (S) failed"
        nsx "$S" sh -c "echo 1 > /sys/class/net/$SDEV/queues/rx-0/rps_cpus" || die "RPS (S) failed"
        ;;
    xdp)
        nsx "$C" ethtool -K "$CDEV" tx off >/dev/null 2>&1 || die "ethtool -K $CDEV tx off failed"
        ;;
    esac
    if [ "$1" = fwd ]; then
        nsx "$S" sysctl -q -w net.ipv4.ip_forward=1 || die "forwarding (S) failed"
        nsx "$C" ip route add 10.77.91.0/24 via 10.77.90.2 &&
            nsx "$C" ip route add 10.77.92.0/24 via 10.77.90.2 || die "routes (C) failed"
    else
        nsx "$S" sysctl -q -w net.ipv4.ip_forward=0 || die "sysctl (S) failed"
    fi
    for n in "$C" "$S"; do
        nsx "$n" ip route show | grep -q '^default' && die "a default route in $n"
    done
    return 0
}

# steer LINK: after the server side has opened its device: RPS on the TUN/TAP, or threaded NAPI
# on the XDP veth with its kthread(s) on CPU 0 (the napi goes and comes with each XDP attach)
steer() {
    case $1 in
    tun|tun-offload|tap)
        nsx "$S" sh -c "echo 1 > /sys/class/net/$TDEV/queues/rx-0/rps_cpus" || { note "$1: RPS on $TDEV failed"; return 1; }
        ;;
    xdp)
        if [ "$XMODE" = generic ]; then # generic XDP runs in the veth's receive path: RPS
            nsx "$S" sh -c "echo 1 > /sys/class/net/$SDEV/queues/rx-0/rps_cpus" || { note "$1: RPS on $SDEV failed"; return 1; }
            return 0
        fi
        nsx "$S" sh -c "echo 1 > /sys/class/net/$SDEV/threaded" 2>/dev/null || { note "$1: threaded NAPI refused"; return 1; }
        _np=
        for _d in /proc/[0-9]*; do
            _c=$(cat "$_d/comm" 2>/dev/null) || continue
            case $_c in "napi/$SDEV-"*|"napi/$SDEV") _np="$_np ${_d#/proc/}";; esac
        done
        [ -n "$_np" ] || { note "$1: no napi/$SDEV-* kthread"; return 1; }
        for _p in $_np; do taskset -pc 0 "$_p" >/dev/null || { note "$1: cannot pin napi kthread $_p"; return 1; }; done
        echo "$_np" >>"$TMP/napi.$1"
        ;;
    esac
    return 0
}

# link args for synack (serve or connect) on LINK
link_args() {
    case $1 in
    tun) echo "--tun $TDEV --addr 10.77.91.2 --host-addr 10.77.91.1/24" ;;
    tun-offload) echo "--tun $TDEV --offload --addr 10.77.91.2 --host-addr 10.77.91.1/24" ;;
    tap) echo "--tap $TDEV --addr 10.77.92.2/24 --host-addr 10.77.92.1/24 --gateway 10.77.92.1" ;;
    xdp) echo "--xdp $SDEV --xdp-mode $XMODE --addr 10.77.90.2/24" ;;
    esac
}
target() {
    case $1 in
    linux|xdp) echo 10.77.90.2 ;;
    tun|tun-offload) echo 10.77.91.2 ;;
    tap) echo 10.77.92.2 ;;
    esac
}

# wait_for FILE PATTERN PID: until PATTERN appears in FILE (10 s), or PID ends
wait_for() {
    _i=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        kill -0 "$3" 2>/dev/null || return 1
        _i=$((_i + 1)); [ $_i -gt 200 ] && return 1
        sleep 0.05
    done
    return 0
}
stop_pid() {
    kill -TERM "$1" 2>/dev/null
    _i=0
    while kill -0 "$1" 2>/dev/null && [ $_i -lt 200 ]; do sleep 0.1; _i=$((_i + 1)); done
    kill -0 "$1" 2>/dev/null && note "a server did not stop within 20 s of SIGTERM (killed)"
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# server LINK APP PORT: a server on CPU 0 in S, steered; SP its pid. 1 if it did not start.
NSRV=0
server() {
    NSRV=$((NSRV + 1))
    SRVO=$TMP/srv$NSRV.out; SRVE=$TMP/srv$NSRV.err
    if [ "$1" = linux ]; then
        case $2 in
        http) ip netns exec "$S" timeout "$LIFE" $ON0 "$BK" httpd "$3" "$SHM/www/data" >"$SRVE" 2>&1 & ;;
        *) ip netns exec "$S" timeout "$LIFE" $ON0 "$LG" server "$3" "$2" >"$SRVE" 2>&1 & ;;
        esac
        SP=$!
        PIDS="$PIDS $SP"
        _i=0
        until nsx "$S" ss -ltn 2>/dev/null | grep -q ":$3 "; do
            _i=$((_i + 1)); [ $_i -gt 100 ] && { note "linux: $2 server did not start"; return 1; }
            sleep 0.05
        done
        return 0
    fi
    _extra=; [ "$2" = http ] && _extra="--root $SHM/www"
    # shellcheck disable=SC2046,SC2086
    ip netns exec "$S" timeout --foreground -k 30 "$LIFE" $ON0 "$SYNACK" serve $(link_args "$1") --port "$3" \
        --app "$2" $_extra --max-conns 1024 $SYNACK_ARGS >"$SRVO" 2>"$SRVE" &
    SP=$!
    PIDS="$PIDS $SP"
    echo "synack serve $(link_args "$1") --port $3 --app $2${_extra:+ $_extra} --max-conns 1024${SYNACK_ARGS:+ $SYNACK_ARGS}" >>"$TMP/cmds.$1"
    if ! wait_for "$SRVE" ' app on ' "$SP"; then
        note "$1: synack serve --app $2 did not start: $(grep -v '^ *$' "$SRVE" | head -n 3 | tr '\n' ' ')"
        stop_pid "$SP"
        return 1
    fi
    steer "$1" || { stop_pid "$SP"; return 1; }
}

R=
put() { echo "$2" >"$TMP/r.$1.$3"; }   # put LINK VALUE ROW
get() { cat "$TMP/r.$1.$2" 2>/dev/null || echo "-"; }

# bulk_up LINK: MIB from C to the server side
bulk_up() {
    rm -f "$SHM/up.out" "$TMP/go" "$TMP/give.out" "$TMP/take.err"
    ip netns exec "$C" timeout 150 $ON1 "$BK" give 5001 "$SHM/www/data" "$TMP/go" >"$TMP/give.out" 2>&1 &
    _gp=$!
    PIDS="$PIDS $_gp"
    wait_for "$TMP/give.out" listening "$_gp" || { note "$1: bulk give did not start"; return 1; }
    if [ "$1" = linux ]; then
        ip netns exec "$S" timeout 150 $ON0 "$BK" take 10.77.90.1 5001 "$SHM/up.out" >"$TMP/take.err" 2>&1 &
    else
        # shellcheck disable=SC2046,SC2086
        ip netns exec "$S" timeout --foreground -k 30 150 $ON0 "$SYNACK" connect $(link_args "$1") \
            --to 10.77.90.1:5001 $SYNACK_ARGS >"$SHM/up.out" 2>"$TMP/take.err" </dev/null &
        echo "synack connect $(link_args "$1") --to 10.77.90.1:5001${SYNACK_ARGS:+ $SYNACK_ARGS} </dev/null >FILE" >>"$TMP/cmds.$1"
    fi
    _tp=$!
    PIDS="$PIDS $_tp"
    # the connection is up when give has accepted it (it waits for $TMP/go before sending)
    _i=0
    until grep -q accepted "$TMP/give.out" 2>/dev/null; do
        _i=$((_i + 1))
        if [ $_i -gt 200 ] || ! kill -0 "$_tp" 2>/dev/null; then
            note "$1: the receiver did not connect: $(head -n 3 "$TMP/take.err" | tr '\n' ' ')"
            return 1
        fi
        sleep 0.05
    done
    [ "$1" = linux ] || steer "$1" || return 1
    MEAS_T=$(date +%s)
    touch "$TMP/go"
    wait "$_gp"
    MEAS_T=$(( $(date +%s) - MEAS_T + 1 ))
    _i=0
    while kill -0 "$_tp" 2>/dev/null && [ $_i -lt 300 ]; do sleep 0.05; _i=$((_i + 1)); done
    kill -0 "$_tp" 2>/dev/null && { note "$1: the receiver did not finish"; stop_pid "$_tp"; }
    wait "$_tp" 2>/dev/null
    _r=$(awk '$1 ~ /^[0-9.]+$/ { print $1; exit }' "$TMP/give.out")
    if [ "$(sha256sum "$SHM/up.out" 2>/dev/null | cut -d' ' -f1)" = "$SHA" ]; then
        put "$1" "${_r:--}" up
    else
        note "$1: bulk C->server: SHA-256 MISMATCH ($(wc -c <"$SHM/up.out" 2>/dev/null) bytes arrived of $((MIB * 1048576)))"
        put "$1" "BAD" up
        BAD=1
    fi
    rm -f "$SHM/up.out"
}

# bulk_down LINK: GET of the file from the server side
bulk_down() {
    server "$1" http 80 || return 1
    rm -f "$SHM/down.out"
    MEAS_T=$(date +%s)
    _r=$(ip netns exec "$C" timeout 150 $ON1 "$BK" get "$(target "$1")" 80 data "$SHM/down.out" 2>"$TMP/get.err" | awk '{ print $1 }')
    MEAS_T=$(( $(date +%s) - MEAS_T + 1 ))
    stop_pid "$SP"
    if [ "$(sha256sum "$SHM/down.out" 2>/dev/null | cut -d' ' -f1)" = "$SHA" ]; then
        put "$1" "${_r:--}" down
    else
        note "$1: bulk server->C: SHA-256 MISMATCH or failed: $(head -n 2 "$TMP/get.err" | tr '\n' ' ')"
        put "$1" "BAD" down
        BAD=1
    fi
    rm -f "$SHM/down.out"
}

# rate LINK C: one connection-rate run
rate() {
    MEAS_T=$SECS
    _o=$(ip netns exec "$C" timeout $((SECS + 30)) $ON1 "$LG" rate "$(target "$1")" 7 "$2" "$SECS" 2>/dev/null | head -n 1)
    put "$1" "${_o% *}" "c$2"
    echo "${_o#* }" >"$TMP/fails.$1.$2"
}
# rates LINK
rates() {
    server "$1" echo 7 || return 1
    for c in 1 16 256; do
        measured "$1: conn/s c=$c" rate "$1" "$c"
        _fl=$(cat "$TMP/fails.$1.$c")
        [ "$_fl" != 0 ] && note "$1: conn/s c=$c: $_fl failed connections"
    done
    stop_pid "$SP"
}

BAD=0
START=$(date +%s)
COLS=
for l in $LINKS; do
    case $l in
    linux) setup kernel linux ;;
    tun|tun-offload|tap) setup fwd "$l" ;;
    xdp)
        XMODE=$XDP_MODE
        setup xdp xdp
        # native XDP, else generic: one probe start tells
        if ! server xdp echo 7; then
            cleanup
            if [ "$XMODE" = native ]; then
                # not a failure of the run: the reason, reworded, and a generic column instead
                sed -i 's/^xdp: synack serve --app echo did not start: /xdp: native XDP unavailable, generic mode instead: /' "$TMP/notes"
                XMODE=generic
                setup xdp xdp
                server xdp echo 7 || { cleanup; continue; }
            else
                continue
            fi
        fi
        stop_pid "$SP"
        ;;
    *) die "unknown link $l" ;;
    esac
    COLS="$COLS $l"
    measured "$l: bulk C->server" bulk_up "$l"
    measured "$l: bulk server->C" bulk_down "$l"
    rates "$l"
    cleanup
done
END=$(date +%s)

label() { case $1 in xdp) echo "xdp-$XMODE" ;; *) echo "$1" ;; esac; }
cell() { # LINK ROW
    _v=$(get "$1" "$2"); _b=$(get linux "$2")
    if [ "$1" = linux ]; then printf '%s' "$_v"; return; fi
    printf '%s %s' "$_v" "$(awk -v a="$_v" -v b="$_b" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "x%.2f", a / b; else print "" }')"
}
echo "synack vs Linux (veth), the whole server on CPU 0 (process + its interfaces' receive processing), clients on CPU 1"
echo "kernel $(uname -r), $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)); bulk $MIB MiB each way (SHA-256 checked), rate runs of $SECS s"
printf '%-22s' "test"
for l in $COLS; do printf ' %17s' "$(label "$l")"; done
echo
for row in up:"bulk C->server MiB/s" down:"bulk server->C MiB/s" c1:"conn/s c=1" c16:"conn/s c=16" c256:"conn/s c=256"; do
    printf '%-22s' "${row#*:}"
    for l in $COLS; do printf ' %17s' "$(cell "$l" "${row%%:*}")"; done
    echo
done
echo "(xN.NN: ratio to Linux over veth in this run)"
[ -f "$TMP/notes" ] && { echo; cat "$TMP/notes"; }
echo
for l in $COLS; do
    [ -f "$TMP/cmds.$l" ] && sort -u "$TMP/cmds.$l" | sed "s/^/$(label "$l"): /"
    [ -f "$TMP/napi.$l" ] && for p in $(cat "$TMP/napi.$l"); do :; done &&
        echo "$(label "$l"): napi kthreads pinned to CPU 0:$(tr '\n' ' ' <"$TMP/napi.$l")"
done
echo "linux: bench/tun/bulk.c give/take/httpd and bench/tun/loadgen.c server echo on CPU 0"
echo "synack: $BIN_ID"
echo "command: $ENVLINE sh $CMDLINE   ($((END - START)) s)"
[ "$BAD" = 0 ] || exit 1
[ -f "$TMP/notes" ] && grep -q 'did not\|MISMATCH\|refused\|cannot\|RPS on\|no napi' "$TMP/notes" && exit 1
exit 0
