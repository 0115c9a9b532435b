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

# serve_start PREFIX ARGS...: starts `synack serve` in the namespace on TUN device
# synack-$TAG (kernel PREFIX.1/24, synack PREFIX.2) with ARGS; its stdout goes to
# $TMP/serve.out, its stderr to $TMP/serve.err. Waits until it listens (or fails).
# SERVE_ADDR is PREFIX.2, SERVE_HOST PREFIX.1, SERVE_TUN the device.
serve_start() {
    _pfx=$1; shift
    SERVE_ADDR=$_pfx.2
    SERVE_HOST=$_pfx.1
    SERVE_TUN=synack-$TAG
    # `ip netns exec` directly (not through the ns function), so that $! is the process that
    # becomes timeout(1), which passes SIGTERM on to synack (--foreground: once; without it
    # timeout also signals its process group, and a second SIGTERM makes serve exit at once).
    ip netns exec "$NS" timeout --foreground -k 20 240 "$SYNACK" serve --tun "$SERVE_TUN" --addr "$SERVE_ADDR" \
        --host-addr "$SERVE_HOST/24" "$@" >"$TMP/serve.out" 2>"$TMP/serve.err" &
    SERVE_PID=$!
    if ! wait_until 10 grep -q ' app on ' "$TMP/serve.err"; then
        fail "synack serve did not start:"
        sed 's/^/  /' "$TMP/serve.err" | head -n 20
        exit 1
    fi
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

live_finish() {
    live_cleanup
    [ "$fails" = 0 ]
}
