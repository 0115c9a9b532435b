#!/bin/sh
# CLI tests of `synack demo`: every scenario runs and exits 0, the diagram carries the seed text's
# labels with the real ISNs, the state sequences are the textbook ones, and --seed makes runs
# reproducible. Run from the repository root: BUILD=build sh tests/cli/demo.sh
# Prints one line per check: "PASS demo: ..." or "FAIL demo: ...".
BUILD=${BUILD:-build}
BIN="$BUILD/synack"
TMP=${TMPDIR:-/tmp}/synack-demo-test.$$
mkdir -p "$TMP" || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
fails=0

pass() { echo "PASS demo: $1"; }
fail() { echo "FAIL demo: $1"; fails=$((fails + 1)); }
# check NAME COMMAND...: PASS if the command succeeds.
check() { name=$1; shift; if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name"; fi; }
# has FILE STRING: the output contains STRING (fixed string).
has() { grep -qF -- "$2" "$1"; }

if [ ! -x "$BIN" ]; then
    fail "no $BIN (run make first)"
    exit 1
fi

# Every scenario, seed 1.
for sc in handshake refused simopen simclose lossy udp-refused; do
    "$BIN" demo --scenario "$sc" --seed 1 >"$TMP/$sc.out" 2>"$TMP/$sc.err"
    rc=$?
    if [ "$rc" -eq 0 ] && has "$TMP/$sc.out" "result: ok"; then
        pass "$sc exits 0"
    else
        fail "$sc exits $rc: $(tail -n 1 "$TMP/$sc.err")"
    fi
done

# handshake: the seed's three labels, with the ISNs from the header line.
out=$TMP/handshake.out
cisn=$(sed -n 's/.*client_isn = \([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
sisn=$(sed -n 's/.*server_isn = \([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
if [ -n "$cisn" ] && [ -n "$sisn" ]; then pass "handshake header shows client_isn and server_isn"
else fail "handshake header shows client_isn and server_isn"; fi
check "handshake: SYN=1, seq=client_isn (=$cisn)" has "$out" "SYN=1, seq=client_isn (=$cisn) --"
check "handshake: SYN=1, ACK=1, seq=server_isn (=$sisn), ack=client_isn+1" \
    has "$out" "SYN=1, ACK=1, seq=server_isn (=$sisn), ack=client_isn+1 -"
check "handshake: SYN=0, seq=client_isn+1, ack=server_isn+1" \
    has "$out" "SYN=0, seq=client_isn+1, ack=server_isn+1 --"
check "handshake: request with payload" has "$out" 'seq=client_isn+1, ack=server_isn+1, 5 bytes "hello"'
check "handshake: response with payload" has "$out" 'seq=server_isn+1, ack=client_isn+6, 5 bytes "world"'
check "handshake: client FIN" has "$out" "FIN=1, seq=client_isn+6, ack=server_isn+6"
check "handshake: server FIN" has "$out" "FIN=1, seq=server_isn+6, ack=client_isn+7"
check "handshake: last ACK" has "$out" "ACK=1, seq=client_isn+7, ack=server_isn+7"
check "handshake: states drawn in the columns" has "$out" "[SYN_SENT] |"
check "handshake: TIME_WAIT ends after 2*MSL" has "$out" "2*MSL = 60 s"
check "handshake: client state sequence" has "$out" \
    "client: CLOSED -> SYN_SENT -> ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED"
check "handshake: server state sequence" has "$out" \
    "server: CLOSED -> LISTEN -> SYN_RCVD -> ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSED"
check "handshake: listener named in the server's sequences" has "$out" "listener (socket"
check "handshake: accepted connection named in the server's sequences" has "$out" "accepted connection (socket"
if LC_ALL=C grep -q '[^ -~]' "$out"; then fail "handshake: ASCII only by default"; else pass "handshake: ASCII only by default"; fi

# refused: RST and ECONNREFUSED.
out=$TMP/refused.out
check "refused: RST answers the SYN" has "$out" "RST=1, ACK=1, seq=0, ack=client_isn+1"
check "refused: client sees ECONNREFUSED" has "$out" "SO_ERROR = ECONNREFUSED"
check "refused: client state sequence" has "$out" "client: CLOSED -> SYN_SENT -> CLOSED"

# simopen: SYN_SENT -> SYN_RCVD -> ESTABLISHED on both sides.
out=$TMP/simopen.out
check "simopen: client state sequence" has "$out" \
    "client: CLOSED -> SYN_SENT -> SYN_RCVD -> ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED"
check "simopen: server state sequence" has "$out" \
    "server: CLOSED -> SYN_SENT -> SYN_RCVD -> ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSED"
check "simopen: both SYNs" sh -c "grep -qF 'SYN=1, seq=client_isn (=' '$out' && grep -qF 'SYN=1, seq=server_isn (=' '$out'"

# simclose: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both sides.
out=$TMP/simclose.out
check "simclose: CLOSING drawn" has "$out" "[CLOSING]"
check "simclose: client state sequence" has "$out" \
    "client: CLOSED -> SYN_SENT -> ESTABLISHED -> FIN_WAIT_1 -> CLOSING -> TIME_WAIT -> CLOSED"
check "simclose: server state sequence" has "$out" \
    "server: CLOSED -> LISTEN -> SYN_RCVD -> ESTABLISHED -> FIN_WAIT_1 -> CLOSING -> TIME_WAIT -> CLOSED"

# lossy: losses and retransmissions are drawn, the data arrives intact, the diagram stays short.
out=$TMP/lossy.out
check "lossy: a lost packet drawn" has "$out" "|  LOST"
check "lossy: a retransmission drawn" has "$out" "retransmission"
check "lossy: long runs summarised" has "$out" "more segments:"
check "lossy: data intact" has "$out" "65536 bytes, all intact"
lines=$(wc -l <"$out")
if [ "$lines" -le 200 ]; then pass "lossy: readable length ($lines lines)"; else fail "lossy: $lines lines"; fi
lost=$(grep -c ' LOST' "$out")
linklost=$(sed -n 's/^link: [0-9]* packets sent, \([0-9]*\) lost.*/\1/p' "$out")
if [ -n "$linklost" ] && [ "$lost" -eq "$linklost" ]; then pass "lossy: every lost packet drawn ($lost)"
else fail "lossy: $lost drawn lost, the link lost '$linklost'"; fi

# udp-refused: ICMP port unreachable.
out=$TMP/udp-refused.out
check "udp-refused: datagram drawn" has "$out" 'UDP, sport='
check "udp-refused: ICMP port unreachable drawn" has "$out" "ICMP type=3, code=3 (port unreachable)"

# Reproducibility: the same seed gives the same output; another seed other ISNs.
for sc in handshake lossy; do
    "$BIN" demo --scenario "$sc" --seed 1 >"$TMP/$sc.again" 2>&1
    check "$sc: same seed, same output" cmp -s "$TMP/$sc.out" "$TMP/$sc.again"
done
"$BIN" demo --seed 2 >"$TMP/seed2.out" 2>&1
c2=$(sed -n 's/.*client_isn = \([0-9][0-9]*\).*/\1/p' "$TMP/seed2.out" | head -n 1)
s2=$(sed -n 's/.*server_isn = \([0-9][0-9]*\).*/\1/p' "$TMP/seed2.out" | head -n 1)
if [ -n "$c2" ] && [ "$c2" != "$cisn" ] && [ -n "$s2" ] && [ "$s2" != "$sisn" ]; then
    pass "another seed, other ISNs ($cisn/$sisn vs $c2/$s2)"
else
    fail "another seed, other ISNs ($cisn/$sisn vs $c2/$s2)"
fi
check "default scenario is handshake" sh -c "'$BIN' demo --seed 1 | cmp -s - '$TMP/handshake.out'"

# Options.
"$BIN" demo --list >"$TMP/list.out" 2>&1
ok=1
for sc in handshake refused simopen simclose lossy udp-refused; do grep -q "^$sc " "$TMP/list.out" || ok=0; done
if [ $ok -eq 1 ]; then pass "--list lists every scenario"; else fail "--list lists every scenario"; fi
"$BIN" demo --scenario no-such-thing >/dev/null 2>&1
rc=$?
if [ $rc -eq 2 ]; then pass "unknown scenario exits 2"; else fail "unknown scenario exits $rc"; fi
"$BIN" demo --seed nonsense >/dev/null 2>&1
rc=$?
if [ $rc -eq 2 ]; then pass "bad --seed exits 2"; else fail "bad --seed exits $rc"; fi
"$BIN" demo --unicode >"$TMP/uni.out" 2>&1
check "--unicode draws Unicode arrows" has "$TMP/uni.out" "$(printf '\342\226\266')"
check "--unicode keeps the labels" has "$TMP/uni.out" "SYN=1, seq=client_isn (=$cisn)"

[ "$fails" -eq 0 ]
