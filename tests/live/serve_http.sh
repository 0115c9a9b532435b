#!/bin/sh
# Live test: `synack serve --app http` against Linux's curl (issue 3). Run from the repo root as
# `BUILD=build sh tests/live/serve_http.sh`; needs root, ip netns, /dev/net/tun, curl, python3.
# Checks: 1 MiB and 64 MiB downloads with matching SHA-256; 200 concurrent curl clients; 100
# requests over one kept-alive connection; HEAD; 404, 400, 405, path traversal; HTTP/1.0 and
# "Connection: close" get the close; a clean stop printing the counters.
NAME=serve_http
TAG=http
. tests/live/lib.sh
live_prereqs
live_require curl curl
live_require python3 python3
live_setup

W=$TMP/www
mkdir -p "$W/sub" || { fail "mkdir"; exit 1; }
mkdata "$W/1m.bin" 1
mkdata "$W/64m.bin" 64
head -c 100000 /dev/urandom >"$W/small.bin"
echo "<html>hello</html>" >"$W/index.html"
echo "sub" >"$W/sub/index.html"
echo "secret" >"$TMP/outside.txt"
ln -s "$TMP/outside.txt" "$W/escape.txt"

serve_start 10.77.3 --port 80 --app http --root "$W" --backlog 512
URL=http://$SERVE_ADDR

# ---- downloads with checksums ----
for f in 1m.bin 64m.bin; do
    out=$(ns timeout 60 curl -sS -m 50 -o "$TMP/dl.$f" -w '%{http_code} %{speed_download}' "$URL/$f" 2>&1)
    if [ "$(sha "$TMP/dl.$f")" = "$(sha "$W/$f")" ]; then
        spd=$(echo "$out" | awk '{ printf "%.0f", $2 / 1048576 }')
        pass "curl $f: SHA-256 matches ($spd MiB/s)"
    else
        fail "curl $f: SHA-256 differs ($out, $(wc -c <"$TMP/dl.$f") bytes)"
    fi
    rm -f "$TMP/dl.$f"
done

# ---- 200 concurrent clients (each reads slowly, so that all are connected at once) ----
i=0
pids=
while [ $i -lt 200 ]; do
    ns timeout 60 curl -sS -m 50 --limit-rate 400k -o "$TMP/c.$i" -w '%{http_code}\n' \
        "$URL/1m.bin" >"$TMP/c.$i.code" 2>"$TMP/c.$i.err" &
    pids="$pids $!"
    i=$((i + 1))
done
peak=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.3
    n=$(ns ss -tn state established "( dport = :80 )" 2>/dev/null | grep -c "$SERVE_ADDR:80")
    [ "$n" -gt "$peak" ] && peak=$n
done
for p in $pids; do wait "$p"; done
ok=0
bad=0
want=$(sha "$W/1m.bin")
i=0
while [ $i -lt 200 ]; do
    if [ "$(cat "$TMP/c.$i.code")" = 200 ] && [ "$(sha "$TMP/c.$i")" = "$want" ]; then
        ok=$((ok + 1))
    elif [ "$bad" -lt 3 ]; then
        bad=$((bad + 1))
        echo "  client $i: code $(cat "$TMP/c.$i.code") $(head -c 200 "$TMP/c.$i.err")"
    fi
    rm -f "$TMP/c.$i" "$TMP/c.$i.code" "$TMP/c.$i.err"
    i=$((i + 1))
done
if [ "$ok" = 200 ] && [ "$peak" -ge 150 ]; then
    pass "200 concurrent curl clients all got 1 MiB intact (up to $peak connections at once)"
else
    fail "concurrent clients: $ok of 200 intact, at most $peak connected at once"
fi

# ---- keep-alive: 100 requests on one connection ----
urls=
i=0
while [ $i -lt 100 ]; do urls="$urls -o /dev/null $URL/small.bin"; i=$((i + 1)); done
# shellcheck disable=SC2086
ns timeout 60 curl -sS -m 50 -w '%{http_code} %{size_download} %{num_connects}\n' \
    $urls >"$TMP/ka.out" 2>"$TMP/ka.err"
n200=$(awk '$1 == 200 && $2 == 100000' "$TMP/ka.out" | wc -l)
nconn=$(awk '{ s += $3 } END { print s + 0 }' "$TMP/ka.out")
if [ "$n200" = 100 ] && [ "$nconn" = 1 ]; then
    pass "keep-alive: 100 requests, 100 complete responses, 1 connection"
else
    fail "keep-alive: $n200 complete responses of 100 over $nconn connections $(head -c 200 "$TMP/ka.err")"
fi

# ---- protocol details, with a raw client (python3) ----
cat >"$TMP/raw.py" <<'EOF'
import socket, sys
# raw.py HOST PORT MODE: sends stdin's bytes, prints what came back until the close (or a
# silence of 3 s before any byte, 0.5 s after one); MODE "half" shuts down writing after sending.
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = sys.stdin.buffer.read().replace(b"\n", b"\r\n")
s = socket.create_connection((host, port), timeout=5)
s.sendall(data)
if mode == "half":
    s.shutdown(socket.SHUT_WR)
s.settimeout(3)
out = b""
closed = False
try:
    while True:
        b = s.recv(65536)
        if not b:
            closed = True
            break
        out += b
        s.settimeout(0.5)  # after the response: a close comes at once, if it comes
except socket.timeout:
    pass
sys.stdout.buffer.write(out)
sys.stdout.write("\n[closed]\n" if closed else "\n[open]\n")
EOF
raw() { printf '%b' "$2" | ns timeout 10 python3 "$TMP/raw.py" "$SERVE_ADDR" 80 "$1" 2>&1; }
status() { printf '%s\n' "$1" | head -n 1 | tr -d '\r'; }

r=$(raw open 'HEAD /1m.bin HTTP/1.1\nHost: x\n\n')
if [ "$(status "$r")" = "HTTP/1.1 200 OK" ] && printf '%s' "$r" | grep -q '^Content-Length: 1048576' &&
   [ "$(printf '%s' "$r" | tr -d '\r' | sed -n '/^$/,$p' | grep -vc '^\[\|^$')" = 0 ] &&
   printf '%s' "$r" | grep -q '^\[open\]'; then
    pass "HEAD: 200, Content-Length 1048576, no body, connection kept"
else
    fail "HEAD: $(printf '%s' "$r" | head -c 300)"
fi
r=$(raw open 'GET /missing.txt HTTP/1.1\nHost: x\n\n')
[ "$(status "$r")" = "HTTP/1.1 404 Not Found" ] && printf '%s' "$r" | grep -q '^\[open\]' &&
    pass "404 for a missing file, connection kept" || fail "missing file: $(status "$r")"
r=$(raw open 'GET / HTTP/1.1\nHost: x\n\n')
printf '%s' "$r" | grep -q '<html>hello</html>' && pass "directory serves index.html" ||
    fail "GET /: $(status "$r")"
r=$(raw open 'BLAH\n\n')
[ "$(status "$r")" = "HTTP/1.1 400 Bad Request" ] && printf '%s' "$r" | grep -q '^\[closed\]' &&
    pass "400 for a malformed request line, then close" || fail "malformed: $(status "$r") $(printf '%s' "$r" | tail -n 1)"
r=$(raw open 'GET / HTTP/1.1\n\n')
[ "$(status "$r")" = "HTTP/1.1 400 Bad Request" ] && pass "400 for HTTP/1.1 without Host" ||
    fail "no Host: $(status "$r")"
r=$(raw open 'POST / HTTP/1.1\nHost: x\nContent-Length: 3\n\nabc')
[ "$(status "$r")" = "HTTP/1.1 405 Method Not Allowed" ] && pass "405 for POST" ||
    fail "POST: $(status "$r")"
r=$(raw open 'GET /../outside.txt HTTP/1.1\nHost: x\n\n')
r2=$(raw open 'GET /sub/%2e%2e/%2e%2e/outside.txt HTTP/1.1\nHost: x\n\n')
r3=$(raw open 'GET /escape.txt HTTP/1.1\nHost: x\n\n')
if [ "$(status "$r")" = "HTTP/1.1 403 Forbidden" ] && [ "$(status "$r2")" = "HTTP/1.1 403 Forbidden" ] &&
   [ "$(status "$r3")" = "HTTP/1.1 403 Forbidden" ] && ! printf '%s%s%s' "$r" "$r2" "$r3" | grep -q secret; then
    pass "path traversal refused (.., encoded .., symlink out of the root)"
else
    fail "traversal: $(status "$r") / $(status "$r2") / $(status "$r3")"
fi
r=$(raw open 'GET /sub/../index.html HTTP/1.1\nHost: x\n\n')
printf '%s' "$r" | grep -q '<html>hello</html>' && pass ".. inside the root resolves" ||
    fail "GET /sub/../index.html: $(status "$r")"
r=$(raw open 'GET /index.html HTTP/1.0\n\n')
[ "$(status "$r")" = "HTTP/1.1 200 OK" ] && printf '%s' "$r" | grep -q '^\[closed\]' &&
    pass "HTTP/1.0 without keep-alive: response, then close" || fail "HTTP/1.0: $(status "$r") $(printf '%s' "$r" | tail -n 1)"
r=$(raw open 'GET /index.html HTTP/1.0\nConnection: keep-alive\n\n')
printf '%s' "$r" | grep -q '^Connection: keep-alive' && printf '%s' "$r" | grep -q '^\[open\]' &&
    pass "HTTP/1.0 with keep-alive stays open" || fail "HTTP/1.0 keep-alive: $(printf '%s' "$r" | tail -n 1)"
r=$(raw open 'GET /index.html HTTP/1.1\nHost: x\nConnection: close\n\n')
printf '%s' "$r" | grep -q '^Connection: close' && printf '%s' "$r" | grep -q '^\[closed\]' &&
    pass "Connection: close: response, then close" || fail "Connection: close: $(printf '%s' "$r" | tail -n 1)"
r=$(raw half 'GET /index.html HTTP/1.1\nHost: x\n\nGET /sub/ HTTP/1.1\nHost: x\n\n')
[ "$(printf '%s' "$r" | grep -c '^HTTP/1.1 200 OK')" = 2 ] && printf '%s' "$r" | grep -q '^sub' &&
    printf '%s' "$r" | grep -q '^\[closed\]' &&
    pass "two pipelined requests then half-close: two responses, then close" ||
    fail "pipelined: $(printf '%s' "$r" | grep -c '^HTTP/1.1')"

# ---- clean stop ----
if serve_stop; then
    acc=$(counter tcp_accepted)
    if [ "$acc" -ge 214 ] && grep -q '^tcp_rst_sent ' "$TMP/serve.out" &&
       grep -q '^ip_drop_checksum ' "$TMP/serve.out"; then
        pass "SIGTERM: clean exit, counters printed (tcp_accepted $acc, tcp_rexmit $(counter tcp_rexmit), tcp_rst_sent $(counter tcp_rst_sent))"
    else
        fail "counters after stop: tcp_accepted $acc"
        head -n 5 "$TMP/serve.out"
    fi
else
    fail "synack serve did not stop cleanly (exit $SERVE_RC)"
    tail -n 5 "$TMP/serve.err"
fi
live_finish
