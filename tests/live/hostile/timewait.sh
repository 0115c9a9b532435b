#!/bin/sh
# Hostile load (issue 10): TIME_WAIT churn. Run from the repo root as
# `BUILD=build sh tests/live/hostile/timewait.sh` (root, ip netns, /dev/net/tun, curl, cc).
#
# synack serve --app http --max-conns 16 on TUN synack-tw (kernel 10.77.21.1, synack
# 10.77.21.2): 16 buffered connections, 1024 slots, TIME_WAIT bounded at 512. Three clients
# (tests/live/flooder.c conn --http, from 10.77.21.11-13, TW_CONC connections each) send
# HTTP/1.0 requests as fast as they can for TW_SECS (10 s); the server closes first, so every
# request leaves a TIME_WAIT connection in synack. Meanwhile legitimate curls from 10.77.21.1.
# Passes when every curl got its 200 and TIME_WAIT was recycled (tcp_timewait_overflow, the
# oldest ended early) instead of locking connections out.
NAME=hostile_timewait
TAG=tw
. tests/live/lib.sh
live_prereqs
live_require curl curl
command -v "${CC:-cc}" >/dev/null 2>&1 || skip "no C compiler (${CC:-cc})"
live_setup
TW_SECS=${TW_SECS:-10}
TW_CONC=${TW_CONC:-8}
flooder_build || { fail "build flooder: $(head -c 300 "$TMP/flooder.build")"; exit 1; }

W=$TMP/www
mkdir -p "$W" && echo "<html>hello</html>" >"$W/index.html" || { fail "mkdir"; exit 1; }
serve_start 10.77.21 --port 80 --app http --root "$W" --max-conns 16
ns_addrs "$SERVE_TUN" 10.77.21 11 13 || { fail "client addresses"; exit 1; }
ns sysctl -q -w net.ipv4.ip_local_port_range="1024 65535"

legit_start "http://$SERVE_ADDR/index.html"
sleep 0.5
for k in 11 12 13; do
    ns timeout $((TW_SECS + 10)) "$FLOODER" conn --to "$SERVE_ADDR:80" --http /index.html \
        --from 10.77.21.$k --conc "$TW_CONC" --duration "$TW_SECS" --timeout 3 >"$TMP/churn.$k" 2>&1 &
    bg_track $!
    eval "CP$k=\$!"
done
wait $CP11 $CP12 $CP13
legit_stop
serve_stop || fail "serve did not stop cleanly (exit $SERVE_RC)"

rate=0
ok=0
att=0
for k in 11 12 13; do
    r=$(awk '$1 == "rate_per_s" { print $2 }' "$TMP/churn.$k")
    o=$(awk '$1 == "attempts" { print $4 }' "$TMP/churn.$k")
    a=$(awk '$1 == "attempts" { print $2 }' "$TMP/churn.$k")
    rate=$((rate + ${r:-0}))
    ok=$((ok + ${o:-0}))
    att=$((att + ${a:-0}))
done
ov=$(counter tcp_timewait_overflow)
rcy=$(counter tcp_timewait_recycled)
ad=$(counter tcp_admission_deferred)
figs="3 clients x $TW_CONC: $ok/$att requests in ${TW_SECS}s ($rate/s, each leaving TIME_WAIT); curls $LEGIT_OK/$LEGIT_N ok (slowest ${LEGIT_MAX}s); tcp_timewait_overflow $ov, tcp_timewait_recycled $rcy, tcp_admission_deferred $ad"
if legit_ok && [ "$ov" -gt 0 ] && [ "$ok" -gt 1024 ]; then
    pass "TIME_WAIT churn against --max-conns 16 (1024 slots): $figs"
else
    fail "TIME_WAIT churn: $figs"
    for k in 11 12 13; do sed "s/^/  client $k: /" "$TMP/churn.$k"; done
fi
live_finish
