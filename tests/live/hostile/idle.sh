#!/bin/sh
# Hostile load (issue 10): idle connections, then the device deleted under them. Run from the
# repo root as `BUILD=build sh tests/live/hostile/idle.sh` (root, ip netns, /dev/net/tun, curl,
# python3).
#
# synack serve --app http with default limits (512 buffered connections, 64 per source, header
# timeout 10 s) on TUN synack-idle (kernel 10.77.22.1, synack 10.77.22.2). IDLE_CONNS (1000)
# connections that connect and say nothing, 50 from each of 20 addresses (10.77.22.11-30, so
# that the per-source limit is not what stops them), reopened 0.5 s after the server ends one
# (tests/live/hostile/attack.py idle), for IDLE_SECS (20 s). Legitimate curls from 10.77.22.1
# meanwhile. Passes when every curl got its 200 and the defences acted (header deadlines,
# deferred handshakes, reclaims). serve's peak memory (VmHWM) is printed. For measurements:
# IDLE_CONNS, IDLE_SOURCES (20; 50 connections each at 1,000), IDLE_SECS, and IDLE_MODE=slowloris
# (one header byte every 3 s instead of silence).
# Then, with the attackers' connections open, the TUN is deleted: serve must exit non-zero
# within 1 s (the idle and mid-transfer cases are in tests/live/serve_tap.sh, a deleted veth
# under --xdp in tests/live/serve_xdp.sh).
NAME=hostile_idle
TAG=idle
. tests/live/lib.sh
live_prereqs
live_require curl curl
live_require python3 python3
live_setup
IDLE_SECS=${IDLE_SECS:-20}
IDLE_CONNS=${IDLE_CONNS:-1000}
NSRC=${IDLE_SOURCES:-20}

W=$TMP/www
mkdir -p "$W" && echo "<html>hello</html>" >"$W/index.html" || { fail "mkdir"; exit 1; }
serve_start 10.77.22 --port 80 --app http --root "$W" ${IDLE_SERVE_ARGS:-}
ns_addrs "$SERVE_TUN" 10.77.22 11 $((10 + NSRC)) || { fail "attacker addresses"; exit 1; }
srcs=$(i=11; while [ $i -le $((10 + NSRC)) ]; do printf '10.77.22.%d,' $i; i=$((i + 1)); done)

ns timeout $((IDLE_SECS + 15)) python3 "$ATTACK" "${IDLE_MODE:-idle}" --to "$SERVE_ADDR:80" --conns "$IDLE_CONNS" \
    --from "${srcs%,}" --duration $((IDLE_SECS + 3)) >"$TMP/attack.out" 2>&1 &
AP=$!
bg_track $AP
sleep 2
legit_start "http://$SERVE_ADDR/index.html"
sleep "$IDLE_SECS"
legit_stop
serve_mem
open=$(ns ss -tn state established "( dport = :80 )" 2>/dev/null | grep -c "$SERVE_ADDR:80")

# ---- the device deleted while the attackers' connections are open ----
ns ip link del "$SERVE_TUN"
if serve_exit_within 1000 && grep -q "device $SERVE_TUN went away" "$TMP/serve.err"; then
    pass "TUN deleted under serve with $open client connections open: exit $SERVE_RC after $SERVE_MS ms ('$(grep 'went away' "$TMP/serve.err")')"
else
    fail "TUN deleted under load: exit $SERVE_RC after $SERVE_MS ms: $(tail -n 2 "$TMP/serve.err" | tr '\n' ' ')"
fi
wait $AP

att=$(cat "$TMP/attack.out")
ht=$(counter serve_header_timeouts)
ad=$(counter tcp_admission_deferred)
rc=$(counter serve_reclaimed)
nm=$(counter tcp_drop_no_memory)
figs="curls $LEGIT_OK/$LEGIT_N ok (slowest ${LEGIT_MAX}s); attacker: $att; serve_header_timeouts $ht, serve_reclaimed $rc, tcp_admission_deferred $ad, tcp_drop_no_memory $nm; serve VmRSS ${SERVE_RSS_KB} KiB, VmHWM ${SERVE_HWM_KB} KiB"
if legit_ok && [ $((ht + rc)) -gt 0 ] && [ "$ad" -gt 0 ] && [ "$nm" = 0 ]; then
    pass "$IDLE_CONNS ${IDLE_MODE:-idle} connections for ${IDLE_SECS}s against the default limits: $figs"
else
    fail "$IDLE_CONNS ${IDLE_MODE:-idle} connections: $figs"
    sort "$TMP/legit.err" 2>/dev/null | uniq -c | head -n 5
fi
live_finish
