/*
 * tun_offload_probe: the C half of tests/live/tun_offload_link.sh, run inside a private network
 * namespace (root). It drives synack_netdev_open_tun() with and without offload
 * (IFF_VNET_HDR + TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4) and acts as a minimal TCP peer of the
 * kernel's own TCP, in one of three modes:
 *
 *   tun_offload_probe rx OFFLOAD BYTES   a kernel socket (thread) connects to 10.77.50.2:5001
 *       and sends BYTES of a known pattern; the probe answers the handshake, ACKs every burst
 *       (window 8 MiB), checks every packet's IP and TCP checksums and the data, and reports
 *       the packet sizes it was handed:
 *       "RX offload=N bytes= pkts= gso= maxlen= bad_csum= bad_data= ooo= rx_dropped= ms= MBps="
 *   tun_offload_probe tx OFFLOAD BYTES   the probe connects to a kernel listener (thread) on
 *       10.77.50.1:5002 and sends BYTES (go-back-N on loss); the listener checks the data:
 *       "TX offload=N bytes= segs= writes= verified= bad_data= rexmit= tx_dropped= ms= MBps="
 *   tun_offload_probe fwd                TUN A (offload, 10.77.52.1/24) and TUN B (plain,
 *       10.77.53.1/24); with net.ipv4.ip_forward=1 (set by the script) ten segments to
 *       10.77.53.2 are written to A as ONE coalesced GSO write; the kernel forwards the
 *       super-packet to B, which has no TSO, so it must resegment it: the probe reads B and
 *       compares every segment with the original (TTL one less):
 *       "FWD writes= segs_in= segs_out= match= bad=" and "FWD ok" or "FWD fail ..."
 *   tun_offload_probe gone OFFLOAD       opens so-gone, prints "READY", and waits for the
 *       script to delete the device (`ip link del`): rx_burst must then return -1 with errno
 *       set, and keep doing so, as must flush: "GONE rx=-1 errno=.. again=-1 flush=-1 ms=.."
 *
 * rx/tx take a 4th argument "fast" for measurements: the probe then skips its own per-byte
 * work on received packets (checksum verification, data comparison), which otherwise costs
 * as much as the link itself; the kernel receiver still checks the data.
 * Every mode gives up after 60 s ("ERROR timeout"). Exit 0 when the mode's checks passed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strerrorname_np */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "synack/netdev.h"
#include "synack/tun.h"

#define HOST 0x0a4d3201u   /* 10.77.50.1: the kernel */
#define ME 0x0a4d3202u     /* 10.77.50.2: the probe */
#define FWD_A_HOST 0x0a4d3401u
#define FWD_B_HOST 0x0a4d3501u
#define FWD_SRC 0x0a4d3402u
#define FWD_DST 0x0a4d3502u
#define RX_PORT 5001
#define TX_PORT 5002
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static int verify = 1; /* 0: "fast" */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t pbyte(uint64_t k) { return (uint8_t)(k * 131u + (k >> 11)); }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    uint64_t acc = s;
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint32_t)acc;
}
static uint16_t fin16(uint32_t s) { return (uint16_t)~sum16(NULL, 0, s); }

static uint32_t pseudo(const uint8_t *ip, size_t tcplen)
{
    uint8_t ph[12];
    memcpy(ph, ip + 12, 8);
    ph[8] = 0;
    ph[9] = 6;
    wr16(ph + 10, (unsigned)tcplen);
    return sum16(ph, 12, 0);
}

/* A TCP/IPv4 segment with full checksums; payload bytes are pbyte(off + i) when pl > 0. */
static size_t build(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                    uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, uint16_t id,
                    const uint8_t *opt, size_t optlen, uint64_t off, size_t pl)
{
    size_t thl = 20 + optlen, len = 20 + thl + pl;
    memset(b, 0, 20 + thl);
    b[0] = 0x45;
    wr16(b + 2, (unsigned)len);
    wr16(b + 4, id);
    wr16(b + 6, 0x4000);
    b[8] = 64;
    b[9] = 6;
    wr32(b + 12, src);
    wr32(b + 16, dst);
    wr16(b + 10, fin16(sum16(b, 20, 0)));
    uint8_t *t = b + 20;
    wr16(t, sport);
    wr16(t + 2, dport);
    wr32(t + 4, seq);
    wr32(t + 8, ack);
    t[12] = (uint8_t)((thl / 4) << 4);
    t[13] = flags;
    wr16(t + 14, win);
    if (optlen)
        memcpy(t + 20, opt, optlen);
    for (size_t i = 0; i < pl; i++)
        t[thl + i] = pbyte(off + i);
    wr16(t + 16, fin16(sum16(t, thl + pl, pseudo(b, thl + pl))));
    return len;
}

/* A parsed, checksum-verified TCP/IPv4 packet. */
struct tcp_in {
    const uint8_t *pl;
    size_t plen, len;
    uint32_t src, dst, seq, ack;
    uint16_t sport, dport, win;
    uint8_t flags;
    const uint8_t *opt;
    size_t optlen;
};

/* 1: TCP and valid; 0: not TCP/IPv4 (ignored); -1: TCP with a bad checksum or length. */
static int parse(const uint8_t *p, size_t len, struct tcp_in *s)
{
    if (len < 20 || (p[0] >> 4) != 4)
        return 0;
    size_t ihl = (p[0] & 15) * 4u;
    if (ihl < 20 || ihl > len || p[9] != 6)
        return 0;
    if (rd16(p + 2) != len || fin16(sum16(p, ihl, 0)) != 0 || len < ihl + 20)
        return -1;
    const uint8_t *t = p + ihl;
    size_t thl = (t[12] >> 4) * 4u;
    if (thl < 20 || ihl + thl > len)
        return -1;
    if (verify && fin16(sum16(t, len - ihl, pseudo(p, len - ihl))) != 0)
        return -1;
    s->len = len;
    s->src = rd32(p + 12);
    s->dst = rd32(p + 16);
    s->sport = rd16(t);
    s->dport = rd16(t + 2);
    s->seq = rd32(t + 4);
    s->ack = rd32(t + 8);
    s->flags = t[13];
    s->win = rd16(t + 14);
    s->opt = t + 20;
    s->optlen = thl - 20;
    s->pl = t + thl;
    s->plen = len - ihl - thl;
    return 1;
}

static void opt_scan(const struct tcp_in *s, unsigned *mss, int *ws)
{
    for (size_t i = 0; i < s->optlen;) {
        uint8_t k = s->opt[i];
        if (k == 0)
            break;
        if (k == 1) {
            i++;
            continue;
        }
        if (i + 1 >= s->optlen || s->opt[i + 1] < 2 || i + s->opt[i + 1] > s->optlen)
            break;
        if (k == 2 && s->opt[i + 1] == 4)
            *mss = rd16(s->opt + i + 2);
        if (k == 3 && s->opt[i + 1] == 3)
            *ws = s->opt[i + 2] > 14 ? 14 : s->opt[i + 2];
        i += s->opt[i + 1];
    }
}

static const uint8_t SYN_OPT[8] = { 2, 4, 0x05, 0xb4 /* MSS 1460 */, 1, 3, 3, 7 /* WS 7 */ };

/* ---- the probe's TCP endpoint ---- */

enum { LISTEN, SYN_SENT, SYN_RCVD, ESTAB, LAST_ACK, FIN_WAIT, DONE };

struct peer {
    struct synack_netdev *d;
    uint16_t myport, port;
    int state;
    uint32_t iss, snd_una, snd_nxt, irs, rcv_nxt;
    uint16_t ipid;
    int need_ack, peer_ws, fin_rcvd;
    unsigned peer_mss;
    uint32_t peer_wnd;
    unsigned dupacks;
    /* counters */
    unsigned long pkts, gso, bad_csum, bad_data, ooo, rexmit;
    size_t maxlen;
    uint64_t data;          /* in-order bytes received (rx) */
    double t0, t1;
};

static void send_ctl(struct peer *p, uint8_t flags, const uint8_t *opt, size_t optlen, uint32_t seq)
{
    uint8_t b[128];
    size_t n = build(b, ME, HOST, p->myport, p->port, seq, p->rcv_nxt, flags, 65535, p->ipid++,
                     opt, optlen, 0, 0);
    if (p->d->ops->tx(p->d, b, n) < 0 || p->d->ops->flush(p->d) < 0)
        printf("ERROR tx control: %s\n", strerror(errno));
}

/* rx mode: the probe is the receiving end. */
static void rx_pkt(void *ctx, const uint8_t *f, size_t len)
{
    struct peer *p = ctx;
    struct tcp_in s;
    int r = parse(f, len, &s);
    if (r < 0) {
        p->bad_csum++;
        return;
    }
    if (r == 0 || s.dst != ME || s.dport != p->myport)
        return;
    p->pkts++;
    if (len > p->maxlen)
        p->maxlen = len;
    if (len > p->d->mtu)
        p->gso++;
    if (s.flags & F_RST) {
        printf("ERROR reset by the kernel\n");
        p->state = DONE;
        return;
    }
    if (s.flags & F_SYN) {
        if (p->state == LISTEN) {
            p->port = s.sport;
            p->irs = s.seq;
            p->rcv_nxt = s.seq + 1;
            p->iss = 1000000;
            p->snd_nxt = p->iss + 1;
            p->state = SYN_RCVD;
        }
        if (p->state == SYN_RCVD)
            send_ctl(p, F_SYN | F_ACK, SYN_OPT, sizeof SYN_OPT, p->iss);
        return;
    }
    if (p->state == SYN_RCVD && (s.flags & F_ACK) && s.ack == p->iss + 1)
        p->state = ESTAB;
    if (p->state == LAST_ACK && (s.flags & F_ACK) && s.ack == p->snd_nxt) {
        p->state = DONE;
        return;
    }
    if (p->state != ESTAB)
        return;
    if (s.plen) {
        if (s.seq == p->rcv_nxt) {
            uint64_t off = (uint32_t)(s.seq - p->irs - 1); /* BYTES < 2^31 */
            for (size_t i = 0; verify && i < s.plen; i++)
                if (s.pl[i] != pbyte(off + i)) {
                    p->bad_data++;
                    break;
                }
            if (!p->data)
                p->t0 = now_s();
            p->data += s.plen;
            p->rcv_nxt += (uint32_t)s.plen;
        } else {
            p->ooo++;
        }
        p->need_ack = 1;
    }
    if ((s.flags & F_FIN) && s.seq + (uint32_t)s.plen == p->rcv_nxt) {
        p->t1 = now_s();
        p->rcv_nxt++;
        send_ctl(p, F_FIN | F_ACK, NULL, 0, p->snd_nxt);
        p->snd_nxt++;
        p->state = LAST_ACK;
        p->need_ack = 0;
    }
}

struct ksend { uint64_t bytes; int err; volatile int fd; };

static void *kernel_sender(void *arg)
{
    struct ksend *k = arg;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    k->fd = s;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(RX_PORT),
                             .sin_addr.s_addr = htonl(ME) };
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
        k->err = errno;
        if (s >= 0)
            close(s);
        return NULL;
    }
    static uint8_t chunk[1 << 16];
    uint64_t sent = 0;
    while (sent < k->bytes) {
        size_t n = k->bytes - sent < sizeof chunk ? (size_t)(k->bytes - sent) : sizeof chunk;
        for (size_t i = 0; i < n; i++)
            chunk[i] = pbyte(sent + i);
        ssize_t w = write(s, chunk, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            k->err = errno;
            break;
        }
        sent += (uint64_t)w;
    }
    shutdown(s, SHUT_WR);
    char c;
    while (read(s, &c, 1) > 0) /* until the probe's FIN */
        ;
    close(s);
    return NULL;
}

static int setup(const char *name, int offload, uint32_t host, struct synack_netdev **out)
{
    struct synack_tun_config cfg = { .offload = offload };
    struct synack_netdev *d = synack_netdev_open_tun(name, &cfg);
    if (!d) {
        printf("ERROR open %s offload=%d: %s\n", name, offload, strerror(errno));
        return -1;
    }
    if (synack_tun_configure(d->name, host, 24, 0) < 0) {
        printf("ERROR configure %s: %s\n", d->name, strerror(errno));
        synack_netdev_close(d);
        return -1;
    }
    *out = d;
    return 0;
}

static int wait_rx(struct synack_netdev *d, int ms)
{
    struct pollfd pfd = { .fd = d->fd, .events = POLLIN, .revents = 0 };
    return poll(&pfd, 1, ms);
}

static int mode_rx(int offload, uint64_t bytes)
{
    struct peer p = { .myport = RX_PORT, .state = LISTEN };
    if (setup("so-rx", offload, HOST, &p.d) < 0)
        return 1;
    struct ksend k = { .bytes = bytes, .fd = -1 };
    pthread_t th;
    if (pthread_create(&th, NULL, kernel_sender, &k) != 0) {
        printf("ERROR pthread_create\n");
        synack_netdev_close(p.d);
        return 1;
    }
    double deadline = now_s() + 60;
    int rc = 0;
    while (p.state != DONE) {
        if (now_s() > deadline) {
            printf("ERROR timeout state=%d data=%llu\n", p.state, (unsigned long long)p.data);
            rc = 1;
            break;
        }
        if (wait_rx(p.d, 100) < 0 && errno != EINTR)
            break;
        int n;
        while ((n = p.d->ops->rx_burst(p.d, rx_pkt, &p, 64)) > 0) {
            if (p.need_ack) { /* one cumulative ACK per burst */
                send_ctl(&p, F_ACK, NULL, 0, p.snd_nxt);
                p.need_ack = 0;
            }
        }
        if (n < 0) {
            printf("ERROR rx_burst: %s\n", strerror(errno));
            rc = 1;
            break;
        }
    }
    if (rc && k.fd >= 0)
        shutdown(k.fd, SHUT_RDWR); /* wakes the sender's blocked write or read */
    pthread_join(th, NULL);
    struct synack_netdev_stats st = p.d->stats;
    synack_netdev_close(p.d);
    double ms = (p.t1 - p.t0) * 1000;
    printf("RX offload=%d bytes=%llu pkts=%lu gso=%lu maxlen=%zu bad_csum=%lu bad_data=%lu "
           "ooo=%lu rx_dropped=%llu ms=%.1f MBps=%.1f\n",
           offload, (unsigned long long)p.data, p.pkts, p.gso, p.maxlen, p.bad_csum, p.bad_data,
           p.ooo, (unsigned long long)st.rx_dropped, ms,
           ms > 0 ? (double)p.data / 1e3 / ms : 0.0);
    if (k.err)
        printf("ERROR kernel sender: %s\n", strerror(k.err));
    return rc || k.err || p.data != bytes || p.bad_data || p.bad_csum ? 1 : 0;
}

/* ---- tx mode: the probe sends, a kernel socket receives ---- */

struct krecv {
    uint64_t got, bad;
    int err, ready;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void *kernel_receiver(void *arg)
{
    struct krecv *k = arg;
    int one = 1;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(TX_PORT),
                             .sin_addr.s_addr = htonl(HOST) };
    int ok = ls >= 0 && setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
             bind(ls, (struct sockaddr *)&a, sizeof a) == 0 && listen(ls, 1) == 0;
    pthread_mutex_lock(&k->mu);
    k->err = ok ? 0 : errno;
    k->ready = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    if (!ok) {
        if (ls >= 0)
            close(ls);
        return NULL;
    }
    struct pollfd pfd = { .fd = ls, .events = POLLIN, .revents = 0 };
    if (poll(&pfd, 1, 10000) <= 0) {
        k->err = ETIMEDOUT;
        close(ls);
        return NULL;
    }
    int s = accept(ls, NULL, NULL);
    close(ls);
    if (s < 0) {
        k->err = errno;
        return NULL;
    }
    struct timeval tv = { .tv_sec = 20 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    static uint8_t buf[1 << 16];
    for (;;) {
        ssize_t n = read(s, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            k->err = errno;
            break;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != pbyte(k->got + (uint64_t)i)) {
                k->bad++;
                break;
            }
        k->got += (uint64_t)n;
    }
    close(s);
    return NULL;
}

static void tx_pkt(void *ctx, const uint8_t *f, size_t len)
{
    struct peer *p = ctx;
    struct tcp_in s;
    int r = parse(f, len, &s);
    if (r < 0) {
        p->bad_csum++;
        return;
    }
    if (r == 0 || s.dst != ME || s.dport != p->myport || s.sport != p->port)
        return;
    if (s.flags & F_RST) {
        printf("ERROR reset by the kernel\n");
        p->state = DONE;
        return;
    }
    if (p->state == SYN_SENT) {
        if ((s.flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK) && s.ack == p->iss + 1) {
            p->irs = s.seq;
            p->rcv_nxt = s.seq + 1;
            p->snd_una = p->snd_nxt = p->iss + 1;
            p->peer_mss = 536;
            p->peer_ws = 0;
            opt_scan(&s, &p->peer_mss, &p->peer_ws);
            p->peer_wnd = s.win; /* not scaled in a SYN-ACK (RFC 7323 §2.2) */
            p->state = ESTAB;
            p->need_ack = 1;
        }
        return;
    }
    if (s.flags & F_ACK) {
        if (seq_lt(p->snd_una, s.ack) && !seq_lt(p->snd_nxt, s.ack) ) {
            p->snd_una = s.ack;
            p->dupacks = 0;
            p->t1 = now_s(); /* last progress */
        } else if (s.ack == p->snd_una && !s.plen && p->snd_una != p->snd_nxt) {
            p->dupacks++;
        }
        p->peer_wnd = (uint32_t)s.win << p->peer_ws;
    }
    if ((s.flags & F_FIN) && s.seq + (uint32_t)s.plen == p->rcv_nxt) {
        p->rcv_nxt++;
        p->fin_rcvd = 1;
        p->need_ack = 1;
    }
}

static int mode_tx(int offload, uint64_t bytes)
{
    struct peer p = { .myport = 40000, .port = TX_PORT };
    if (setup("so-tx", offload, HOST, &p.d) < 0)
        return 1;
    struct krecv k = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    pthread_t th;
    if (pthread_create(&th, NULL, kernel_receiver, &k) != 0) {
        printf("ERROR pthread_create\n");
        synack_netdev_close(p.d);
        return 1;
    }
    pthread_mutex_lock(&k.mu);
    while (!k.ready)
        pthread_cond_wait(&k.cv, &k.mu);
    pthread_mutex_unlock(&k.mu);
    if (k.err) {
        printf("ERROR kernel listener: %s\n", strerror(k.err));
        synack_netdev_close(p.d);
        pthread_join(th, NULL);
        return 1;
    }
    p.iss = 7000000;
    p.snd_nxt = p.iss + 1;
    p.state = SYN_SENT;
    double deadline = now_s() + 60, last_syn = 0;
    int rc = 0;
    static uint8_t seg[2048];
    uint32_t base = 0, end = 0;
    uint32_t fin_seq = 0;
    double t_data = 0;
    int fin_sent = 0;
    unsigned long segs = 0;
    while (p.state != DONE) {
        double t = now_s();
        if (t > deadline) {
            printf("ERROR timeout state=%d acked=%u\n", p.state, p.snd_una - base);
            rc = 1;
            break;
        }
        if (p.state == SYN_SENT && t - last_syn > 1.0) {
            send_ctl(&p, F_SYN, SYN_OPT, sizeof SYN_OPT, p.iss);
            last_syn = t;
        }
        int n = p.d->ops->rx_burst(p.d, tx_pkt, &p, 64);
        if (n < 0) {
            printf("ERROR rx_burst: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        if (p.state == ESTAB && !base) {
            base = p.snd_una;
            end = base + (uint32_t)bytes;
            p.t0 = p.t1 = now_s();
        }
        if (p.state != ESTAB) {
            if (!n)
                wait_rx(p.d, 10);
            continue;
        }
        if (p.need_ack) {
            send_ctl(&p, F_ACK, NULL, 0, fin_sent ? fin_seq + 1 : p.snd_nxt);
            p.need_ack = 0;
        }
        if (p.snd_una == end && !fin_sent) {
            fin_seq = end;
            send_ctl(&p, F_FIN | F_ACK, NULL, 0, fin_seq);
            fin_sent = 1;
            p.snd_nxt = end + 1;
            t_data = t - p.t0;
        }
        if (fin_sent) {
            if (p.snd_una == end + 1 && p.fin_rcvd)
                p.state = DONE;
            else if (!n) {
                if (now_s() - p.t1 > 0.5 && p.snd_una != end + 1) { /* FIN lost: again */
                    send_ctl(&p, F_FIN | F_ACK, NULL, 0, fin_seq);
                    p.t1 = now_s();
                }
                wait_rx(p.d, 10);
            }
            continue;
        }
        /* loss: go back N after 3 duplicate ACKs or 300 ms without progress */
        if (p.dupacks >= 3 || (p.snd_una != p.snd_nxt && t - p.t1 > 0.3)) {
            p.rexmit++;
            p.snd_nxt = p.snd_una;
            p.dupacks = 0;
            p.t1 = t;
        }
        unsigned mss = p.peer_mss < 1460 ? p.peer_mss : 1460;
        uint32_t wnd_end = p.snd_una + p.peer_wnd;
        unsigned burst = 0;
        while (burst < 256 && seq_lt(p.snd_nxt, end) && seq_lt(p.snd_nxt, wnd_end)) {
            uint32_t room = wnd_end - p.snd_nxt, left = end - p.snd_nxt;
            size_t pl = mss;
            if (pl > left)
                pl = left;
            if (pl > room)
                pl = room;
            int last = burst + 1 == 256 || p.snd_nxt + pl == end || p.snd_nxt + pl == wnd_end;
            size_t len = build(seg, ME, HOST, p.myport, p.port, p.snd_nxt, p.rcv_nxt,
                               (uint8_t)(F_ACK | (last ? F_PSH : 0)), 65535, p.ipid++, NULL, 0,
                               (uint32_t)(p.snd_nxt - base), pl);
            if (p.d->ops->tx(p.d, seg, len) < 0) {
                printf("ERROR tx: %s\n", strerror(errno));
                rc = 1;
                goto out;
            }
            p.snd_nxt += (uint32_t)pl;
            segs++;
            burst++;
        }
        if (p.d->ops->flush(p.d) < 0) {
            printf("ERROR flush: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        if (!n && !burst)
            wait_rx(p.d, 10);
    }
out:;
    double ms = t_data * 1000;
    struct synack_netdev_stats st = p.d->stats;
    synack_netdev_close(p.d);
    pthread_join(th, NULL);
    printf("TX offload=%d bytes=%llu segs=%lu writes=%llu verified=%llu bad_data=%llu rexmit=%lu "
           "tx_dropped=%llu tx_errors=%llu ms=%.1f MBps=%.1f\n",
           offload, (unsigned long long)bytes, segs, (unsigned long long)st.tx_batches,
           (unsigned long long)k.got, (unsigned long long)k.bad, p.rexmit,
           (unsigned long long)st.tx_dropped, (unsigned long long)st.tx_errors, ms,
           ms > 0 ? (double)bytes / 1e3 / ms : 0.0);
    if (k.err)
        printf("ERROR kernel receiver: %s\n", strerror(k.err));
    return rc || k.err || k.got != bytes || k.bad ? 1 : 0;
}

/* ---- fwd mode: a coalesced write is resegmented by the kernel ---- */

struct fwd_ctx {
    uint8_t *want[10];
    size_t wlen[10];
    unsigned segs_out, match, bad;
};

static void fwd_pkt(void *ctx, const uint8_t *f, size_t len)
{
    struct fwd_ctx *c = ctx;
    struct tcp_in s;
    int r = parse(f, len, &s);
    if (r == 0)
        return;
    if (r < 0 || s.dst != FWD_DST) {
        c->bad += r < 0;
        return;
    }
    unsigned i = c->segs_out++;
    if (i >= 10 || len != c->wlen[i]) {
        printf("FWD segment %u: len %zu\n", i, len);
        c->bad++;
        return;
    }
    /* identical but for TTL (forwarded: one less) and the IP checksum */
    uint8_t tmp[2048];
    memcpy(tmp, c->want[i], len);
    tmp[8]--;
    wr16(tmp + 10, 0);
    wr16(tmp + 10, fin16(sum16(tmp, 20, 0)));
    if (memcmp(tmp, f, len) == 0)
        c->match++;
    else {
        printf("FWD segment %u differs (id %u seq %u flags %02x)\n", i, rd16(f + 4), s.seq, s.flags);
        c->bad++;
    }
}

static int mode_fwd(void)
{
    struct synack_netdev *a, *b;
    if (setup("so-fwda", 1, FWD_A_HOST, &a) < 0)
        return 1;
    if (setup("so-fwdb", 0, FWD_B_HOST, &b) < 0) {
        synack_netdev_close(a);
        return 1;
    }
    struct fwd_ctx c = { .segs_out = 0 };
    static uint8_t store[10][2048];
    uint32_t seq = 0xfffffc00u; /* wraps inside the super-packet */
    for (unsigned i = 0; i < 10; i++) {
        size_t pl = i == 9 ? 500 : 1000;
        c.want[i] = store[i];
        c.wlen[i] = build(store[i], FWD_SRC, FWD_DST, 40000, 5003, seq, 777,
                          (uint8_t)(F_ACK | (i == 9 ? F_PSH : 0)), 1000, (uint16_t)(300 + i),
                          NULL, 0, i * 1000u, pl);
        seq += (uint32_t)pl;
        if (a->ops->tx(a, store[i], c.wlen[i]) < 0)
            printf("ERROR tx: %s\n", strerror(errno));
    }
    unsigned long writes_before = (unsigned long)a->stats.tx_batches;
    if (a->ops->flush(a) < 0)
        printf("ERROR flush: %s\n", strerror(errno));
    unsigned long writes = (unsigned long)a->stats.tx_batches;
    double deadline = now_s() + 3;
    while (c.segs_out < 10 && now_s() < deadline) {
        wait_rx(b, 100);
        if (b->ops->rx_burst(b, fwd_pkt, &c, 64) < 0) {
            printf("ERROR rx_burst: %s\n", strerror(errno));
            break;
        }
    }
    printf("FWD writes_before_flush=%lu writes=%lu segs_in=%llu segs_out=%u match=%u bad=%u "
           "tx_dropped=%llu tx_errors=%llu\n",
           writes_before, writes, (unsigned long long)a->stats.tx_packets, c.segs_out, c.match,
           c.bad, (unsigned long long)a->stats.tx_dropped, (unsigned long long)a->stats.tx_errors);
    synack_netdev_close(a);
    synack_netdev_close(b);
    int ok = writes_before == 0 && writes == 1 && c.segs_out == 10 && c.match == 10 && !c.bad;
    printf(ok ? "FWD ok\n" : "FWD fail\n");
    return ok ? 0 : 1;
}

static void count_pkt(void *ctx, const uint8_t *f, size_t len) { ++*(unsigned long *)ctx; }

static int mode_gone(int offload)
{
    struct synack_netdev *d;
    if (setup("so-gone", offload, 0x0a4d3601u /* 10.77.54.1 */, &d) < 0)
        return 1;
    printf("READY %s offload=%d\n", d->name, offload);
    unsigned long pkts = 0;
    double deadline = now_s() + 20, t_gone = 0;
    int r = 0, e = 0;
    while (now_s() < deadline) {
        wait_rx(d, 100);
        r = d->ops->rx_burst(d, count_pkt, &pkts, 64);
        if (r < 0) {
            e = errno;
            t_gone = now_s();
            break;
        }
    }
    if (r >= 0) {
        printf("ERROR timeout: rx_burst never failed (pkts=%lu)\n", pkts);
        synack_netdev_close(d);
        return 1;
    }
    /* a caller that goes on anyway keeps getting the error, at once */
    int again = d->ops->rx_burst(d, count_pkt, &pkts, 64), e2 = errno;
    int fl = d->ops->flush(d), e3 = errno;
    double ms = (now_s() - t_gone) * 1000;
    printf("GONE rx=%d errno=%s again=%d errno2=%s flush=%d errno3=%s ms=%.1f pkts=%lu\n", r,
           strerrorname_np(e), again, strerrorname_np(e2), fl, strerrorname_np(e3), ms, pkts);
    synack_netdev_close(d);
    return again == -1 && fl == -1 && e2 == e && e3 == e ? 0 : 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && !strcmp(argv[1], "fwd"))
        return mode_fwd();
    if (argc == 3 && !strcmp(argv[1], "gone"))
        return mode_gone(atoi(argv[2]));
    if ((argc == 4 || (argc == 5 && !strcmp(argv[4], "fast"))) &&
        (!strcmp(argv[1], "rx") || !strcmp(argv[1], "tx"))) {
        verify = argc == 4;
        int off = atoi(argv[2]);
        uint64_t bytes = strtoull(argv[3], NULL, 10);
        if (bytes == 0 || bytes > 0x7fffffffu) {
            fprintf(stderr, "BYTES: 1..2^31-1\n");
            return 2;
        }
        return argv[1][0] == 'r' ? mode_rx(off, bytes) : mode_tx(off, bytes);
    }
    fprintf(stderr, "usage: %s rx|tx OFFLOAD BYTES [fast] | fwd | gone OFFLOAD\n", argv[0]);
    return 2;
}
