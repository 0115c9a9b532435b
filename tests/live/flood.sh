#!/bin/sh
# Live test: `synack serve` on a TUN device under a SYN flood of spoofed sources (issue 4).
# Run from the repo root as `BUILD=build sh tests/live/flood.sh`; needs root, ip netns,
# /dev/net/tun and a C compiler (builds tests/live/flooder.c into $BUILD/).
#
# In a namespace of its own: synack serve --app echo on TUN synack-flood (kernel 10.77.6.1,
# synack 10.77.6.2), accept queue and half-open share 64. The flooder sends FLOOD_RATE SYNs per
# second for FLOOD_SECS seconds (default 50,000/s for 8 s: 400,000 SYNs) from random sources
# in 10.78.0.0/16 through a raw socket; synack's SYN-ACKs to 10.78.0.0/16 go back into the
# namespace through the TUN, where a blackhole route (and ip_forward=0) drops them. Meanwhile 4
# Linux clients connect in a loop (connect, 32-byte echo, close; 3 s timeout each).
#   cookies auto: at least 99.9% of at least 1,000 legitimate connections succeed;
#   cookies off:  the flood fills the half-open queue and most of them time out.
# The counters of both runs are printed as evidence. Bounded: each flood stops by itself
# (count and time), every command runs under timeout(1); about 30 s in all.
NAME=flood
TAG=flood
. tests/live/lib.sh
CC=${CC:-cc}
FLOOD_RATE=${FLOOD_RATE:-50000}
FLOOD_SECS=${FLOOD_SECS:-8}
FLOOD_COUNT=$((FLOOD_RATE * FLOOD_SECS))
CLIENT_SECS=$((FLOOD_SECS - 1))
FLOODER=$BUILD/flooder
live_prereqs
command -v "$CC" >/dev/null 2>&1 || skip "no C compiler ($CC)"
if ! $CC -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -o "$FLOODER" tests/live/flooder.c \
        2>"$BUILD/flooder.log"; then
    cat "$BUILD/flooder.log"
    fail "build flooder"
    exit 1
fi
live_setup
trap 'live_cleanup; exit 129' HUP
trap 'live_cleanup; exit 141' PIPE

# The spoofed range dies here: no forwarding, and a blackhole route for it. No default route.
ns ip route add blackhole 10.78.0.0/16 || { fail "blackhole route for 10.78.0.0/16"; exit 1; }
[ "$(ns sysctl -n net.ipv4.ip_forward)" = 0 ] || ns sysctl -q -w net.ipv4.ip_forward=0
# the clients close first and keep TIME_WAIT: let them reuse ports
ns sysctl -q -w net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
if ns ip route show | grep -q '^default'; then fail "the namespace has a default route"; exit 1; fi

# run_flood MODE: serve with --syncookies MODE, flood + clients; results in $TMP/MODE.*
run_flood() {
    serve_start 10.77.6 --port 7 --app echo --backlog 64 --syn-backlog 64 --syncookies "$1" \
        --duration $((FLOOD_SECS + 2))
    ns cat /sys/class/net/"$SERVE_TUN"/statistics/tx_dropped >"$TMP/$1.drop0" 2>/dev/null ||
        echo 0 >"$TMP/$1.drop0"
    NSTAT_HISTORY=$TMP/nstat.hist ns nstat -asz >"$TMP/$1.nstat0" 2>/dev/null
    ns timeout $((FLOOD_SECS + 10)) "$FLOODER" syn --to "$SERVE_ADDR:7" --count "$FLOOD_COUNT" \
        --rate "$FLOOD_RATE" --duration "$FLOOD_SECS" >"$TMP/$1.flood" 2>&1 &
    _fp=$!
    bg_track $_fp
    sleep 0.5
    ns timeout $((CLIENT_SECS + 10)) "$FLOODER" conn --to "$SERVE_ADDR:7" --conc 4 \
        --duration "$CLIENT_SECS" --timeout 3 >"$TMP/$1.conn" 2>&1
    wait $_fp
    ns cat /sys/class/net/"$SERVE_TUN"/statistics/tx_dropped >"$TMP/$1.drop1" 2>/dev/null ||
        echo 0 >"$TMP/$1.drop1"
    NSTAT_HISTORY=$TMP/nstat.hist ns nstat -asz >"$TMP/$1.nstat1" 2>/dev/null
    # serve stops by itself (--duration) and prints its counters
    _i=0
    while kill -0 "$SERVE_PID" 2>/dev/null && [ $_i -lt 200 ]; do sleep 0.1; _i=$((_i + 1)); done
    if kill -0 "$SERVE_PID" 2>/dev/null; then
        fail "cookies $1: synack serve did not stop by itself"
        serve_stop
    else
        wait "$SERVE_PID"; SERVE_RC=$?
        SERVE_PID=
        [ "$SERVE_RC" = 0 ] || fail "cookies $1: synack serve exited $SERVE_RC"
    fi
    cp "$TMP/serve.out" "$TMP/$1.out"
    cp "$TMP/serve.err" "$TMP/$1.err"
}

# field FILE KEY: the word after KEY in FILE (0 if absent)
field() {
    _v=$(awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1" 2>/dev/null)
    echo "${_v:-0}"
}
cnt() { # MODE COUNTER
    _v=$(awk -v n="$2" '$1 == n { print $2 }' "$TMP/$1.out" 2>/dev/null)
    echo "${_v:-0}"
}
nst() { # MODE NAME: a kernel counter's increase during the run (nstat)
    echo $(( $(field "$TMP/$1.nstat1" "$2") - $(field "$TMP/$1.nstat0" "$2") ))
}
report() { # MODE
    echo "  cookies $1: flood: $(cat "$TMP/$1.flood")"
    echo "  cookies $1: clients: $(head -n 1 "$TMP/$1.conn")"
    echo "  cookies $1: clients: $(sed -n 3p "$TMP/$1.conn")"
    echo "  cookies $1: counters: tcp_syn_in $(cnt "$1" tcp_syn_in) tcp_synack_sent $(cnt "$1" tcp_synack_sent)" \
        "tcp_syncookies_sent $(cnt "$1" tcp_syncookies_sent) tcp_syncookies_ok $(cnt "$1" tcp_syncookies_ok)" \
        "tcp_syncookies_bad_mac $(cnt "$1" tcp_syncookies_bad_mac) tcp_syncookies_stale $(cnt "$1" tcp_syncookies_stale)"
    echo "  cookies $1: counters: tcp_syncache_added $(cnt "$1" tcp_syncache_added)" \
        "tcp_syncache_overflow $(cnt "$1" tcp_syncache_overflow)" \
        "tcp_drop_listen_overflow $(cnt "$1" tcp_drop_listen_overflow) tcp_syn_dropped $(cnt "$1" tcp_syn_dropped)" \
        "tcp_accepted $(cnt "$1" tcp_accepted) tx_drop_queue_full $(cnt "$1" tx_drop_queue_full)" \
        "tun_rx_packets $(cnt "$1" tun_rx_packets); kernel: TUN queue drops" \
        "$(( $(cat "$TMP/$1.drop1") - $(cat "$TMP/$1.drop0") ))," \
        "SYN-ACKs to 10.78/16 dropped (IpInAddrErrors + IpExtInNoRoutes)" \
        "$(( $(nst "$1" IpInAddrErrors) + $(nst "$1" IpExtInNoRoutes) ))"
}

# ---- cookies auto ----
run_flood auto
report auto
sent=$(field "$TMP/auto.flood" sent)
att=$(field "$TMP/auto.conn" attempts)
ok=$(field "$TMP/auto.conn" ok)
pct=$(field "$TMP/auto.conn" success_pct)
cookies=$(cnt auto tcp_syncookies_sent)
if [ "$sent" -ge $((FLOOD_COUNT * 9 / 10)) ] && [ "$cookies" -ge $((sent * 9 / 10)) ]; then
    pass "cookies auto: $sent spoofed SYNs in $(field "$TMP/auto.flood" seconds) s; $cookies SYN-ACKs with a cookie (flood and clients)"
else
    fail "cookies auto: flood of $sent SYNs (planned $FLOOD_COUNT), $cookies cookies sent"
fi
if [ "$att" -ge 1000 ] && awk -v p="$pct" 'BEGIN { exit !(p >= 99.9) }'; then
    pass "cookies auto: $ok of $att legitimate connections succeeded under the flood ($pct%, p99 connect $(field "$TMP/auto.conn" p99) ms)"
else
    fail "cookies auto: $ok of $att legitimate connections succeeded ($pct%; want >= 99.9% of >= 1000)"
fi
nrep=$(field "$TMP/auto.conn" timeout_reply)
[ "$nrep" -gt 0 ] && echo "  note: $nrep connections were accepted (tcp_accepted) but never answered (likely the core's" \
    "dirty-list bug: a connection freed while on the output list and reused before the next poll)"
cok=$(cnt auto tcp_syncookies_ok)
if [ "$cok" -ge 1 ] && [ "$cok" -le "$(cnt auto tcp_accepted)" ]; then
    pass "cookies auto: $cok connections completed through a cookie (tcp_syncookies_ok), $(cnt auto tcp_accepted) accepted in all"
else
    fail "cookies auto: tcp_syncookies_ok $cok, tcp_accepted $(cnt auto tcp_accepted)"
fi

# ---- cookies off ----
run_flood off
report off
osent=$(field "$TMP/off.flood" sent)
oatt=$(field "$TMP/off.conn" attempts)
ook=$(field "$TMP/off.conn" ok)
opct=$(field "$TMP/off.conn" success_pct)
otimeouts=$(field "$TMP/off.conn" timeout_connect)
odrop=$(cnt off tcp_syn_dropped)
if [ "$(cnt off tcp_syncookies_sent)" = 0 ] && [ "$odrop" -ge $((osent * 9 / 10)) ]; then
    pass "cookies off: no cookie sent; $odrop of $osent SYNs dropped with the half-open queue full (tcp_syn_dropped)"
else
    fail "cookies off: tcp_syncookies_sent $(cnt off tcp_syncookies_sent), tcp_syn_dropped $odrop of $osent"
fi
if [ "$oatt" -ge 1 ] && awk -v p="$opct" -v q="$pct" 'BEGIN { exit !(p <= 50 && q - p >= 49) }' &&
   [ $((otimeouts * 2)) -ge "$oatt" ]; then
    pass "cookies off: $ook of $oatt legitimate connections succeeded ($opct%; $otimeouts timed out) against $pct% with cookies"
else
    fail "cookies off: $ook of $oatt succeeded ($opct%, $otimeouts timed out); with cookies $pct%: no clear difference"
fi
live_finish
