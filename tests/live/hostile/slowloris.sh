#!/bin/sh
# Hostile load (issue 10): slowloris with twice the connection limit. Run from the repo root as
# `BUILD=build sh tests/live/hostile/slowloris.sh` (root, ip netns, /dev/net/tun, curl, python3).
#
# synack serve --app http --max-conns 64 --per-source 40 (default header timeout 10 s) on TUN
# synack-slow (kernel 10.77.20.1, synack 10.77.20.2); legitimate curls from 10.77.20.1 run
# one after another during both phases:
#   1. below the limit: 32 trickling connections from 10.77.20.13 (one byte of an endless
#      request head every 3 s; tests/live/hostile/attack.py slowloris) for 12 s: each gets a
#      408 after the 10 s header deadline however the bytes trickle in;
#   2. twice the limit: 128 connections, 96 from 10.77.20.11 and 32 from 10.77.20.12,
#      reconnecting 0.5 s after the server ends one, for SLOW_SECS (25 s): the per-source
#      limit holds .11 to 40 (tcp_source_limited), the rest take every buffer, handshakes wait
#      instead of being reset (tcp_admission_deferred, tcp_drop_no_memory 0) and the
#      connections idle longest are reclaimed (serve_reclaimed).
# Passes when every curl got its 200 and those counters moved.
NAME=hostile_slowloris
TAG=slow
. tests/live/lib.sh
live_prereqs
live_require curl curl
live_require python3 python3
live_setup
SLOW_SECS=${SLOW_SECS:-25}
SLOW_CONNS=${SLOW_CONNS:-128}
MAXC=${SLOW_MAXCONNS:-64}

W=$TMP/www
mkdir -p "$W" && echo "<html>hello</html>" >"$W/index.html" || { fail "mkdir"; exit 1; }
serve_start 10.77.20 --port 80 --app http --root "$W" --max-conns "$MAXC" --per-source 40
ns_addrs "$SERVE_TUN" 10.77.20 11 13 || { fail "attacker addresses"; exit 1; }

# ---- 1. below the limit: the header deadline ----
legit_start "http://$SERVE_ADDR/index.html"
ns timeout 25 python3 "$ATTACK" slowloris --to "$SERVE_ADDR:80" --conns 32 --from 10.77.20.13 \
    --interval 3 --duration 12 >"$TMP/attack1.out" 2>&1
legit_stop
att=$(cat "$TMP/attack1.out")
g408=$(echo "$att" | awk '{ for (i = 1; i < NF; i++) if ($i == "got_408") print $(i + 1) }')
if legit_ok && [ "${g408:-0}" -ge 32 ]; then
    pass "slowloris below the limit (32 connections, a byte every 3 s, 12 s): every trickling connection got its 408 at the 10 s header deadline; curls $LEGIT_OK/$LEGIT_N ok (slowest ${LEGIT_MAX}s); attacker: $att"
else
    fail "slowloris below the limit: curls $LEGIT_OK/$LEGIT_N ok; attacker: $att"
fi

# ---- 2. twice the limit ----

ns timeout $((SLOW_SECS + 10)) python3 "$ATTACK" slowloris --to "$SERVE_ADDR:80" \
    --conns "$SLOW_CONNS" --from 10.77.20.11,10.77.20.11,10.77.20.11,10.77.20.12 --interval 3 \
    --duration "$SLOW_SECS" >"$TMP/attack.out" 2>&1 &
AP=$!
bg_track $AP
sleep 4
legit_start "http://$SERVE_ADDR/index.html"
sleep $((SLOW_SECS - 6))
serve_mem
legit_stop
wait $AP
serve_stop || fail "serve did not stop cleanly (exit $SERVE_RC)"

att=$(cat "$TMP/attack.out")
ht=$(counter serve_header_timeouts)
ad=$(counter tcp_admission_deferred)
sl=$(counter tcp_source_limited)
nm=$(counter tcp_drop_no_memory)
rc=$(counter serve_reclaimed)
figs="curls $LEGIT_OK/$LEGIT_N ok (slowest ${LEGIT_MAX}s); attacker: $att; serve_header_timeouts $ht, serve_reclaimed $rc, tcp_admission_deferred $ad, tcp_source_limited $sl, tcp_drop_no_memory $nm; VmHWM ${SERVE_HWM_KB} KiB"
if legit_ok && [ "$ht" -ge 32 ] && [ "$rc" -gt 0 ] && [ "$ad" -gt 0 ] && [ "$sl" -gt 0 ] && [ "$nm" = 0 ]; then
    pass "slowloris, $SLOW_CONNS connections against --max-conns $MAXC for ${SLOW_SECS}s: $figs"
else
    fail "slowloris: $figs"
    sed 's/^/  legit: /' "$TMP/legit.err" 2>/dev/null | sort | uniq -c | head -n 5
fi
live_finish
