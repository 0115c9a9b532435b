#!/bin/sh
# Hostile load (issue 10): zero-window readers. Run from the repo root as
# `BUILD=build sh tests/live/hostile/zerowin.sh` (root, ip netns, /dev/net/tun, curl, python3).
#
# synack serve --app http --send-timeout ZW_TIMEOUT (5 s here to keep the test short; the
# default is 30 s) on TUN synack-zw (kernel 10.77.23.1, synack 10.77.23.2). ZW_CONNS (200)
# clients, 50 from each of 10.77.23.11-14, each with a tiny SO_RCVBUF, request a 64 MiB file
# and never read (tests/live/hostile/attack.py zerowin): the peer's window closes and stays
# closed. Legitimate curls from 10.77.23.1 meanwhile. Passes when every curl got its 200 and
# every reader was dropped by the send timeout (SYNACK_TCP_USER_TIMEOUT: serve_send_timeouts,
# tcp_persist_timeouts) within the timeout plus a few seconds; serve's memory with the
# readers stuck is printed. For measurements: ZW_CONNS, ZW_SOURCES (4), ZW_TIMEOUT.
NAME=hostile_zerowin
TAG=zw
. tests/live/lib.sh
live_prereqs
live_require curl curl
live_require python3 python3
live_setup
ZW_CONNS=${ZW_CONNS:-200}
ZW_TIMEOUT=${ZW_TIMEOUT:-5}
ZW_SECS=$((ZW_TIMEOUT + 10))

W=$TMP/www
mkdir -p "$W" && echo "<html>hello</html>" >"$W/index.html" && truncate -s 64M "$W/big.bin" ||
    { fail "mkdir"; exit 1; }
serve_start 10.77.23 --port 80 --app http --root "$W" --send-timeout "$ZW_TIMEOUT"
NSRC=${ZW_SOURCES:-4}
ns_addrs "$SERVE_TUN" 10.77.23 11 $((10 + NSRC)) || { fail "reader addresses"; exit 1; }
srcs=$(i=11; while [ $i -le $((10 + NSRC)) ]; do printf '10.77.23.%d,' $i; i=$((i + 1)); done)

legit_start "http://$SERVE_ADDR/index.html"
ns timeout $((ZW_SECS + 10)) python3 "$ATTACK" zerowin --to "$SERVE_ADDR:80" --conns "$ZW_CONNS" \
    --path /big.bin --from "${srcs%,}" \
    --duration "$ZW_SECS" >"$TMP/attack.out" 2>&1 &
AP=$!
bg_track $AP
sleep 3
serve_mem
stuck_rss=$SERVE_RSS_KB
wait $AP
legit_stop
serve_mem
serve_stop || fail "serve did not stop cleanly (exit $SERVE_RC)"

att=$(tr '\n' ' ' <"$TMP/attack.out")
ended=$(awk '$1 == "zerowin_conns" { print $4 }' "$TMP/attack.out")
last=$(awk '$1 == "zerowin_conns" { print $8 }' "$TMP/attack.out")
st=$(counter serve_send_timeouts)
pt=$(counter tcp_persist_timeouts)
zp=$(counter tcp_zero_window_probes)
figs="curls $LEGIT_OK/$LEGIT_N ok (slowest ${LEGIT_MAX}s); readers: $att; serve_send_timeouts $st, tcp_persist_timeouts $pt, tcp_zero_window_probes $zp; serve VmRSS ${stuck_rss} KiB with the readers stuck, VmHWM ${SERVE_HWM_KB} KiB"
if legit_ok && [ "${ended:-0}" = "$ZW_CONNS" ] && [ "$st" -ge "$ZW_CONNS" ]; then
    pass "$ZW_CONNS zero-window readers, --send-timeout $ZW_TIMEOUT: all dropped (the last after ${last}s): $figs"
else
    fail "$ZW_CONNS zero-window readers: $figs"
    sort "$TMP/legit.err" 2>/dev/null | uniq -c | head -n 5
fi
live_finish
