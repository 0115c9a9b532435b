#!/bin/sh
# Hostile load (issue 10): a blind out-of-window sweep against an established connection. Run
# from the repo root as `BUILD=build sh tests/live/hostile/sweep.sh` (root, ip netns,
# /dev/net/tun, curl, python3, tcpdump, cc).
#
# synack serve --app http on TUN synack-sweep (kernel 10.77.26.1, synack 10.77.26.2). A client
# connects and holds its connection without a word (tests/live/hostile/attack.py hold). From
# the client's namespace, spoofing that connection's 4-tuple, three raw senders
# (tests/live/flooder.c tcp) send SYNs, ACKs and SYN-ACKs with random sequence and
# acknowledgment numbers, SWEEP_RATE (5,000) per second each, for SWEEP_SECS (4 s). Everything
# synack sends on that 4-tuple meanwhile is a reply to the sweep: tcpdump counts it. Passes
# when the replies stay within the rate limits (RFC 5961 challenge ACKs, 10 per second per
# connection; out-of-window ACKs, one per 500 ms: at most 12 per second and 2 more), the held
# connection then still gets its 200, and the curls run meanwhile are all served.
NAME=hostile_sweep
TAG=sweep
. tests/live/lib.sh
live_prereqs
live_require curl curl
live_require python3 python3
live_require tcpdump tcpdump
command -v "${CC:-cc}" >/dev/null 2>&1 || skip "no C compiler (${CC:-cc})"
live_setup
SWEEP_SECS=${SWEEP_SECS:-4}
SWEEP_RATE=${SWEEP_RATE:-5000}
flooder_build || { fail "build flooder: $(head -c 300 "$TMP/flooder.build")"; exit 1; }

W=$TMP/www
mkdir -p "$W" && echo "<html>hello</html>" >"$W/index.html" || { fail "mkdir"; exit 1; }
serve_start 10.77.26 --port 80 --app http --root "$W"

ns timeout $((SWEEP_SECS + 15)) python3 "$ATTACK" hold --to "$SERVE_ADDR:80" --from "$SERVE_HOST" \
    --duration $((SWEEP_SECS + 3)) >"$TMP/hold.out" 2>&1 &
HP=$!
bg_track $HP
wait_until 5 grep -q '^port ' "$TMP/hold.out" || { fail "hold: $(cat "$TMP/hold.out")"; exit 1; }
PORT=$(awk '$1 == "port" { print $2 }' "$TMP/hold.out")
legit_start "http://$SERVE_ADDR/index.html"
ns timeout $((SWEEP_SECS + 1)) tcpdump -i "$SERVE_TUN" -Q in -nn -U -w "$TMP/replies.pcap" \
    "src host $SERVE_ADDR and src port 80 and dst host $SERVE_HOST and dst port $PORT" 2>"$TMP/td.err" &
TP=$!
bg_track $TP
sleep 0.5
for f in S A SA; do
    ns timeout $((SWEEP_SECS + 5)) "$FLOODER" tcp --from "$SERVE_HOST:$PORT" --to "$SERVE_ADDR:80" \
        --flags "$f" --count $((SWEEP_RATE * SWEEP_SECS)) --rate "$SWEEP_RATE" \
        --duration "$SWEEP_SECS" >"$TMP/sweep.$f" 2>&1 &
    bg_track $!
    eval "FP$f=\$!"
done
wait $FPS $FPA $FPSA
wait $TP
wait $HP
legit_stop
serve_stop || fail "serve did not stop cleanly (exit $SERVE_RC)"

sent=0
for f in S A SA; do
    n=$(awk '$1 == "sent" { print $2 }' "$TMP/sweep.$f")
    sent=$((sent + ${n:-0}))
done
replies=$(tcpdump -r "$TMP/replies.pcap" -nn 2>/dev/null | wc -l)
bound=$((12 * (SWEEP_SECS + 1) + 2))
status=$(awk '$1 == "status" { print $2 }' "$TMP/hold.out")
ca=$(counter tcp_challenge_acks)
cal=$(counter tcp_challenge_acks_limited)
ool=$(counter tcp_oow_acks_limited)
figs="$sent spoofed segments (SYN, ACK, SYN-ACK) in ${SWEEP_SECS}s, $replies replies on the 4-tuple (bound $bound); tcp_challenge_acks $ca, tcp_challenge_acks_limited $cal, tcp_oow_acks_limited $ool; held connection afterwards: status ${status:-none}; curls $LEGIT_OK/$LEGIT_N ok"
if [ "$sent" -ge $((SWEEP_RATE * SWEEP_SECS * 27 / 10)) ] && [ "$replies" -le "$bound" ] && [ "$status" = 200 ] && legit_ok; then
    pass "blind out-of-window sweep against an established connection: $figs"
else
    fail "blind sweep: $figs"
    cat "$TMP/hold.out" "$TMP/td.err" | head -n 5
fi
live_finish
