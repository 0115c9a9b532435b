#!/bin/sh
# Live test: `synack serve --tap` (Ethernet frames and ARP through the core's Ethernet layer),
# and what happens when a TAP or TUN device is deleted under a running serve. Run from the
# repo root as `BUILD=build sh tests/live/serve_tap.sh`; needs root, ip netns, /dev/net/tun,
# curl, nc (netcat-openbsd), ping; tcpdump is used when present.
# In one namespace: TAP synack-tap, the kernel 10.77.11.1/24 on it, synack 10.77.11.2 at the
# other end of the wire with MAC 02:00:0a:4d:0b:02 (--mac).
#   http: 1 MiB download (SHA-256), ping, the kernel's ARP entry for synack is that MAC, the
#         --pcap file is Ethernet (tcpdump -r shows the ARP exchange);
#   echo: 1 MiB round trip through nc (SHA-256 both ways);
#   discard: 1 MiB upload through nc, counted by the device (dev_rx_bytes) and the stack;
#   TAP, then TUN, deleted under serve: a one-line message and a non-zero exit within 1 s.
NAME=serve_tap
TAG=tap
. tests/live/lib.sh
live_prereqs
live_require curl curl
live_require nc netcat-openbsd
live_require ping iputils-ping
live_setup

W=$TMP/www
mkdir -p "$W" || { fail "mkdir"; exit 1; }
mkdata "$W/1m.bin" 1
MAC=02:00:0a:4d:0b:02
SERVE_LINK=tap

# ---- http over TAP ----
serve_start 10.77.11 --port 80 --app http --root "$W" --mac "$MAC" --pcap "$TMP/tap.pcap"
out=$(ns timeout 10 ping -c 3 -i 0.2 -W 2 "$SERVE_ADDR" 2>&1)
if printf '%s\n' "$out" | grep -q ' 3 received'; then
    pass "ping $SERVE_ADDR over TAP: 3 of 3 answered"
else
    fail "ping over TAP: $(printf '%s\n' "$out" | tail -n 2 | tr '\n' ' ')"
fi
out=$(ns timeout 30 curl -sS -m 20 -o "$TMP/dl.bin" -w '%{http_code} %{speed_download}' \
    "http://$SERVE_ADDR/1m.bin" 2>&1)
if [ "$(sha "$TMP/dl.bin")" = "$(sha "$W/1m.bin")" ]; then
    pass "curl 1 MiB over TAP: SHA-256 matches ($(echo "$out" | awk '{ printf "%.0f", $2 / 1048576 }') MiB/s)"
else
    fail "curl over TAP: $out"
fi
neigh=$(ns ip neigh show "$SERVE_ADDR" dev "$SERVE_TUN")
if printf '%s' "$neigh" | grep -qi "lladdr $MAC"; then
    pass "the kernel resolved $SERVE_ADDR to synack's --mac $MAC (ARP)"
else
    fail "kernel neighbour entry for $SERVE_ADDR: '$neigh' (want lladdr $MAC)"
fi
if serve_stop; then
    if [ "$(counter arp_replies_sent)" -ge 1 ] && [ "$(counter tcp_accepted)" -ge 1 ] &&
       [ "$(counter dev_tx_packets)" -ge 700 ] && [ "$(counter eth_out)" = "$(counter dev_tx_packets)" ]; then
        pass "http stopped cleanly: arp_replies_sent $(counter arp_replies_sent), eth_in $(counter eth_in), dev_rx_packets $(counter dev_rx_packets), dev_tx_packets $(counter dev_tx_packets)"
    else
        fail "http counters: arp_replies_sent $(counter arp_replies_sent) tcp_accepted $(counter tcp_accepted) eth_out $(counter eth_out) dev_tx_packets $(counter dev_tx_packets)"
    fi
else
    fail "http over TAP did not stop cleanly (exit $SERVE_RC)"
    tail -n 5 "$TMP/serve.err"
fi
if command -v tcpdump >/dev/null 2>&1; then
    td=$(timeout 10 tcpdump -n -e -r "$TMP/tap.pcap" 2>&1)
    if printf '%s\n' "$td" | head -n 1 | grep -q 'link-type EN10MB' &&
       printf '%s\n' "$td" | grep -q "Reply $SERVE_ADDR is-at $MAC" &&
       printf '%s\n' "$td" | grep -q "^[0-9:.]* $MAC > .*ethertype IPv4 .*$SERVE_ADDR\.80 > "; then
        pass "--pcap on TAP is Ethernet: tcpdump -r reads $(printf '%s\n' "$td" | grep -c .) lines, ARP reply and TCP frames from $MAC"
    else
        fail "--pcap on TAP: $(printf '%s\n' "$td" | head -n 3 | tr '\n' ' ')"
    fi
fi

# ---- echo over TAP: 1 MiB there and back ----
serve_start 10.77.11 --port 7 --app echo
ns timeout 30 nc -N "$SERVE_ADDR" 7 <"$W/1m.bin" >"$TMP/echo.out" 2>"$TMP/nc.err"; rc=$?
if [ "$rc" = 0 ] && [ "$(sha "$TMP/echo.out")" = "$(sha "$W/1m.bin")" ]; then
    pass "nc to echo over TAP: 1 MiB round trip, SHA-256 matches"
else
    fail "nc to echo over TAP: exit $rc, $(wc -c <"$TMP/echo.out") bytes back $(head -c 200 "$TMP/nc.err")"
fi
serve_stop || fail "echo over TAP did not stop cleanly (exit $SERVE_RC)"

# ---- discard over TAP: 1 MiB upload, counted; then the TAP deleted under serve ----
serve_start 10.77.11 --port 9 --app discard
ns timeout 30 nc -N "$SERVE_ADDR" 9 <"$W/1m.bin" >"$TMP/discard.out" 2>"$TMP/nc.err"; rc=$?
if [ "$rc" = 0 ] && [ ! -s "$TMP/discard.out" ]; then
    pass "nc to discard over TAP: 1 MiB sent, nothing back, closed cleanly"
else
    fail "nc to discard over TAP: exit $rc, $(wc -c <"$TMP/discard.out") bytes back $(head -c 200 "$TMP/nc.err")"
fi
sleep 0.2
ns ip link del "$SERVE_TUN"
if serve_exit_within 1000 && grep -q "device $SERVE_TUN went away" "$TMP/serve.err"; then
    rx=$(counter dev_rx_bytes)
    if [ "$rx" -ge 1048576 ] && [ "$(counter tcp_accepted)" = 1 ]; then
        pass "TAP deleted under serve: exit $SERVE_RC after $SERVE_MS ms ('$(grep 'went away' "$TMP/serve.err")'); counters: dev_rx_bytes $rx, tcp_accepted 1"
    else
        fail "TAP deleted: exit $SERVE_RC, but counters dev_rx_bytes $rx tcp_accepted $(counter tcp_accepted)"
    fi
else
    fail "TAP deleted under serve: exit $SERVE_RC after $SERVE_MS ms: $(tail -n 2 "$TMP/serve.err" | tr '\n' ' ')"
fi

# ---- TUN deleted under serve, idle and with a connection open ----
SERVE_LINK=tun
serve_start 10.77.12 --port 7 --app echo
ns timeout 20 nc "$SERVE_ADDR" 7 </dev/zero >/dev/null 2>&1 &
bg_track $!
sleep 0.5
ns ip link del "$SERVE_TUN"
if serve_exit_within 1000 && grep -q "device $SERVE_TUN went away" "$TMP/serve.err"; then
    pass "TUN deleted under serve (during a transfer): exit $SERVE_RC after $SERVE_MS ms ('$(grep 'went away' "$TMP/serve.err")')"
else
    fail "TUN deleted under serve: exit $SERVE_RC after $SERVE_MS ms: $(tail -n 2 "$TMP/serve.err" | tr '\n' ' ')"
fi
serve_start 10.77.12 --port 7 --app echo
sleep 0.3
ns ip link del "$SERVE_TUN"
if serve_exit_within 1000 && grep -q "device $SERVE_TUN went away" "$TMP/serve.err"; then
    pass "TUN deleted under an idle serve: exit $SERVE_RC after $SERVE_MS ms"
else
    fail "TUN deleted under an idle serve: exit $SERVE_RC after $SERVE_MS ms: $(tail -n 2 "$TMP/serve.err" | tr '\n' ' ')"
fi
live_finish
