#!/bin/sh
# Live test: connection teardown both ways between Linux and `synack serve` (issue 3), checked
# in synack's own --pcap capture (read with tshark -r and tcpdump -r), in its --trace, and in
# the kernel's view (ss). Run from the repo root as `BUILD=build sh tests/live/serve_teardown.sh`;
# needs root, ip netns, /dev/net/tun, python3, tshark, tcpdump.
#   A. synack closes first (HTTP "Connection: close"): synack FIN_WAIT_1 -> FIN_WAIT_2 ->
#      TIME_WAIT; Linux sits in CLOSE_WAIT until the client closes, then LAST_ACK.
#   B. Linux closes first (the client half-closes after a kept-alive response): synack
#      CLOSE_WAIT -> LAST_ACK -> CLOSED; Linux ends in TIME_WAIT.
# Each capture must show FIN, ACK, FIN, ACK with the right sequence and acknowledgment numbers.
NAME=serve_teardown
TAG=tdown
. tests/live/lib.sh
live_prereqs
live_require python3 python3
live_require tshark tshark
live_require tcpdump tcpdump
live_setup

mkdir -p "$TMP/www" && head -c 5000 /dev/urandom >"$TMP/www/f.bin"
serve_start 10.77.7 --port 80 --app http --root "$TMP/www" --pcap "$TMP/cap.pcap" --trace
A=$SERVE_ADDR

cat >"$TMP/client.py" <<'EOF'
# client.py a|b HOST: one HTTP exchange, then the teardown of case a or b. Prints the local
# port, then what ss says about the socket's state at the interesting moment.
import socket, subprocess, sys, time
mode, host = sys.argv[1], sys.argv[2]
s = socket.create_connection((host, 80), timeout=5)
port = s.getsockname()[1]
def ss(state):
    out = subprocess.run(['ss', '-Htn', 'state', state, '( sport = :%d )' % port],
                         capture_output=True, text=True).stdout
    return 'yes' if out.strip() else 'no'
if mode == 'a':
    s.sendall(b'GET /f.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    data = b''
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    time.sleep(0.4)   # long enough for Linux to ACK the FIN on its own
    print(port, 'close-wait', ss('close-wait'), len(data))
    s.close()
else:
    s.sendall(b'GET /f.bin HTTP/1.1\r\nHost: x\r\n\r\n')
    data = b''
    while b'\r\n\r\n' not in data or len(data) < data.index(b'\r\n\r\n') + 4 + 5000:
        data += s.recv(65536)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    time.sleep(0.1)
    print(port, 'time-wait', ss('time-wait'), len(data))
    s.close()
EOF

n0=$(wc -l <"$TMP/serve.err")
ra=$(ns timeout 10 python3 "$TMP/client.py" a "$A" 2>&1)
sleep 0.3
n1=$(wc -l <"$TMP/serve.err")
rb=$(ns timeout 10 python3 "$TMP/client.py" b "$A" 2>&1)
sleep 0.3
n2=$(wc -l <"$TMP/serve.err")
pa=$(echo "$ra" | cut -d' ' -f1)
pb=$(echo "$rb" | cut -d' ' -f1)

# kernel's view
[ "$(echo "$ra" | cut -d' ' -f3)" = yes ] &&
    pass "A (synack closes first): ss shows the Linux socket in CLOSE-WAIT after synack's FIN" ||
    fail "A: ss close-wait: $ra"
[ "$(echo "$rb" | cut -d' ' -f3)" = yes ] &&
    pass "B (Linux closes first): ss shows the Linux socket in TIME-WAIT" ||
    fail "B: ss time-wait: $rb"

# synack's trace: the transitions of each connection, in order
trans() { sed -n "$(($1 + 1)),$2p" "$TMP/serve.err" | grep ' state conn [0-9]' |
          sed 's/.* state conn [0-9]* \([A-Z_0-9]*\) -> \([A-Z_0-9]*\) .*/\1>\2/' | tr '\n' ' '; }
ta=$(trans "$n0" "$n1")
tb=$(trans "$n1" "$n2")
case "$ta" in
*"ESTABLISHED>FIN_WAIT_1 FIN_WAIT_1>FIN_WAIT_2 FIN_WAIT_2>TIME_WAIT"*)
    pass "A: --trace shows ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT" ;;
*) fail "A: --trace transitions: $ta" ;;
esac
case "$tb" in
*"ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED"*)
    pass "B: --trace shows ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSED" ;;
*) fail "B: --trace transitions: $tb" ;;
esac

if serve_stop; then pass "server stopped cleanly"; else fail "server stop (exit $SERVE_RC)"; fi

# the capture, read back by tcpdump and tshark
npk=$(timeout 20 tcpdump -r "$TMP/cap.pcap" -nn 2>/dev/null | wc -l)
[ "$npk" -ge 20 ] && pass "tcpdump -r reads the --pcap file ($npk packets)" ||
    fail "tcpdump -r: $npk packets"

# check_close PORT FIRST: the last segments of the connection with the client's port PORT,
# FIRST = the side that closes first (s = synack, l = Linux).
check_close() {
    timeout 30 tshark -r "$TMP/cap.pcap" -Y "tcp.port == $1" -T fields -E separator=, \
        -e tcp.srcport -e tcp.flags.fin -e tcp.flags.ack -e tcp.flags.reset -e tcp.seq_raw \
        -e tcp.ack_raw -e tcp.len 2>"$TMP/tshark.err" |
    python3 -c "
import sys
first = sys.argv[1]
segs = []
for line in sys.stdin:
    f = line.strip().split(',')
    if len(f) < 7: continue
    b = lambda v: v in ('1', 'True', 'true')
    who = 's' if f[0] == '80' else 'l'
    segs.append((who, b(f[1]), b(f[2]), b(f[3]), int(f[4]), int(f[5]), int(f[6])))
other = 'l' if first == 's' else 's'
if any(s[3] for s in segs): sys.exit('a RST was sent')
fins = [i for i, s in enumerate(segs) if s[1]]
if len(fins) != 2: sys.exit('%d FIN segments' % len(fins))
i = fins[0]
# From the first FIN on, the teardown's four segments; pure ACKs from the other side that only
# acknowledge data sent before the FIN (the FIN can ride on the last data segment, before the
# earlier data is acknowledged) belong to the data transfer, not to the teardown.
f0 = segs[i][4] + segs[i][6]
tail = [s for s in segs[i:] if not (s[0] != first and not s[1] and s[6] == 0 and s[5] != f0 + 1)]
if len(tail) != 4: sys.exit('%d segments from the first FIN on (want 4): %s' % (len(tail), tail))
(w1, fin1, _, _, seq1, ack1, len1), (w2, fin2, a2, _, seq2, ack2, _), \
    (w3, fin3, a3, _, seq3, ack3, len3), (w4, fin4, a4, _, seq4, ack4, _) = tail
f1 = seq1 + len1          # the first FIN's sequence number
f2 = seq3 + len3          # the second FIN's
checks = [
    (w1 == first and fin1, 'FIN from the closer'),
    (w2 == other and a2 and not fin2 and ack2 == f1 + 1 and seq2 == ack1, 'ACK of it (ack = FIN + 1)'),
    (w3 == other and fin3 and a3 and ack3 == f1 + 1 and seq3 == seq2, 'FIN from the other side'),
    (w4 == first and a4 and not fin4 and ack4 == f2 + 1 and seq4 == f1 + 1, 'last ACK (ack = FIN + 1)'),
]
for ok, what in checks:
    if not ok: sys.exit('wrong ' + what + ': ' + str(tail))
print('FIN %s seq %d, ACK %d, FIN %s seq %d, ACK %d' % (first, f1, f1 + 1, other, f2, f2 + 1))
" "$2"
}
if r=$(check_close "$pa" s 2>&1); then pass "A capture (tshark -r): $r"; else fail "A capture: $r $(head -c 200 "$TMP/tshark.err")"; fi
if r=$(check_close "$pb" l 2>&1); then pass "B capture (tshark -r): $r"; else fail "B capture: $r $(head -c 200 "$TMP/tshark.err")"; fi
live_finish
