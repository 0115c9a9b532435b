#!/bin/sh
# Live test: `synack serve` with the echo, discard and chargen apps against Linux's nc, plus
# what the stack answers by itself: ping, ICMP port-unreachable for UDP to a closed port, and
# a RST for TCP to a port with no listener (issue 3). Run from the repo root as
# `BUILD=build sh tests/live/serve_echo.sh`; needs root, ip netns, /dev/net/tun, nc
# (netcat-openbsd), curl, python3, ping; tcpdump is used when present.
NAME=serve_echo
TAG=echo
. tests/live/lib.sh
live_prereqs
live_require nc netcat-openbsd
live_require curl curl
live_require python3 python3
live_require ping iputils-ping
live_setup

mkdata "$TMP/10m.bin" 10

# ---- echo: 10 MiB round trip ----
serve_start 10.77.4 --port 7 --app echo
A=$SERVE_ADDR

out=$(ns timeout 10 ping -c 3 -i 0.2 -W 2 "$A" 2>&1)
if printf '%s\n' "$out" | grep -q ' 3 received'; then
    pass "ping $A: 3 of 3 answered ($(printf '%s\n' "$out" | grep -o 'rtt.*' | cut -d' ' -f4 | cut -d/ -f2) ms avg)"
else
    fail "ping: $(printf '%s\n' "$out" | tail -n 2 | tr '\n' ' ')"
fi

t0=$(date +%s.%N)
ns timeout 60 nc -N "$A" 7 <"$TMP/10m.bin" >"$TMP/10m.out" 2>"$TMP/nc.err"; rc=$?
t1=$(date +%s.%N)
if [ "$rc" = 0 ] && cmp -s "$TMP/10m.bin" "$TMP/10m.out"; then
    pass "nc to echo: 10 MiB round trip byte-exact ($(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s)"
else
    fail "nc to echo: exit $rc, $(wc -c <"$TMP/10m.out") bytes back, $(head -c 200 "$TMP/nc.err")"
fi
rm -f "$TMP/10m.out"

# ---- UDP to a closed port: ICMP port unreachable, seen by the sender ----
TD=
if command -v tcpdump >/dev/null 2>&1; then
    ip netns exec "$NS" timeout 10 tcpdump -l -n -i "$SERVE_TUN" -c 1 \
        "icmp and icmp[icmptype] == icmp-unreach and icmp[icmpcode] == 3" >"$TMP/td.out" 2>"$TMP/td.err" &
    TD=$!
    bg_track "$TD"
    wait_until 5 grep -q 'listening on' "$TMP/td.err"
fi
r=$(ns timeout 10 python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(('$A', 9999))
s.send(b'hello')
try:
    s.recv(100)
    print('data')
except ConnectionRefusedError:
    print('refused')
except socket.timeout:
    print('timeout')
" 2>&1)
if [ -n "$TD" ]; then
    wait "$TD" 2>/dev/null
    seen=$(grep -c "$A > $SERVE_HOST: ICMP $A udp port 9999 unreachable" "$TMP/td.out")
else
    seen=skipped
fi
if [ "$r" = refused ] && [ "$seen" != 0 ]; then
    pass "UDP to closed port 9999: sender gets ECONNREFUSED (ICMP port unreachable; tcpdump: $seen)"
else
    fail "UDP to closed port: sender saw '$r', tcpdump: $(cat "$TMP/td.out" 2>/dev/null)"
fi

# ---- TCP to a port with no listener: RST, curl says refused at once ----
r=$(ns timeout 10 curl -v -sS -o /dev/null -w 'time=%{time_total}\n' "http://$A:81/" 2>&1)
t=$(printf '%s\n' "$r" | sed -n 's/^time=//p')
if printf '%s\n' "$r" | grep -q 'Connection refused' && awk "BEGIN { exit !($t < 0.1) }"; then
    pass "curl to port 81 (no listener): Connection refused in $(awk "BEGIN { printf \"%.1f\", $t * 1000 }") ms"
else
    fail "curl to port 81: time $t, $(printf '%s\n' "$r" | grep -i -m1 'refused\|fail')"
fi

if serve_stop; then
    pass "echo server stopped cleanly: icmp_echo_replies $(counter icmp_echo_replies), icmp_unreach_sent $(counter icmp_unreach_sent), tcp_rst_sent $(counter tcp_rst_sent)"
    [ "$(counter icmp_echo_replies)" -ge 3 ] && [ "$(counter icmp_unreach_sent)" -ge 1 ] &&
        [ "$(counter tcp_rst_sent)" -ge 1 ] && [ "$(counter tcp_accepted)" -ge 1 ] &&
        pass "counters agree (echo replies, port unreachable, RST, accepted)" ||
        fail "counters: $(grep -E '^(icmp_echo_replies|icmp_unreach_sent|tcp_rst_sent|tcp_accepted) ' "$TMP/serve.out" | tr '\n' ' ')"
else
    fail "echo server did not stop cleanly (exit $SERVE_RC)"
fi

# ---- discard: 10 MiB in, nothing back, clean close ----
serve_start 10.77.4 --port 9 --app discard
ns timeout 60 nc -N "$A" 9 <"$TMP/10m.bin" >"$TMP/d.out" 2>"$TMP/nc.err"; rc=$?
if [ "$rc" = 0 ] && [ ! -s "$TMP/d.out" ]; then
    pass "nc to discard: 10 MiB sent, nothing back, closed cleanly"
else
    fail "nc to discard: exit $rc, $(wc -c <"$TMP/d.out") bytes back $(head -c 200 "$TMP/nc.err")"
fi
serve_stop || fail "discard server did not stop cleanly (exit $SERVE_RC)"

# ---- chargen: RFC 864's rotating lines ----
serve_start 10.77.4 --port 19 --app chargen
ns timeout 20 sh -c "nc $A 19 </dev/null | head -c 1000000" >"$TMP/cg.out" 2>/dev/null
python3 -c "
import sys
line = lambda i: bytes(32 + (i + k) % 95 for k in range(72)) + b'\r\n'
want = b''.join(line(i % 95) for i in range(1000000 // 74 + 1))[:1000000]
sys.exit(0 if open(sys.argv[1], 'rb').read() == want else 1)
" "$TMP/cg.out" && pass "chargen: 1 MB of RFC 864 lines" ||
    fail "chargen: $(wc -c <"$TMP/cg.out") bytes, first line $(head -n 1 "$TMP/cg.out" | head -c 80)"
serve_stop || fail "chargen server did not stop cleanly (exit $SERVE_RC)"
live_finish
