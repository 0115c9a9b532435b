#!/bin/sh
# CLI tests of the link options of `synack serve` and `synack connect` (no root needed: every
# case is refused before a device is opened). Run from the repository root:
# BUILD=build sh tests/cli/link_opts.sh. Prints "PASS link_opts: ..." or "FAIL link_opts: ...".
BUILD=${BUILD:-build}
BIN="$BUILD/synack"
fails=0
pass() { echo "PASS link_opts: $1"; }
fail() { echo "FAIL link_opts: $1"; fails=$((fails + 1)); }
[ -x "$BIN" ] || { fail "no $BIN (run make first)"; exit 1; }

# refused CMD WANT ARGS...: exit 2 and a message containing WANT.
refused() {
    _cmd=$1; _want=$2; shift 2
    _err=$("$BIN" "$_cmd" "$@" 2>&1 >/dev/null </dev/null); _rc=$?
    if [ "$_rc" = 2 ] && printf '%s' "$_err" | grep -qF -- "$_want"; then
        pass "$_cmd $*: exit 2, '$_want'"
    else
        fail "$_cmd $*: exit $_rc, '$(printf '%s' "$_err" | head -n 1)' (want exit 2 and '$_want')"
    fi
}
S="--port 7 --app echo"
refused serve "a link (--tun, --tap or --xdp)" --addr 10.77.0.2 $S
refused serve "one link only" --tun a --tap b --addr 10.77.0.2 $S
refused serve "one link only" --tun a --tun b --addr 10.77.0.2 $S
refused serve "one link only" --xdp a --tun b --addr 10.77.0.2 $S
refused serve "given twice" --xdp a --xdp a --addr 10.77.0.2 $S
refused serve "--mac needs --tap" --tun a --mac 02:00:00:00:00:01 --addr 10.77.0.2 $S
refused serve "multicast" --tap a --mac 03:00:00:00:00:01 --addr 10.77.0.2 $S
refused serve "bad value '02:00:00:00:01' for --mac" --tap a --mac 02:00:00:00:01 --addr 10.77.0.2 $S
refused serve "--offload needs --tun" --tap a --offload --addr 10.77.0.2 $S
refused serve "need --xdp" --tap a --xdp-copy --addr 10.77.0.2 $S
refused serve "need --xdp" --tun a --queues 2 --addr 10.77.0.2 $S
refused serve "bad value 'fast' for --xdp-mode" --xdp a --xdp-mode fast --addr 10.77.0.2 $S
refused serve "--gateway needs an Ethernet link" --tun a --gateway 10.77.0.1 --addr 10.77.0.2 $S
refused serve "--host-addr is for TUN and TAP" --xdp a --host-addr 10.77.0.1/24 --addr 10.77.0.2 $S
refused serve "is not on-link" --xdp a --addr 10.77.0.2/24 --gateway 10.77.1.1 $S
refused serve "is not in the prefix of" --tap a --addr 10.77.1.2 --host-addr 10.77.0.1/24 $S
refused serve "for --addr" --tap a --addr 10.77.0.2/33 $S
refused connect "a link (--tun, --tap or --xdp)" --addr 10.77.0.2 --to 10.77.0.1:80
refused connect "--mac needs --tap" --xdp a --mac 02:00:00:00:00:01 --addr 10.77.0.2 --to 10.77.0.1:80

# help texts name every new option
for o in --tun --tap --xdp --offload --mac --xdp-mode --xdp-copy --queues --busy-poll --gateway; do
    if "$BIN" serve --help | grep -qF -- "$o" && "$BIN" connect --help | grep -qF -- "$o"; then
        :
    else
        fail "serve/connect --help lack $o"
    fi
done
"$BIN" help | grep -qF -- "--xdp IFNAME" && "$BIN" help | grep -qF -- "--tap NAME" &&
    pass "help texts list the link options" || fail "synack help lacks the link options"
[ "$fails" = 0 ]
