# Shared helpers for the live tests of `synack serve` and `synack connect`
# (tests/live/serve_*.sh, tests/live/connect_*.sh). Sourced, not run: tests/run.sh only runs
# files ending in .sh, and this one prints nothing and exits 0 when run by itself.
#
# Usage, from the repo root:
#   NAME=serve_http; TAG=http; . tests/live/lib.sh
#   live_require curl "curl"                 # SKIP unless the tool is there
#   live_setup                               # namespace $NS, temp dir $TMP, trap cleanup
#   serve_start 10.77.3 --port 80 --app http --root "$TMP/www"   # TUN synack-$TAG, .1 kernel, .2 synack
#   ... checks with pass/fail ...
#   serve_stop                               # SIGTERM, counters in $TMP/serve.out
#   live_finish
#
# Every test has its own network namespace synack-$TAG-$$ (removed by the EXIT trap, which also
# ends every background process the test started), uses only 10.77.0.0/16, adds no default
# route, and bounds each command with timeout(1).
#
# Other links: SERVE_LINK=tap makes serve_start use a TAP device (Ethernet and ARP) instead of
# TUN. For namespaces joined by veth pairs (AF_XDP): live_ns2 (live_ns3) makes a second
# (third) namespace $NS2 ($NS3; run commands in it with ns2, ns3), veth_pair joins two, serve_run starts serve with any
# arguments in a namespace, serve_exit_within times its exit after the device is deleted, and
# flooder_build builds tests/live/flooder.c.
BUILD=${BUILD:-build}
SYNACK=${SYNACK:-$BUILD/synack}
fails=0
BG_PIDS=
SERVE_PID=
cleaned=0

pass() { echo "PASS $NAME: $1"; }
fail() { echo "FAIL $NAME: $1"; fails=$((fails + 1)); }
skip() { echo "SKIP $NAME: $1"; exit 0; }

# live_require TOOL [PACKAGE]: SKIP when TOOL is not on PATH.
live_require() {
    command -v "$1" >/dev/null 2>&1 || skip "$1 not installed${2:+ (Debian package $2)}"
}

live_prereqs() {
    [ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TUN)"
    live_require ip iproute2
    ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
    [ -c /dev/net/tun ] || skip "/dev/net/tun missing"
    live_require timeout coreutils
    [ -x "$SYNACK" ] || skip "$SYNACK not built (run make)"
}

# ns CMD...: runs CMD in the test's namespace.
ns() { ip netns exec "$NS" "$@"; }

# bg_track PID: killed at cleanup.
bg_track() { BG_PIDS="$BG_PIDS $1"; }

live_cleanup() {
    [ "$cleaned" = 1 ] && return
    cleaned=1
    for p in $SERVE_PID $BG_PIDS; do
        kill -TERM "$p" 2>/dev/null
    done
    sleep 0.2
    for p in $SERVE_PID $BG_PIDS; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
    [ -n "$NS2" ] && ip netns del "$NS2" 2>/dev/null
    [ -n "$NS3" ] && ip netns del "$NS3" 2>/dev/null
    [ -n "$TMP" ] && rm -rf "$TMP"
}

live_setup() {
    live_prereqs
    NS=synack-$TAG-$$
    TMP=$(mktemp -d "/tmp/synack-$TAG.XXXXXX") || { echo "FAIL $NAME: mktemp"; exit 1; }
    trap live_cleanup EXIT
    trap 'live_cleanup; exit 130' INT
    trap 'live_cleanup; exit 143' TERM
    timeout 10 ip netns add "$NS" || skip "cannot create a network namespace (ip netns add failed)"
    ns ip link set lo up
}

# wait_until SECONDS CMD...: polls CMD every 0.05 s until it succeeds; 1 on timeout.
wait_until() {
    _lim=$1; shift
    _n=0
    _max=$(awk "BEGIN { print int($_lim * 20) }")
    while ! "$@" >/dev/null 2>&1; do
        _n=$((_n + 1))
        [ "$_n" -ge "$_max" ] && return 1
        sleep 0.05
    done
    return 0
}

# serve_run NSNAME ARGS...: starts `synack serve ARGS` in namespace NSNAME; its stdout goes to
# $TMP/serve.out, its stderr to $TMP/serve.err. Waits until it listens; 1 if it did not.
serve_run() {
    _sns=$1; shift
    # Emptied first: the redirection below happens in the background, and until it does the
    # previous serve's ' app on ' line would pass the wait at once (before the device exists).
    : >"$TMP/serve.err"
    : >"$TMP/serve.out"
    # `ip netns exec` directly (not through the ns function), so that $! is the process that
    # becomes timeout(1), which passes SIGTERM on to synack (--foreground: once; without it
    # timeout also signals its process group, and a second SIGTERM makes serve exit at once).
    ip netns exec "$_sns" timeout --foreground -k 20 240 "$SYNACK" serve "$@" \
        >"$TMP/serve.out" 2>"$TMP/serve.err" &
    SERVE_PID=$!
    if ! wait_until 10 grep -q ' app on ' "$TMP/serve.err"; then
        fail "synack serve did not start ($*):"
        sed 's/^/  /' "$TMP/serve.err" | head -n 20
        return 1
    fi
}

# serve_start PREFIX ARGS...: starts `synack serve` in the namespace on TUN device
# synack-$TAG (TAP when SERVE_LINK=tap; kernel PREFIX.1/24, synack PREFIX.2) with ARGS.
# Waits until it listens (exits the test if it does not). SERVE_ADDR is PREFIX.2, SERVE_HOST
# PREFIX.1, SERVE_TUN the device.
serve_start() {
    _pfx=$1; shift
    SERVE_ADDR=$_pfx.2
    SERVE_HOST=$_pfx.1
    SERVE_TUN=synack-$TAG
    serve_run "$NS" --"${SERVE_LINK:-tun}" "$SERVE_TUN" --addr "$SERVE_ADDR" \
        --host-addr "$SERVE_HOST/24" "$@" || exit 1
}

# serve_exit_within MS: after a device was deleted under the running serve, waits up to MS
# milliseconds for it to exit. Sets SERVE_RC (124 if it did not exit) and SERVE_MS (how long
# it took); 0 if it exited in time with a non-zero status.
serve_exit_within() {
    _t0=$(date +%s%N)
    _lim=$(( $1 * 1000000 ))
    while kill -0 "$SERVE_PID" 2>/dev/null; do
        [ $(( $(date +%s%N) - _t0 )) -ge "$_lim" ] && break
        sleep 0.01
    done
    SERVE_MS=$(( ($(date +%s%N) - _t0) / 1000000 ))
    if kill -0 "$SERVE_PID" 2>/dev/null; then
        SERVE_RC=124
        kill -KILL "$SERVE_PID" 2>/dev/null
        wait "$SERVE_PID" 2>/dev/null
    else
        wait "$SERVE_PID"; SERVE_RC=$?
    fi
    SERVE_PID=
    [ "$SERVE_RC" != 124 ] && [ "$SERVE_RC" != 0 ]
}

# live_ns2, live_ns3: a second (third) namespace $NS2 ($NS3), removed at cleanup, lo up.
live_ns2() {
    NS2=synack-$TAG-b-$$
    timeout 10 ip netns add "$NS2" || skip "cannot create a second network namespace"
    ns2 ip link set lo up
}
live_ns3() {
    NS3=synack-$TAG-c-$$
    timeout 10 ip netns add "$NS3" || skip "cannot create a third network namespace"
    ns3 ip link set lo up
}
ns2() { ip netns exec "$NS2" "$@"; }
ns3() { ip netns exec "$NS3" "$@"; }

# veth_pair NSA IFA NSB IFB: a veth pair, IFA in namespace NSA and IFB in NSB, both up.
veth_pair() {
    timeout 10 ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" &&
        ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# flooder_build: builds tests/live/flooder.c into $FLOODER ($TMP/flooder); 1 on failure.
flooder_build() {
    FLOODER=${FLOODER:-$TMP/flooder}
    ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -o "$FLOODER" \
        tests/live/flooder.c >"$TMP/flooder.build" 2>&1
}

# serve_stop: SIGTERM, wait (bounded), exit status in SERVE_RC. 0 if it exited cleanly.
serve_stop() {
    [ -n "$SERVE_PID" ] || return 1
    kill -TERM "$SERVE_PID" 2>/dev/null
    _i=0
    while kill -0 "$SERVE_PID" 2>/dev/null && [ $_i -lt 150 ]; do sleep 0.1; _i=$((_i + 1)); done
    if kill -0 "$SERVE_PID" 2>/dev/null; then
        kill -KILL "$SERVE_PID" 2>/dev/null
        wait "$SERVE_PID" 2>/dev/null
        SERVE_PID=
        SERVE_RC=137
        return 1
    fi
    wait "$SERVE_PID"; SERVE_RC=$?
    SERVE_PID=
    [ "$SERVE_RC" = 0 ]
}

# counter NAME: a counter from the stopped server's output (0 if absent).
counter() {
    _v=$(awk -v n="$1" '$1 == n { print $2 }' "$TMP/serve.out" 2>/dev/null)
    echo "${_v:-0}"
}

# tun_up PREFIX DEV: a TUN device configured by `ip` (for `synack connect` without
# --host-addr): kernel PREFIX.1/24.
tun_up() {
    ns ip tuntap add mode tun name "$2" &&
        ns ip addr add "$1.1/24" dev "$2" &&
        ns ip link set "$2" up
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# mkdata FILE MIB: FILE with MIB mebibytes of pseudo-random bytes.
mkdata() { head -c $(($2 * 1048576)) /dev/urandom >"$1"; }

# ---- helpers of the hostile-load tests (tests/live/hostile/*.sh, issue 10) ----
#   legit_start URL [SRC]    a loop of legitimate curls (one at a time, 0.2 s apart, 8 s limit
#                            each; from address SRC if given) in $NS (or $LEGIT_NS) until
#                            legit_stop, which
#                            sets LEGIT_N (attempts), LEGIT_OK (status 200) and LEGIT_MAX (the
#                            slowest success, seconds)
#   ns_addrs DEV PFX A B     adds PFX.A .. PFX.B (/24) to DEV in $NS: sources for attackers
#                            that are not the legitimate clients' (per-source limits)
#   serve_mem                VmRSS and VmHWM (peak) of the running serve, in KiB:
#                            SERVE_RSS_KB, SERVE_HWM_KB
#   ATTACK                   tests/live/hostile/attack.py (slowloris, idle, zerowin, hold)
ATTACK=tests/live/hostile/attack.py

legit_start() {
    _lurl=$1
    _lsrc=$2
    rm -f "$TMP/legit.stop"
    : >"$TMP/legit.log"
    (
        while [ ! -e "$TMP/legit.stop" ]; do
            ip netns exec "${LEGIT_NS:-$NS}" timeout 12 curl -sS -m 8 ${_lsrc:+--interface "$_lsrc"} -o /dev/null \
                -w '%{http_code} %{time_total}\n' "$_lurl" >>"$TMP/legit.log" 2>>"$TMP/legit.err"
            sleep 0.2
        done
    ) &
    LEGIT_PID=$!
    bg_track $LEGIT_PID
}

legit_stop() {
    touch "$TMP/legit.stop"
    wait "$LEGIT_PID" 2>/dev/null
    LEGIT_N=$(wc -l <"$TMP/legit.log" | tr -d ' ')
    LEGIT_OK=$(grep -c '^200 ' "$TMP/legit.log")
    LEGIT_MAX=$(awk '$1 == 200 && $2 > m { m = $2 } END { printf "%.2f", m }' "$TMP/legit.log")
}

# legit_ok: every legitimate attempt succeeded (and there were some).
legit_ok() { [ "$LEGIT_N" -gt 0 ] && [ "$LEGIT_OK" = "$LEGIT_N" ]; }

ns_addrs() {
    _i=$3
    while [ "$_i" -le "$4" ]; do
        echo "addr add $2.$_i/24 dev $1"
        _i=$((_i + 1))
    done | ns ip -batch -
}

serve_mem() {
    SERVE_RSS_KB=0
    SERVE_HWM_KB=0
    # SERVE_PID is timeout(1) (ip netns exec execs it); synack is its child
    _sp=$(cat /proc/"$SERVE_PID"/task/*/children 2>/dev/null | awk '{ print $1; exit }')
    [ -n "$_sp" ] || return 1
    SERVE_RSS_KB=$(awk '$1 == "VmRSS:" { print $2 }' /proc/"$_sp"/status 2>/dev/null)
    SERVE_HWM_KB=$(awk '$1 == "VmHWM:" { print $2 }' /proc/"$_sp"/status 2>/dev/null)
    SERVE_RSS_KB=${SERVE_RSS_KB:-0}
    SERVE_HWM_KB=${SERVE_HWM_KB:-0}
}

live_finish() {
    live_cleanup
    [ "$fails" = 0 ]
}
