#!/bin/sh
# Hostile load (issue 10): LAND on a forwarding host. Run from the repo root as
# `BUILD=build sh tests/live/hostile/land.sh` (root, ip netns, /dev/net/tun, curl, tcpdump, cc).
#
# Namespace A forwards (ip_forward 1, rp_filter 0): synack serve --app http on TUN
# synack-land (kernel 10.77.24.1, synack 10.77.24.2), and a veth to namespace B (10.77.25.1 -
# 10.77.25.2; B routes 10.77.24.0/24 via A, no default route). Legitimate curls run from B
# through A's forwarding. B injects one SYN from synack's own address and port to itself
# (10.77.24.2:80 > 10.77.24.2:80; tests/live/flooder.c tcp): A forwards it into the TUN. A
# stack that answered would send its SYN-ACK to itself through the kernel, which forwards it
# back into the TUN: a loop (6.98 M packets in 6 s before issue 10). tcpdump on the TUN counts,
# over LAND_SECS (4 s), what synack sends from its address to its address: fewer than 100
# passes (0 expected: the datagram is dropped, ip_drop_own_src), with the forwarded SYN seen
# going in and every curl served.
NAME=hostile_land
TAG=land
. tests/live/lib.sh
live_prereqs
live_require curl curl
live_require tcpdump tcpdump
command -v "${CC:-cc}" >/dev/null 2>&1 || skip "no C compiler (${CC:-cc})"
live_setup
live_ns2
LAND_SECS=${LAND_SECS:-4}
flooder_build || { fail "build flooder: $(head -c 300 "$TMP/flooder.build")"; exit 1; }

W=$TMP/www
mkdir -p "$W" && echo "<html>hello</html>" >"$W/index.html" || { fail "mkdir"; exit 1; }
serve_start 10.77.24 --port 80 --app http --root "$W"
veth_pair "$NS" land-a "$NS2" land-b || { fail "veth pair"; exit 1; }
ns ip addr add 10.77.25.1/24 dev land-a
ns2 ip addr add 10.77.25.2/24 dev land-b
ns2 ip route add 10.77.24.0/24 via 10.77.25.1
ns sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.land-a.rp_filter=0 \
    "net.ipv4.conf.$SERVE_TUN.rp_filter=0" net.ipv4.conf.all.send_redirects=0 \
    "net.ipv4.conf.$SERVE_TUN.send_redirects=0"
if ns ip route show | grep -q '^default' || ns2 ip route show | grep -q '^default'; then
    fail "a namespace has a default route"; exit 1
fi

LEGIT_NS=$NS2
legit_start "http://$SERVE_ADDR/index.html"
sleep 1
F="src host $SERVE_ADDR and dst host $SERVE_ADDR"
ns timeout $((LAND_SECS + 1)) tcpdump -i "$SERVE_TUN" -Q in -nn -U -w "$TMP/in.pcap" "$F" 2>"$TMP/td.in" &
T1=$!
ns timeout $((LAND_SECS + 1)) tcpdump -i "$SERVE_TUN" -Q out -nn -U -w "$TMP/out.pcap" "$F" 2>"$TMP/td.out" &
T2=$!
bg_track $T1
bg_track $T2
sleep 0.5
ns2 timeout 5 "$FLOODER" tcp --from "$SERVE_ADDR:80" --to "$SERVE_ADDR:80" --flags S --count 1 \
    --seq 12345 >"$TMP/land.out" 2>&1
wait $T1 $T2
legit_stop
serve_stop || fail "serve did not stop cleanly (exit $SERVE_RC)"

replies=$(tcpdump -r "$TMP/in.pcap" -nn 2>/dev/null | wc -l)
injected=$(tcpdump -r "$TMP/out.pcap" -nn 2>/dev/null | wc -l)
own=$(counter ip_drop_own_src)
figs="forwarded into the TUN: $injected; synack sent from itself to itself in ${LAND_SECS}s: $replies; ip_drop_own_src $own; curls through the forwarding host $LEGIT_OK/$LEGIT_N ok; flooder: $(cat "$TMP/land.out")"
if [ "$injected" -ge 1 ] && [ "$replies" -lt 100 ] && [ "$own" -ge 1 ] && legit_ok; then
    pass "LAND on a forwarding host: $figs"
else
    fail "LAND: $figs"
    head -n 3 "$TMP/td.in" "$TMP/td.out"
fi
live_finish
