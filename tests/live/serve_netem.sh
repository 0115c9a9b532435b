#!/bin/sh
# Live test: 20 MiB each way through an impaired link, Linux opening the connection (nc to
# `synack serve --app echo`), issue 3. Run from the repo root as
# `BUILD=build sh tests/live/serve_netem.sh`; needs root, ip netns, /dev/net/tun, nc.
#
# The impairment is `tc qdisc add dev <tun> root netem loss 5% delay 10ms reorder 10%
# duplicate 1%`, which acts on what Linux sends into the device. When the kernel has no
# sch_netem, synack applies the same impairment to its input itself (--impair ...,dir=in).
# While the data flows, `ss -tni` samples the Linux socket: it must be ESTAB with a sane number
# of retransmissions (no storm), and synack's own retransmissions must stay few too.
NAME=serve_netem
TAG=nserve
. tests/live/lib.sh
live_prereqs
live_require nc netcat-openbsd
live_require ss iproute2
live_setup
. tests/live/netem.inc

mkdata "$TMP/20m.bin" 20
netem_choose
serve_start 10.77.8 --port 7 --app echo $NETEM_SYNACK_ARGS
netem_apply "$SERVE_TUN" || { fail "tc netem on $SERVE_TUN"; exit 1; }

ss_sampler "dport = :7"
t0=$(date +%s)
ns timeout 150 nc -N "$SERVE_ADDR" 7 <"$TMP/20m.bin" >"$TMP/20m.out" 2>"$TMP/nc.err"; rc=$?
t1=$(date +%s)
ss_stop
if [ "$rc" = 0 ] && cmp -s "$TMP/20m.bin" "$TMP/20m.out"; then
    pass "impaired ($NETEM_HOW): 20 MiB each way through echo, byte-exact, $((t1 - t0)) s"
else
    fail "impaired ($NETEM_HOW): nc exit $rc, $(wc -c <"$TMP/20m.out") of 20971520 bytes back, $(head -c 200 "$TMP/nc.err")"
fi
ss_check
serve_stop || fail "server did not stop cleanly (exit $SERVE_RC)"
synack_rexmit_check
live_finish
