#!/bin/sh
# Live test: 20 MiB each way through an impaired link, synack opening the connection
# (`synack connect` to a Linux server in python3 that sends and receives at the same time:
# `nc -l` stops at synack's FIN even when it still has input to send), issue 3. Run from the repo root as
# `BUILD=build sh tests/live/connect_netem.sh`; needs root, ip netns, /dev/net/tun, python3.
# The impairment and the checks are those of serve_netem.sh (tests/live/netem.inc).
NAME=connect_netem
TAG=nconn
. tests/live/lib.sh
live_prereqs
live_require python3 python3
live_require ss iproute2
live_setup
. tests/live/netem.inc

mkdata "$TMP/up.bin" 20
mkdata "$TMP/down.bin" 20
netem_choose
DEV=synack-nc
tun_up 10.77.9 "$DEV" || { fail "ip tuntap/addr/link for $DEV"; exit 1; }
netem_apply "$DEV" || { fail "tc netem on $DEV"; exit 1; }

cat >"$TMP/srv.py" <<'PY'
import socket, sys, threading
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 5000))
l.listen(1)
c, _ = l.accept()
def send():
    with open(sys.argv[1], 'rb') as f:
        c.sendall(f.read())
    c.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
with open(sys.argv[2], 'wb') as out:
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        out.write(b)
t.join()
c.close()
PY
ip netns exec "$NS" timeout 150 python3 "$TMP/srv.py" "$TMP/down.bin" "$TMP/nc.got" 2>"$TMP/nc.err" &
NC=$!
bg_track "$NC"
wait_until 5 sh -c "ip netns exec $NS ss -Hltn 'sport = :5000' | grep -q ." || fail "python3 server did not start"
ss_sampler "sport = :5000"
t0=$(date +%s)
# shellcheck disable=SC2086
ns timeout 150 "$SYNACK" connect --tun "$DEV" --addr 10.77.9.2 --to 10.77.9.1:5000 --counters \
    $NETEM_SYNACK_ARGS <"$TMP/up.bin" >"$TMP/syn.got" 2>"$TMP/syn.err"; rc=$?
t1=$(date +%s)
wait "$NC"; ncrc=$?
ss_stop
if [ "$rc" = 0 ] && [ "$ncrc" = 0 ] && cmp -s "$TMP/up.bin" "$TMP/nc.got" &&
   cmp -s "$TMP/down.bin" "$TMP/syn.got"; then
    pass "impaired ($NETEM_HOW): synack connect <-> python3 server, 20 MiB each way byte-exact, $((t1 - t0)) s"
else
    fail "impaired ($NETEM_HOW): connect exit $rc ($(grep -v '^[a-z_]* [0-9]*$' "$TMP/syn.err" | head -c 200)), server exit $ncrc, $(wc -c <"$TMP/nc.got") up / $(wc -c <"$TMP/syn.got") down"
fi
ss_check
synack_rexmit_check "$TMP/syn.err"
live_finish
