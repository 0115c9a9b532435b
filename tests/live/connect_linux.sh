#!/bin/sh
# Live test: `synack connect` dialling Linux servers (issue 3). Run from the repo root as
# `BUILD=build sh tests/live/connect_linux.sh`; needs root, ip netns, /dev/net/tun, nc
# (netcat-openbsd), python3.
# Checks: data both ways with a Linux `nc -l` (synack configures the device itself with
# --host-addr); an HTTP/1.0 GET from `python3 -m http.server` on a device set up beforehand with
# `ip` (no --host-addr); exit status and message on refusal, on a reset and on a timeout.
NAME=connect_linux
TAG=conn
. tests/live/lib.sh
live_prereqs
live_require nc netcat-openbsd
live_require python3 python3
live_setup

mkdata "$TMP/up.bin" 4
mkdata "$TMP/down.bin" 3
listening() { ns ss -Hltn "sport = :$1" | grep -q .; }

# ---- nc -l: both ways at once; synack creates and configures the device ----
ip netns exec "$NS" timeout 30 nc -N -l 5000 <"$TMP/down.bin" >"$TMP/nc.got" 2>"$TMP/nc.err" &
NC=$!
bg_track "$NC"
wait_until 5 listening 5000 || fail "nc -l did not start"
# The device (and so 10.77.5.1) appears when synack connect configures it; nc listens on any.
# nc stops sending when it gets synack's FIN, so synack's input ends a second after its data.
(cat "$TMP/up.bin"; sleep 1) | ns timeout 30 "$SYNACK" connect --tun synack-c1 --addr 10.77.5.2 --host-addr 10.77.5.1/24 \
    --to 10.77.5.1:5000 --trace >"$TMP/syn.got" 2>"$TMP/syn.err"; rc=$?
wait "$NC"; ncrc=$?
if [ "$rc" = 0 ] && [ "$ncrc" = 0 ] && cmp -s "$TMP/up.bin" "$TMP/nc.got" &&
   cmp -s "$TMP/down.bin" "$TMP/syn.got"; then
    pass "synack connect <-> nc -l: 4 MiB up and 3 MiB down byte-exact, both exit 0"
else
    fail "nc -l: connect exit $rc ($(grep -v '^\[' "$TMP/syn.err" | head -c 200)), nc exit $ncrc, got $(wc -c <"$TMP/nc.got") up / $(wc -c <"$TMP/syn.got") down"
fi
# nc closed first (-N, its input was shorter-lived): synack went through CLOSE_WAIT, LAST_ACK
tr=$(grep ' state conn [0-9]' "$TMP/syn.err" | sed 's/.* \([A-Z_0-9]*\) -> \([A-Z_0-9]*\) .*/\1>\2/' | tr '\n' ' ')
case "$tr" in
*"ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED"*)
    pass "peer closed first: connect --trace shows CLOSE_WAIT -> LAST_ACK -> CLOSED" ;;
*) fail "peer closed first: connect --trace transitions: $tr" ;;
esac

# ---- python3 -m http.server on a device configured with ip (no --host-addr) ----
tun_up 10.77.6 synack-c2 || fail "ip tuntap/addr/link for synack-c2"
mkdir -p "$TMP/www" && cp "$TMP/down.bin" "$TMP/www/f.bin"
(cd "$TMP/www" && exec ip netns exec "$NS" timeout 60 python3 -m http.server --bind 10.77.6.1 8000) \
    >"$TMP/py.log" 2>&1 &
PY=$!
bg_track "$PY"
wait_until 10 listening 8000 || fail "python3 -m http.server did not start"
printf 'GET /f.bin HTTP/1.0\r\nHost: 10.77.6.1\r\n\r\n' |
    ns timeout 30 "$SYNACK" connect --tun synack-c2 --addr 10.77.6.2 --to 10.77.6.1:8000 \
    --trace >"$TMP/http.got" 2>"$TMP/syn.err"; rc=$?
python3 - "$TMP/http.got" "$TMP/www/f.bin" <<'EOF'
import sys
got = open(sys.argv[1], 'rb').read()
head, sep, body = got.partition(b'\r\n\r\n')
ok = sep and head.startswith(b'HTTP/1.0 200') and body == open(sys.argv[2], 'rb').read()
sys.exit(0 if ok else 1)
EOF
if [ $? = 0 ] && [ "$rc" = 0 ]; then
    pass "synack connect to python3 http.server: request up, 3 MiB response down byte-exact, exit 0"
else
    fail "http.server: exit $rc, $(grep -v '^\[' "$TMP/syn.err" | head -c 200), got $(wc -c <"$TMP/http.got") bytes: $(head -n 1 "$TMP/http.got")"
fi
# synack half-closed right after the request: it closed first and ends in TIME_WAIT
tr=$(grep ' state conn [0-9]' "$TMP/syn.err" | sed 's/.* \([A-Z_0-9]*\) -> \([A-Z_0-9]*\) .*/\1>\2/' | tr '\n' ' ')
case "$tr" in
*"ESTABLISHED>FIN_WAIT_1 FIN_WAIT_1>FIN_WAIT_2 FIN_WAIT_2>TIME_WAIT"*)
    pass "synack closed first: connect --trace shows FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT" ;;
*) fail "synack closed first: connect --trace transitions: $tr" ;;
esac

# ---- refusal: a closed Linux port ----
t0=$(date +%s.%N)
msg=$(ns timeout 10 "$SYNACK" connect --tun synack-c2 --addr 10.77.6.2 --to 10.77.6.1:5999 \
    </dev/null 2>&1 >/dev/null); rc=$?
t1=$(date +%s.%N)
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && printf '%s' "$msg" | grep -q 'connection refused'; then
    pass "closed port: exit $rc, \"$msg\" ($(awk "BEGIN { printf \"%.0f\", ($t1 - $t0) * 1000 }") ms)"
else
    fail "closed port: exit $rc, \"$msg\""
fi

# ---- reset: the server aborts the connection ----
ip netns exec "$NS" timeout 20 python3 -c "
import socket, struct, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 5001)); l.listen(1)
c, _ = l.accept(); c.recv(100); time.sleep(0.2)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()
" >"$TMP/rst.log" 2>&1 &
RS=$!
bg_track "$RS"
wait_until 10 listening 5001 || fail "reset server did not start"
msg=$( (printf 'hello\n'; sleep 3) | ns timeout 10 "$SYNACK" connect --tun synack-c2 \
    --addr 10.77.6.2 --to 10.77.6.1:5001 2>&1 >/dev/null); rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && printf '%s' "$msg" | grep -q 'reset'; then
    pass "reset by the peer: exit $rc, \"$msg\""
else
    fail "reset: exit $rc, \"$msg\""
fi

# ---- timeout: nobody answers (10.77.6.9 does not exist; no forwarding in the namespace) ----
msg=$(ns timeout 10 "$SYNACK" connect --tun synack-c2 --addr 10.77.6.2 --to 10.77.6.9:80 \
    --connect-timeout 1 </dev/null 2>&1 >/dev/null); rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && printf '%s' "$msg" | grep -q 'timed out'; then
    pass "no answer: exit $rc, \"$msg\""
else
    fail "timeout: exit $rc, \"$msg\""
fi
live_finish
