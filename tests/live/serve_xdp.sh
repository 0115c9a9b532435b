#!/bin/sh
# Live test: `synack serve --xdp` and `synack connect --xdp` on AF_XDP, against Linux clients
# and servers in another namespace. Run from the repo root as `BUILD=build sh
# tests/live/serve_xdp.sh`; needs root, ip netns, veth, a synack built with AF_XDP (libxdp-dev,
# libbpf-dev), curl, nc (netcat-openbsd), ping, ethtool and a C compiler (for
# tests/live/flooder.c). SKIPs when AF_XDP is unavailable; each XDP mode that the kernel
# refuses is skipped with a note.
#
# Namespace $NS holds veth end xs0 with no kernel address: synack owns 10.77.13.2/24 on it,
# with xs0's MAC. Namespace $NS2 holds the other end, xc0, with 10.77.13.1/24 and 10.77.14.1/32
# (an off-link address for synack, reached through --gateway 10.77.13.1), no default route,
# ip_forward off and a blackhole route for 10.78.0.0/16, so that the SYN-ACKs answering the
# spoofed flood die there. xc0 computes its checksums in software (ethtool tx off): a veth
# hands XDP frames whose checksum is still left to offload.
# For each of native and generic XDP:
#   http: ping, curl 4 MiB (SHA-256); during a bounded SYN flood (FLOOD_RATE SYN/s for
#         FLOOD_SECS s from spoofed 10.78/16 sources, through flooder.c), curls of 1 MiB still
#         succeed, SYN cookies answer the flood, and synack never ARPs for a spoofed source;
#   echo: nc, 1 MiB round trip (SHA-256);
#   connect: synack connect --xdp to a Linux nc -l on-link, and through --gateway, 1 MiB
#         each (SHA-256 both ways);
#   the veth deleted under serve: a one-line message and a non-zero exit within 1 s.
# Then one stack on two veth pairs at once (--xdp twice, the second pair's client in a third
# namespace), with --busy-poll and --queues 1: a 4 MiB curl from each side.
NAME=serve_xdp
TAG=xdp
. tests/live/lib.sh
FLOOD_RATE=${FLOOD_RATE:-20000}
FLOOD_SECS=${FLOOD_SECS:-4}
live_prereqs
live_require curl curl
live_require nc netcat-openbsd
live_require ping iputils-ping
live_require ethtool ethtool
command -v "${CC:-cc}" >/dev/null 2>&1 || skip "no C compiler (${CC:-cc})"
live_setup
trap 'live_cleanup; exit 129' HUP
live_ns2
flooder_build || { fail "build flooder: $(head -c 300 "$TMP/flooder.build")"; exit 1; }

W=$TMP/www
mkdir -p "$W" || { fail "mkdir"; exit 1; }
mkdata "$W/1m.bin" 1
mkdata "$W/4m.bin" 4
A=10.77.13.2
H=10.77.13.1
OFF=10.77.14.1

# The spoofed range dies in $NS2: no forwarding, and a blackhole route. No default routes.
ns2 ip route add blackhole 10.78.0.0/16 || { fail "blackhole route for 10.78.0.0/16"; exit 1; }
ns2 sysctl -q -w net.ipv4.ip_forward=0
ns sysctl -q -w net.ipv4.ip_forward=0
if ns ip route show | grep -q '^default' || ns2 ip route show | grep -q '^default'; then
    fail "a namespace has a default route"
    exit 1
fi

# link_up: the veth pair, fresh (the deletion test removes it).
link_up() {
    ns ip link del xs0 2>/dev/null
    veth_pair "$NS" xs0 "$NS2" xc0 &&
        ns2 ip addr add "$H/24" dev xc0 &&
        ns2 ip addr add "$OFF/32" dev xc0 &&
        ns2 ethtool -K xc0 tx off >/dev/null 2>&1
}

# serve_xdp MODE ARGS...: serve on xs0 in XDP mode MODE. 0 if it listens; 2 if the kernel
# refused this mode; 3 if this build has no AF_XDP.
serve_xdp() {
    _m=$1; shift
    ip netns exec "$NS" timeout --foreground -k 20 240 "$SYNACK" serve --xdp xs0 --xdp-mode "$_m" \
        --addr "$A/24" "$@" >"$TMP/serve.out" 2>"$TMP/serve.err" &
    SERVE_PID=$!
    wait_until 20 grep -q -e ' app on ' -e 'cannot' -e 'no AF_XDP' "$TMP/serve.err"
    grep -q ' app on ' "$TMP/serve.err" && return 0
    # not listening (yet): never wait on a serve that may still be running
    kill -TERM "$SERVE_PID" 2>/dev/null
    sleep 0.2
    kill -KILL "$SERVE_PID" 2>/dev/null
    wait "$SERVE_PID" 2>/dev/null
    SERVE_PID=
    grep -q 'no AF_XDP' "$TMP/serve.err" && return 3
    grep -q 'cannot open AF_XDP' "$TMP/serve.err" && return 2
    fail "synack serve --xdp $_m $* did not start within 20 s: $(tr '\n' ' ' <"$TMP/serve.err" | head -c 400)"
    return 1
}

# curl_ok FILE: downloads FILE from synack; 0 if its SHA-256 matches.
curl_ok() {
    ns2 timeout 20 curl -sS -m 15 -o "$TMP/dl.bin" "http://$A/$1" 2>"$TMP/curl.err" &&
        [ "$(sha "$TMP/dl.bin")" = "$(sha "$W/$1")" ]
}

modes_run=
for MODE in native generic; do
    link_up || { fail "$MODE: veth setup"; continue; }
    # ---- http ----
    serve_xdp "$MODE" --port 80 --app http --root "$W" --backlog 64 --syn-backlog 64
    r=$?
    if [ "$r" = 3 ]; then skip "this synack has no AF_XDP (install libxdp-dev libbpf-dev and rebuild)"; fi
    if [ "$r" = 2 ]; then
        echo "  note: $MODE XDP refused here: $(grep cannot "$TMP/serve.err" | head -n 1)"
        continue
    fi
    [ "$r" = 0 ] || continue
    modes_run="$modes_run $MODE"
    how=$(grep 'XDP, ' "$TMP/serve.err" | head -n 1 | sed 's/^synack serve: xs0: //')
    out=$(ns2 timeout 10 ping -c 3 -i 0.2 -W 2 "$A" 2>&1)
    if printf '%s\n' "$out" | grep -q ' 3 received'; then
        pass "$MODE: ping $A over AF_XDP ($how): 3 of 3 answered"
    else
        fail "$MODE: ping: $(printf '%s\n' "$out" | tail -n 2 | tr '\n' ' ')"
    fi
    t0=$(date +%s%N)
    if curl_ok 4m.bin; then
        ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        pass "$MODE: curl 4 MiB over AF_XDP: SHA-256 matches ($ms ms)"
    else
        fail "$MODE: curl 4 MiB: $(head -c 200 "$TMP/curl.err")"
    fi

    # ---- a SYN flood from spoofed sources, with legitimate curls meanwhile ----
    NSTAT_HISTORY=$TMP/nstat.hist ns2 nstat -asz >"$TMP/nstat0" 2>/dev/null
    ns2 timeout $((FLOOD_SECS + 10)) "$FLOODER" syn --to "$A:80" --count $((FLOOD_RATE * FLOOD_SECS)) \
        --rate "$FLOOD_RATE" --duration "$FLOOD_SECS" >"$TMP/flood.out" 2>&1 &
    FP=$!
    bg_track $FP
    sleep 0.5
    ok=0; tries=0
    t_end=$(( $(date +%s) + FLOOD_SECS - 1 ))
    while [ "$(date +%s)" -lt "$t_end" ] && [ $tries -lt 50 ]; do
        tries=$((tries + 1))
        curl_ok 1m.bin && ok=$((ok + 1))
    done
    wait $FP
    if serve_stop; then
        sent=$(awk '{ print $2 }' "$TMP/flood.out")
        cookies=$(counter tcp_syncookies_sent)
        if [ "$tries" -ge 3 ] && [ "$ok" = "$tries" ] && [ "${sent:-0}" -ge $((FLOOD_RATE * FLOOD_SECS * 9 / 10)) ] &&
           [ "$cookies" -ge $((sent * 9 / 10)) ]; then
            pass "$MODE: SYN flood of $sent spoofed SYNs ($cookies answered with a cookie): $ok of $tries curls of 1 MiB intact meanwhile"
        else
            fail "$MODE: flood: $(cat "$TMP/flood.out"); $ok of $tries curls intact; tcp_syncookies_sent $cookies"
        fi
        # SYN-ACKs answer the frame that carried the SYN (its source MAC); only retransmitted
        # ones are routed, and 10.78/16 is off-link with no gateway: dropped, never ARPed for.
        arps=$(counter arp_requests_sent)
        nr=$(counter eth_drop_no_route)
        if [ "$arps" -le 4 ] && [ "$(counter eth_neigh_used)" -le 2 ] && [ "$nr" -le "$(counter tcp_synack_rexmit)" ]; then
            pass "$MODE: the flood's SYN-ACKs went to the frames' source MAC: $arps ARP requests in all, $(counter eth_neigh_used) neighbour entries, $nr retransmitted SYN-ACKs to 10.78/16 dropped unrouted"
        else
            fail "$MODE: under the flood: arp_requests_sent $arps, eth_neigh_used $(counter eth_neigh_used), eth_drop_no_route $nr, tcp_synack_rexmit $(counter tcp_synack_rexmit)"
        fi
        echo "  $MODE: counters: tcp_syn_in $(counter tcp_syn_in) tcp_syncookies_sent $cookies tcp_accepted $(counter tcp_accepted)" \
            "dev_rx_packets $(counter dev_rx_packets) dev_tx_packets $(counter dev_tx_packets) dev_tx_dropped $(counter dev_tx_dropped)" \
            "xdp_kernel_rx_dropped $(counter xdp_kernel_rx_dropped) arp_pending_drop $(counter arp_pending_drop)"
    else
        fail "$MODE: serve did not stop cleanly after the flood (exit $SERVE_RC)"
        tail -n 3 "$TMP/serve.err"
    fi

    # ---- echo ----
    if serve_xdp "$MODE" --port 7 --app echo; then
        ns2 timeout 30 nc -N "$A" 7 <"$W/1m.bin" >"$TMP/echo.out" 2>"$TMP/nc.err"; rc=$?
        if [ "$rc" = 0 ] && [ "$(sha "$TMP/echo.out")" = "$(sha "$W/1m.bin")" ]; then
            pass "$MODE: nc to echo over AF_XDP: 1 MiB round trip, SHA-256 matches"
        else
            fail "$MODE: nc to echo: exit $rc, $(wc -c <"$TMP/echo.out") bytes back $(head -c 200 "$TMP/nc.err")"
        fi
        serve_stop || fail "$MODE: echo serve did not stop cleanly (exit $SERVE_RC)"
    fi

    # ---- connect: to a Linux nc -l, on-link and through the gateway ----
    for to in "$H" "$OFF"; do
        gw=
        [ "$to" = "$OFF" ] && gw="--gateway $H"
        ip netns exec "$NS2" timeout 30 nc -N -l "$to" 9000 <"$W/1m.bin" >"$TMP/nc.got" 2>"$TMP/nc.err" &
        NC=$!
        bg_track "$NC"
        wait_until 5 sh -c "ip netns exec $NS2 ss -Hltn 'sport = :9000' | grep -q ." || fail "nc -l did not start"
        # shellcheck disable=SC2086
        (cat "$W/4m.bin"; sleep 1) | ns timeout 30 "$SYNACK" connect --xdp xs0 --xdp-mode "$MODE" \
            --addr "$A/24" $gw --to "$to:9000" --counters >"$TMP/syn.got" 2>"$TMP/syn.err"; rc=$?
        wait "$NC"; ncrc=$?
        if [ "$rc" = 0 ] && [ "$ncrc" = 0 ] && [ "$(sha "$TMP/nc.got")" = "$(sha "$W/4m.bin")" ] &&
           [ "$(sha "$TMP/syn.got")" = "$(sha "$W/1m.bin")" ]; then
            pass "$MODE: synack connect --xdp ${gw:-(on-link)} to nc -l $to: 4 MiB up, 1 MiB down, SHA-256 match"
        else
            fail "$MODE: connect to $to $gw: exit $rc ($(grep -v '^[a-z_0-9]* [0-9]*$' "$TMP/syn.err" | head -c 200)), nc exit $ncrc, got $(wc -c <"$TMP/nc.got") up / $(wc -c <"$TMP/syn.got") down"
        fi
    done

    # ---- the interface deleted under serve ----
    if serve_xdp "$MODE" --port 7 --app echo; then
        sleep 0.3
        ns ip link del xs0
        if serve_exit_within 1000 && grep -q "device xs0 went away" "$TMP/serve.err"; then
            pass "$MODE: veth deleted under serve: exit $SERVE_RC after $SERVE_MS ms ('$(grep 'went away' "$TMP/serve.err")')"
        else
            fail "$MODE: veth deleted under serve: exit $SERVE_RC after $SERVE_MS ms: $(tail -n 2 "$TMP/serve.err" | tr '\n' ' ')"
        fi
    fi
done
[ -n "$modes_run" ] || skip "neither native nor generic XDP could be attached to a veth here"

# ---- one stack on two interfaces (--xdp twice), --busy-poll, --queues 1 ----
# A third namespace behind xs1/xc1 holds 10.77.13.3/24: the same subnet as xc0's, on another wire.
MODE=${modes_run# }; MODE=${MODE%% *}
live_ns3
if link_up && veth_pair "$NS" xs1 "$NS3" xc1 && ns3 ip addr add 10.77.13.3/24 dev xc1 &&
   ns3 ethtool -K xc1 tx off >/dev/null 2>&1; then
    if serve_xdp "$MODE" --xdp xs1 --busy-poll --queues 1 --port 80 --app http --root "$W"; then
        ok=0
        for c in ns2 ns3; do
            $c timeout 20 curl -sS -m 15 -o "$TMP/dl.bin" "http://$A/4m.bin" 2>"$TMP/curl.err" &&
                [ "$(sha "$TMP/dl.bin")" = "$(sha "$W/4m.bin")" ] && ok=$((ok + 1))
        done
        if serve_stop && [ "$ok" = 2 ] && [ "$(counter dev0_tx_packets)" -ge 2000 ] &&
           [ "$(counter dev1_tx_packets)" -ge 2000 ]; then
            pass "$MODE: --xdp xs0 --xdp xs1 --busy-poll: curl 4 MiB from each side intact (dev0_tx_packets $(counter dev0_tx_packets), dev1_tx_packets $(counter dev1_tx_packets))"
        else
            fail "two interfaces: $ok of 2 curls intact, serve exit $SERVE_RC, dev0_tx_packets $(counter dev0_tx_packets) dev1_tx_packets $(counter dev1_tx_packets)"
        fi
    fi
else
    fail "second veth pair setup"
fi
live_finish
