/* A bounded SYN flooder and a legitimate-client loop, for tests/live/flood.sh and
 * bench/flood_bench.sh (Linux only; built by those scripts with cc, not by the Makefile).
 *
 *   flooder syn --to IP:PORT --count N [--rate PPS] [--duration S] [--seed N]
 *       Sends N TCP SYNs (IPv4, 60 bytes: MSS 1460, SACK-permitted, timestamps, window scale 7,
 *       as Linux sends them) to IP:PORT through a raw socket (IPPROTO_RAW, so the kernel routes
 *       them), each from a random source address in 10.78.0.0/16 and a random port and ISN.
 *       --rate: packets per second (0 or absent: as fast as it can); --duration: stop after
 *       this many seconds even if N were not sent (default 10). It stops by itself at whichever
 *       bound comes first: N <= 20,000,000, duration <= 60 s. It refuses any destination outside
 *       10.77.0.0/16; sources are drawn from 10.78.0.0/16 only and checked before every send.
 *       Prints "sent N seconds S pps R errors E".
 *
 *   flooder conn --to IP:PORT [--conc N] [--duration S] [--timeout S] [--max N]
 *       Legitimate clients: N connections at a time (default 4), each a non-blocking connect,
 *       a 32-byte request, the 32-byte echo back, close; a new one starts when one ends, for S
 *       seconds (default 10; at most 60) or --max attempts. An attempt fails when it is
 *       refused or reset, or when it has not finished within --timeout seconds (default 3:
 *       Linux's SYN retransmissions come at 1 s and 3 s, so one retransmission fits).
 *       Prints "attempts A ok K failed F timeout_connect T1 timeout_reply T2 refused R reset X
 *       other O", "success_pct P", "connect_ms p50 A p99 B max C" (p99 over every attempt,
 *       a failure counting as infinitely slow: "inf" when more than 1% failed).
 *       The destination must be in 10.77.0.0/16 too.
 *       --http PATH: the request is "GET PATH HTTP/1.0" instead (the server answers and closes
 *       first, keeping TIME_WAIT); an attempt succeeds when the response starts with
 *       "HTTP/1.1 200" and the server's FIN comes. --from IP: bind to this source address.
 *       Also prints "rate_per_s R" (successes per second).
 *
 *   flooder tcp --from IP:PORT --to IP:PORT --flags F --count N [--rate PPS] [--duration S]
 *       [--seq N] [--ack N]
 *       Sends N bare TCP segments (20-byte header, no options, window 64240) with flags F
 *       (letters S A R F P, e.g. SA) from IP:PORT to IP:PORT through a raw socket; sequence
 *       and acknowledgment numbers random for each segment unless given. For blind in-window
 *       sweeps against a connection (spoofing its client's 4-tuple) and LAND (source = the
 *       destination). Destinations in 10.77.0.0/16 only; sources in 10.77.0.0/16 or
 *       10.78.0.0/16 only. Same bounds as syn. Prints "sent N seconds S pps R errors E".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HOSTS_NET 0x0a4d0000u    /* 10.77.0.0/16: the only destinations */
#define SPOOF_NET 0x0a4e0000u    /* 10.78.0.0/16: the only sources */
#define NET_MASK 0xffff0000u
#define MAX_COUNT 20000000ul
#define MAX_SECONDS 60.0
#define BATCH 64

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: flooder syn --to IP:PORT --count N [--rate PPS] [--duration S] [--seed N]\n"
            "       flooder conn --to IP:PORT [--conc N] [--duration S] [--timeout S] [--max N]\n"
            "                    [--http PATH] [--from IP]\n"
            "       flooder tcp --from IP:PORT --to IP:PORT --flags F --count N [--rate PPS]\n"
            "                   [--duration S] [--seq N] [--ack N]\n"
            "destinations: 10.77.0.0/16 only; spoofed sources: 10.78.0.0/16 only\n");
    exit(2);
}

static int parse_to(const char *s, uint32_t *addr, uint16_t *port)
{
    char buf[32];
    const char *c = strrchr(s, ':');
    struct in_addr a;
    char *end;
    if (!c || (size_t)(c - s) >= sizeof buf) return -1;
    memcpy(buf, s, (size_t)(c - s));
    buf[c - s] = 0;
    if (inet_pton(AF_INET, buf, &a) != 1) return -1;
    unsigned long p = strtoul(c + 1, &end, 10);
    if (*end || p == 0 || p > 65535) return -1;
    *addr = ntohl(a.s_addr);
    *port = (uint16_t)p;
    return 0;
}

static double num(const char *opt, const char *v, double lo, double hi)
{
    char *end;
    if (!v) { fprintf(stderr, "flooder: %s needs a value\n", opt); exit(2); }
    double d = strtod(v, &end);
    if (*end || !(d >= lo && d <= hi)) {
        fprintf(stderr, "flooder: bad value '%s' for %s (%g..%g)\n", v, opt, lo, hi);
        exit(2);
    }
    return d;
}

/* ---- xorshift64* ---- */
static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)); wr16(p + 2, (uint16_t)v); }

#define SYN_LEN 60

/* One SYN from src:sport to dst:dport, ISN seq, TSval tsval. */
static void make_syn(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                     uint32_t seq, uint32_t tsval, uint16_t id)
{
    static const uint8_t opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
    uint8_t *t = p + 20;
    memset(p, 0, SYN_LEN);
    p[0] = 0x45;
    wr16(p + 2, SYN_LEN);
    wr16(p + 4, id);
    wr16(p + 6, 0x4000);              /* DF */
    p[8] = 64;
    p[9] = IPPROTO_TCP;
    wr32(p + 12, src);
    wr32(p + 16, dst);
    wr16(p + 10, csum_fold(csum_add(0, p, 20)));
    wr16(t, sport);
    wr16(t + 2, dport);
    wr32(t + 4, seq);
    t[12] = (40 / 4) << 4;
    t[13] = 0x02;                     /* SYN */
    wr16(t + 14, 64240);
    memcpy(t + 20, opts, sizeof opts);
    wr32(t + 28, tsval);
    uint32_t sum = csum_add(0, p + 12, 8);   /* pseudo-header: addresses, protocol, length */
    sum += IPPROTO_TCP + 40;
    sum = csum_add(sum, t, 40);
    wr16(t + 16, csum_fold(sum));
}

static int flood(int argc, char **argv)
{
    uint32_t dst = 0;
    uint16_t dport = 0;
    unsigned long count = 0;
    double rate = 0, duration = 10;
    int have_to = 0;
    rng = (uint64_t)time(NULL) * 6364136223846793005ull ^ (uint64_t)getpid();
    for (int i = 2; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--to")) {
            if (!v || parse_to(v, &dst, &dport) < 0) { fprintf(stderr, "flooder: bad --to\n"); return 2; }
            have_to = 1;
        } else if (!strcmp(a, "--count")) count = (unsigned long)num(a, v, 1, (double)MAX_COUNT);
        else if (!strcmp(a, "--rate")) rate = num(a, v, 0, 1e8);
        else if (!strcmp(a, "--duration")) duration = num(a, v, 0.001, MAX_SECONDS);
        else if (!strcmp(a, "--seed")) rng = (uint64_t)num(a, v, 0, 1e18) * 0x9e3779b97f4a7c15ull + 1;
        else usage();
    }
    if (!have_to || !count) usage();
    if ((dst & NET_MASK) != HOSTS_NET) {
        fprintf(stderr, "flooder: refusing destination outside 10.77.0.0/16\n");
        return 2;
    }
    if (!rng) rng = 1;
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(dst);
    int s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);   /* IP_HDRINCL implied */
    if (s < 0) { perror("flooder: raw socket"); return 1; }
    int sndbuf = 4 << 20;
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

    static uint8_t pkt[BATCH][SYN_LEN];
    struct iovec iov[BATCH];
    struct mmsghdr msg[BATCH];
    memset(msg, 0, sizeof msg);
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = pkt[i];
        iov[i].iov_len = SYN_LEN;
        msg[i].msg_hdr.msg_iov = &iov[i];
        msg[i].msg_hdr.msg_iovlen = 1;
        msg[i].msg_hdr.msg_name = &to;
        msg[i].msg_hdr.msg_namelen = sizeof to;
    }

    unsigned long sent = 0, errors = 0;
    double t0 = now_s(), t = t0;
    while (sent < count && (t = now_s()) - t0 < duration) {
        unsigned long want = count - sent;
        if (rate > 0) {
            double allowed = rate * (t - t0) - (double)sent;
            if (allowed < 1) {
                double wait = (1 - allowed) / rate;
                struct timespec ts = {0, (long)(wait > 0.001 ? 1000000 : wait * 1e9 + 1000)};
                nanosleep(&ts, NULL);
                continue;
            }
            if ((double)want > allowed) want = (unsigned long)allowed;
        }
        if (want > BATCH) want = BATCH;
        uint32_t tsval = (uint32_t)((t - t0) * 1000) + 1000000u;
        for (unsigned long i = 0; i < want; i++) {
            uint64_t r = rnd();
            uint32_t src = SPOOF_NET | (uint32_t)(1 + (r & 0xffff) % 0xfffe);  /* not .0.0, .255.255 */
            uint16_t sport = (uint16_t)(1024 + (r >> 16) % 64512);
            if ((src & NET_MASK) != SPOOF_NET) abort();   /* never: sources stay in 10.78/16 */
            make_syn(pkt[i], src, dst, sport, dport, (uint32_t)(r >> 32), tsval, (uint16_t)(r >> 48));
        }
        int n = sendmmsg(s, msg, (unsigned)want, 0);
        if (n < 0) {
            errors++;
            if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
                perror("flooder: sendmmsg");
                break;
            }
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
            continue;
        }
        sent += (unsigned long)n;
    }
    t = now_s() - t0;
    close(s);
    printf("sent %lu seconds %.3f pps %.0f errors %lu\n", sent, t, t > 0 ? sent / t : 0, errors);
    return 0;
}

/* ---- bare TCP segments (blind sweeps, LAND) ---- */

#define SEG_LEN 40

static void make_seg(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                     uint32_t seq, uint32_t ack, uint8_t flags, uint16_t id)
{
    uint8_t *t = p + 20;
    memset(p, 0, SEG_LEN);
    p[0] = 0x45;
    wr16(p + 2, SEG_LEN);
    wr16(p + 4, id);
    wr16(p + 6, 0x4000);
    p[8] = 64;
    p[9] = IPPROTO_TCP;
    wr32(p + 12, src);
    wr32(p + 16, dst);
    wr16(p + 10, csum_fold(csum_add(0, p, 20)));
    wr16(t, sport);
    wr16(t + 2, dport);
    wr32(t + 4, seq);
    wr32(t + 8, ack);
    t[12] = (20 / 4) << 4;
    t[13] = flags;
    wr16(t + 14, 64240);
    uint32_t sum = csum_add(0, p + 12, 8);
    sum += IPPROTO_TCP + 20;
    sum = csum_add(sum, t, 20);
    wr16(t + 16, csum_fold(sum));
}

static int segs(int argc, char **argv)
{
    uint32_t src = 0, dst = 0, seq = 0, ack = 0;
    uint16_t sport = 0, dport = 0;
    int have_from = 0, have_to = 0, have_seq = 0, have_ack = 0;
    uint8_t flags = 0;
    unsigned long count = 0;
    double rate = 0, duration = 10;
    rng = (uint64_t)time(NULL) * 6364136223846793005ull ^ (uint64_t)getpid();
    for (int i = 2; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--to") || !strcmp(a, "--from")) {
            int to = a[2] == 't';
            if (!v || parse_to(v, to ? &dst : &src, to ? &dport : &sport) < 0) {
                fprintf(stderr, "flooder: bad %s\n", a);
                return 2;
            }
            if (to) have_to = 1; else have_from = 1;
        } else if (!strcmp(a, "--flags")) {
            if (!v || !*v) usage();
            for (const char *f = v; *f; f++) {
                const char *k = strchr("FSRPA", *f);
                if (!k) { fprintf(stderr, "flooder: bad --flags %s (letters S A R F P)\n", v); return 2; }
                flags |= (uint8_t)(1u << (k - "FSRPA"));
            }
        } else if (!strcmp(a, "--count")) count = (unsigned long)num(a, v, 1, (double)MAX_COUNT);
        else if (!strcmp(a, "--rate")) rate = num(a, v, 0, 1e8);
        else if (!strcmp(a, "--duration")) duration = num(a, v, 0.001, MAX_SECONDS);
        else if (!strcmp(a, "--seq")) { seq = (uint32_t)num(a, v, 0, 4294967295.0); have_seq = 1; }
        else if (!strcmp(a, "--ack")) { ack = (uint32_t)num(a, v, 0, 4294967295.0); have_ack = 1; }
        else usage();
    }
    if (!have_to || !have_from || !count || !flags) usage();
    if ((dst & NET_MASK) != HOSTS_NET) {
        fprintf(stderr, "flooder: refusing destination outside 10.77.0.0/16\n");
        return 2;
    }
    if ((src & NET_MASK) != HOSTS_NET && (src & NET_MASK) != SPOOF_NET) {
        fprintf(stderr, "flooder: refusing source outside 10.77.0.0/16 and 10.78.0.0/16\n");
        return 2;
    }
    if (!rng) rng = 1;
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(dst);
    int s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (s < 0) { perror("flooder: raw socket"); return 1; }
    uint8_t pkt[SEG_LEN];
    unsigned long sent = 0, errors = 0;
    double t0 = now_s(), t;
    while (sent < count && (t = now_s()) - t0 < duration) {
        if (rate > 0 && rate * (t - t0) < (double)sent) {
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        uint64_t r = rnd();
        make_seg(pkt, src, dst, sport, dport, have_seq ? seq : (uint32_t)r,
                 have_ack ? ack : (uint32_t)(r >> 32), flags, (uint16_t)(r >> 16));
        if (sendto(s, pkt, SEG_LEN, 0, (struct sockaddr *)&to, sizeof to) < 0) {
            errors++;
            if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) { perror("flooder: sendto"); break; }
            continue;
        }
        sent++;
    }
    t = now_s() - t0;
    close(s);
    printf("sent %lu seconds %.3f pps %.0f errors %lu\n", sent, t, t > 0 ? sent / t : 0, errors);
    return 0;
}

/* ---- legitimate clients ---- */

enum { S_FREE, S_CONNECTING, S_WAITING };
struct slot {
    int fd, state;
    double start, connect_s;    /* when connect() was called; how long it took */
    unsigned got;
    char head[16];              /* --http: the response's first bytes */
};

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int clients(int argc, char **argv)
{
    uint32_t dst = 0;
    uint16_t dport = 0;
    int have_to = 0;
    unsigned conc = 4;
    unsigned long max = 1000000;
    double duration = 10, timeout = 3;
    const char *http = NULL;
    uint32_t from = 0;
    for (int i = 2; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--to")) {
            if (!v || parse_to(v, &dst, &dport) < 0) { fprintf(stderr, "flooder: bad --to\n"); return 2; }
            have_to = 1;
        } else if (!strcmp(a, "--conc")) conc = (unsigned)num(a, v, 1, 256);
        else if (!strcmp(a, "--duration")) duration = num(a, v, 0.001, MAX_SECONDS);
        else if (!strcmp(a, "--timeout")) timeout = num(a, v, 0.001, 30);
        else if (!strcmp(a, "--max")) max = (unsigned long)num(a, v, 1, 1e6);
        else if (!strcmp(a, "--http")) { if (!v || v[0] != '/' || strlen(v) > 200) usage(); http = v; }
        else if (!strcmp(a, "--from")) {
            struct in_addr ia;
            if (!v || inet_pton(AF_INET, v, &ia) != 1) usage();
            from = ntohl(ia.s_addr);
        }
        else usage();
    }
    if (!have_to) usage();
    if ((dst & NET_MASK) != HOSTS_NET) {
        fprintf(stderr, "flooder: refusing destination outside 10.77.0.0/16\n");
        return 2;
    }
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons(dport);
    to.sin_addr.s_addr = htonl(dst);

    struct slot *sl = calloc(conc, sizeof *sl);
    double *lat = malloc(max * sizeof *lat);
    if (!sl || !lat) { perror("flooder"); return 1; }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) { perror("flooder: epoll"); return 1; }
    unsigned long attempts = 0, ok = 0, to_conn = 0, to_reply = 0, refused = 0, reset = 0, other = 0;
    char req[256];
    size_t reqlen = 32;
    memset(req, 'q', sizeof req);
    if (http) reqlen = (size_t)snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", http);
    double t0 = now_s(), end = t0 + duration;
    unsigned active = 0;

#define FINISH(i, counter) do { close(sl[i].fd); sl[i].state = S_FREE; active--; counter++; } while (0)
    for (;;) {
        double t = now_s();
        for (unsigned i = 0; i < conc; i++) {
            if (sl[i].state != S_FREE) {
                if (t - sl[i].start > timeout) {
                    if (sl[i].state == S_CONNECTING) FINISH(i, to_conn);
                    else FINISH(i, to_reply);
                }
                continue;
            }
            if (t >= end || attempts >= max) continue;
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) { perror("flooder: socket"); return 1; }
            if (from) {
                struct sockaddr_in fa;
                memset(&fa, 0, sizeof fa);
                fa.sin_family = AF_INET;
                fa.sin_addr.s_addr = htonl(from);
                if (bind(fd, (struct sockaddr *)&fa, sizeof fa) < 0) { perror("flooder: bind"); return 1; }
            }
            attempts++;
            sl[i].fd = fd;
            sl[i].start = now_s();
            sl[i].got = 0;
            sl[i].state = S_CONNECTING;
            active++;
            if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0 && errno != EINPROGRESS) {
                if (errno == ECONNREFUSED) FINISH(i, refused);
                else FINISH(i, other);
                continue;
            }
            struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = i};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        if (!active && (t >= end || attempts >= max)) break;
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 5);
        for (int k = 0; k < n; k++) {
            unsigned i = evs[k].data.u32;
            struct slot *c = &sl[i];
            if (c->state == S_CONNECTING) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err) {
                    if (err == ECONNREFUSED) FINISH(i, refused);
                    else if (err == ECONNRESET) FINISH(i, reset);
                    else if (err == ETIMEDOUT) FINISH(i, to_conn);
                    else FINISH(i, other);
                    continue;
                }
                c->connect_s = now_s() - c->start;
                if (send(c->fd, req, reqlen, MSG_NOSIGNAL) != (ssize_t)reqlen) {
                    FINISH(i, other);
                    continue;
                }
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->state = S_WAITING;
                continue;
            }
            if (c->state == S_WAITING) {
                char buf[256];
                ssize_t r = recv(c->fd, buf, sizeof buf, 0);
                if (r > 0) {
                    if (http && c->got < sizeof c->head)
                        memcpy(c->head + c->got, buf,
                               (size_t)r < sizeof c->head - c->got ? (size_t)r : sizeof c->head - c->got);
                    c->got += (unsigned)r;
                    if (!http && c->got >= reqlen) {
                        lat[ok] = c->connect_s;
                        FINISH(i, ok);
                    }
                    continue;
                }
                if (r == 0 && http && c->got >= 12 && !memcmp(c->head, "HTTP/1.1 200", 12)) {
                    lat[ok] = c->connect_s;
                    FINISH(i, ok);
                    continue;
                }
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                if (r < 0 && errno == ECONNRESET) FINISH(i, reset);
                else FINISH(i, other);
            }
        }
    }
#undef FINISH
    unsigned long failed = attempts - ok;
    printf("attempts %lu ok %lu failed %lu timeout_connect %lu timeout_reply %lu refused %lu "
           "reset %lu other %lu\n", attempts, ok, failed, to_conn, to_reply, refused, reset, other);
    printf("success_pct %.3f\n", attempts ? 100.0 * (double)ok / (double)attempts : 0.0);
    double el = now_s() - t0;
    printf("rate_per_s %.0f\n", el > 0 ? (double)ok / el : 0.0);
    qsort(lat, ok, sizeof *lat, cmp_d);
    /* percentiles over every attempt; a failure sorts after every success */
    unsigned long i50 = attempts ? (attempts * 50 + 99) / 100 - 1 : 0;
    unsigned long i99 = attempts ? (attempts * 99 + 99) / 100 - 1 : 0;
    char p50[32] = "inf", p99[32] = "inf", mx[32] = "-";
    if (ok && i50 < ok) snprintf(p50, sizeof p50, "%.3f", lat[i50] * 1e3);
    if (ok && i99 < ok) snprintf(p99, sizeof p99, "%.3f", lat[i99] * 1e3);
    if (ok) snprintf(mx, sizeof mx, "%.3f", lat[ok - 1] * 1e3);
    printf("connect_ms p50 %s p99 %s max_ok %s\n", p50, p99, mx);
    free(lat);
    free(sl);
    close(ep);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) usage();
    if (!strcmp(argv[1], "syn")) return flood(argc, argv);
    if (!strcmp(argv[1], "conn")) return clients(argc, argv);
    if (!strcmp(argv[1], "tcp")) return segs(argc, argv);
    usage();
    return 2;
}
