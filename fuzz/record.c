/* Records the unit tests' exchanges as seed inputs for the fuzz targets (issue 10, "seed
 * corpora made by the project's own tests"). Linked into a copy of the unit-test binary
 * (build/fuzz/test-record: tests/harness + tests/unit + libsynack.a) with
 *   -Wl,--wrap=synack_stack_new,--wrap=synack_stack_free,--wrap=synack_input,
 *   --wrap=synack_eth_new,--wrap=synack_eth_add_if,--wrap=synack_eth_input,--wrap=synack_eth_free,
 *   --wrap=dlsym
 * so that every packet any test feeds a stack, every frame it feeds an Ethernet layer and every
 * call a packetdrill-driver test makes through the adapter's interface is seen, without a change
 * to the tests. Writes into $FUZZ_RECORD_DIR/<target>/<hash> (files named by content, so equal
 * exchanges collapse):
 *   fuzz_wire   each distinct packet, as 0x00 + packet (fuzz_wire's "parse as is" form)
 *   fuzz_stack  per stack, its input in fuzz_stack's record format: time steps (ms) and packets
 *               with the stack's address as 10.77.0.2 and the peer as 10.77.0.1; connections the
 *               peer opened go to fuzz_stack's listener (port 80) as raw packets, connections
 *               the stack opened go to fuzz_stack's SYN_SENT socket as structured segments;
 *               segments with data or FIN also make the user calls
 *   fuzz_eth    per Ethernet layer, its frames in fuzz_eth's format, MACs and addresses mapped
 *               onto fuzz_eth's (interface 0/1, 10.77.10.2/24), checksums repaired
 *   fuzz_pd     per adapter instance, the interface calls in fuzz_pd's format (fuzz_pd.c)
 * Each seed is cut at SEED_MAX bytes. `make fuzz-seeds` runs this and minimizes the result into
 * fuzz/corpus/ with libFuzzer's -merge=1. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/sockios.h>
#include "synack/synack.h"
#include "synack/eth.h"
#include "packetdrill/pd_interface.h"
#include "core/wire.h"

#define SEED_MAX 8192
#define MAX_REC 256
#define WIRE_MAX 6000
#define FZ_US 0x0a4d0002u
#define FZ_PEER 0x0a4d0001u
#define FZ_ETH_US 0x0a4d0a02u
#define PD_LOCAL 0xc0a80001u
#define PD_REMOTE 0xc0000201u

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int nwire;

/* ---- output ---- */

struct buf { uint8_t *p; size_t n, cap; int full; };

static void put(struct buf *b, const void *d, size_t n)
{
    if (b->full || b->n + n > SEED_MAX) { b->full = 1; return; }
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap * 2 : 1024;
        while (c < b->n + n) c *= 2;
        uint8_t *q = realloc(b->p, c);
        if (!q) { b->full = 1; return; }
        b->p = q; b->cap = c;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void put8(struct buf *b, unsigned v) { uint8_t c = (uint8_t)v; put(b, &c, 1); }
static void put16(struct buf *b, unsigned v) { put8(b, v >> 8 & 255); put8(b, v & 255); }
static void put32(struct buf *b, uint32_t v) { put16(b, v >> 16); put16(b, v & 0xffff); }

static void save(const char *target, const uint8_t *p, size_t n)
{
    const char *dir = getenv("FUZZ_RECORD_DIR");
    char path[4096];
    uint64_t h = 0xcbf29ce484222325ull;
    FILE *f;
    if (!dir || !n) return;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    snprintf(path, sizeof path, "%s/%s", dir, target);
    mkdir(dir, 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%016llx", dir, target, (unsigned long long)h);
    if ((f = fopen(path, "wb"))) { fwrite(p, 1, n, f); fclose(f); }
}

static void flush(const char *target, struct buf *b)
{
    save(target, b->p, b->n);
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Repairs the IPv4 and transport checksums of a packet (as far as its lengths allow). */
static void repair(uint8_t *b, size_t n)
{
    size_t ihl, tot, pl;
    uint8_t *p;
    if (n < IP4_HDR_MIN) return;
    ihl = (size_t)(b[0] & 15) * 4;
    tot = rd16(b + 2);
    if (ihl < IP4_HDR_MIN || ihl > n) return;
    wr16(b + 10, 0);
    wr16(b + 10, csum_fold(csum_partial(b, ihl, 0)));
    if (tot < ihl || tot > n || (rd16(b + 6) & 0x3fff)) return;
    p = b + ihl;
    pl = tot - ihl;
    if (b[9] == IP4_PROTO_TCP && pl >= TCP_HDR_MIN) {
        wr16(p + 16, 0);
        wr16(p + 16, csum_fold(csum_partial(p, pl, csum_pseudo(rd32(b + 12), rd32(b + 16),
                                                              IP4_PROTO_TCP, (uint16_t)pl))));
    } else if (b[9] == IP4_PROTO_UDP && pl >= UDP_HDR_LEN) {
        size_t ul = rd16(p + 4);
        if (ul < UDP_HDR_LEN || ul > pl) return;
        wr16(p + 6, 0);
        wr16(p + 6, csum_fold(csum_partial(p, ul, csum_pseudo(rd32(b + 12), rd32(b + 16),
                                                             IP4_PROTO_UDP, (uint16_t)ul))));
    }
}

/* ---- stacks: fuzz_stack and fuzz_wire ---- */

struct flow { uint32_t src; uint16_t sport, dport; int active; };
struct srec {
    struct synack_stack *st;
    uint32_t addr;
    synack_time_us t_in, t_out;     /* recorded time of the first input, time emitted so far */
    int started;
    struct buf b;
    struct flow fl[32];
    int nfl;
};
static struct srec srecs[MAX_REC];

int __real_synack_stack_new(const struct synack_config *cfg, struct synack_stack **out);
void __real_synack_stack_free(struct synack_stack *st);
void __real_synack_input(struct synack_stack *st, synack_time_us now, const uint8_t *pkt, size_t len);

static struct srec *srec_of(struct synack_stack *st)
{
    for (int i = 0; i < MAX_REC; i++) if (srecs[i].st == st) return &srecs[i];
    return NULL;
}

int __wrap_synack_stack_new(const struct synack_config *cfg, struct synack_stack **out)
{
    int rc = __real_synack_stack_new(cfg, out);
    pthread_mutex_lock(&mu);
    if (rc == 0) {
        for (int i = 0; i < MAX_REC; i++) {
            if (srecs[i].st) continue;
            memset(&srecs[i], 0, sizeof srecs[i]);
            srecs[i].st = *out;
            srecs[i].addr = cfg->addr;
            /* fuzz_stack's first byte: bit 7 = SYN cookies always */
            put8(&srecs[i].b, cfg->syncookies == SYNACK_SYNCOOKIES_ALWAYS ? 0x80 : 0);
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    return rc;
}

static void srec_flush(struct srec *r)
{
    if (r->b.n > 4) flush("fuzz_stack", &r->b); else { free(r->b.p); memset(&r->b, 0, sizeof r->b); }
    r->st = NULL;
}

void __wrap_synack_stack_free(struct synack_stack *st)
{
    struct srec *r;
    pthread_mutex_lock(&mu);
    if (st && (r = srec_of(st))) srec_flush(r);
    pthread_mutex_unlock(&mu);
    __real_synack_stack_free(st);
}

static void record_wire(const uint8_t *pkt, size_t len)
{
    uint8_t tmp[1 + 1600];
    if (nwire >= WIRE_MAX || len > 1600) return;
    tmp[0] = 0;
    memcpy(tmp + 1, pkt, len);
    save("fuzz_wire", tmp, len + 1);
    nwire++;
}

static void record_stack(struct srec *r, synack_time_us now, const uint8_t *in, size_t len)
{
    uint8_t pkt[1600];
    size_t ihl;
    struct buf *b = &r->b;
    if (b->full || len > sizeof pkt) return;
    if (!r->started) { r->started = 1; r->t_in = now; r->t_out = now; }
    while (now > r->t_out + 999) {                  /* time steps of whole milliseconds */
        synack_time_us ms = (now - r->t_out) / 1000;
        if (ms > 65535) ms = 65535;
        put8(b, 1); put16(b, 2); put16(b, (unsigned)ms);
        r->t_out += ms * 1000;
    }
    memcpy(pkt, in, len);
    if (len >= IP4_HDR_MIN && (pkt[0] >> 4) == 4) {
        if (rd32(pkt + 16) == r->addr) wr32(pkt + 16, FZ_US);
        if (rd32(pkt + 12) != FZ_US) wr32(pkt + 12, FZ_PEER);
        ihl = (size_t)(pkt[0] & 15) * 4;
        if (pkt[9] == IP4_PROTO_TCP && ihl >= IP4_HDR_MIN && len >= ihl + TCP_HDR_MIN &&
            !(rd16(pkt + 6) & 0x3fff)) {
            const uint8_t *t = pkt + ihl;
            uint16_t sport = rd16(t), dport = rd16(t + 2);
            uint8_t flags = t[13];
            size_t doff = (size_t)(t[12] >> 4) * 4, plen;
            struct flow *f = NULL;
            for (int i = 0; i < r->nfl; i++)
                if (r->fl[i].src == rd32(in + 12) && r->fl[i].sport == sport && r->fl[i].dport == dport)
                    f = &r->fl[i];
            if (!f && (flags & 2) && r->nfl < 32) {
                f = &r->fl[r->nfl++];
                f->src = rd32(in + 12); f->sport = sport; f->dport = dport;
                f->active = (flags & 0x10) != 0;    /* SYN-ACK: the stack opened it */
            }
            plen = len > ihl + doff && doff >= TCP_HDR_MIN ? len - ihl - doff : 0;
            unsigned user = (plen || (flags & 1)) ? 4 | 1 << 3 : 0;
            if (f && f->active && doff >= TCP_HDR_MIN && ihl + doff <= len) {
                /* structured segment to fuzz_stack's connecting socket: d[0] odd */
                struct tcp_opts o;
                uint8_t d[14];
                memset(d, 0, sizeof d);
                d[0] = 1;
                if (tcp_opts_parse(t + TCP_HDR_MIN, doff - TCP_HDR_MIN, &o) == WIRE_OK) {
                    d[1] = (uint8_t)((o.has_mss ? 1 : 0) | (o.has_ws ? 2 : 0) | (o.has_ts ? 4 : 0) |
                                     (o.sack_ok ? 8 : 0) | (o.nsack ? 16 : 0));
                    if (o.has_ws) d[4] = o.ws;
                }
                memcpy(d + 2, t + 4, 8);    /* seq, ack */
                d[10] = flags;
                memcpy(d + 11, t + 14, 2);  /* window */
                if (plen > 1400) plen = 1400;
                put8(b, 2 | user); put16(b, (unsigned)(14 + plen));
                put(b, d, 14); put(b, t + doff, plen);
                return;
            }
            if (f) wr16(pkt + ihl + 2, 80);     /* to fuzz_stack's listener */
        }
        repair(pkt, len);
        put8(b, len >= IP4_HDR_MIN && pkt[9] == IP4_PROTO_TCP && len > 40 ? 4 | 1 << 3 : 0);
    } else {
        put8(b, 0);
    }
    put16(b, (unsigned)len); put(b, pkt, len);
}

void __wrap_synack_input(struct synack_stack *st, synack_time_us now, const uint8_t *pkt, size_t len)
{
    struct srec *r;
    pthread_mutex_lock(&mu);
    record_wire(pkt, len);
    if ((r = srec_of(st))) record_stack(r, now, pkt, len);
    pthread_mutex_unlock(&mu);
    __real_synack_input(st, now, pkt, len);
}

/* ---- Ethernet layers: fuzz_eth ---- */

struct erec {
    struct synack_eth *e;
    uint32_t addr;
    uint8_t mac[2][6];
    int nif;
    synack_time_us t_out;
    int started;
    struct buf b;
};
static struct erec erecs[MAX_REC];
static const uint8_t FZ_MAC[2][6] = { { 0x02, 0, 0, 0, 0, 2 }, { 0x02, 0, 0, 0, 1, 2 } };

int __real_synack_eth_new(struct synack_stack *st, const struct synack_eth_config *cfg, struct synack_eth **out);
void __real_synack_eth_free(struct synack_eth *e);
int __real_synack_eth_add_if(struct synack_eth *e, const uint8_t mac[6], int prefix_len);
void __real_synack_eth_input(struct synack_eth *e, synack_time_us now, int ifindex, const uint8_t *frame, size_t len);

static struct erec *erec_of(struct synack_eth *e)
{
    for (int i = 0; i < MAX_REC; i++) if (erecs[i].e == e) return &erecs[i];
    return NULL;
}

int __wrap_synack_eth_new(struct synack_stack *st, const struct synack_eth_config *cfg, struct synack_eth **out)
{
    int rc = __real_synack_eth_new(st, cfg, out);
    struct srec *s;
    pthread_mutex_lock(&mu);
    if (rc == 0) {
        for (int i = 0; i < MAX_REC; i++) {
            if (erecs[i].e) continue;
            memset(&erecs[i], 0, sizeof erecs[i]);
            erecs[i].e = *out;
            erecs[i].addr = (s = srec_of(st)) ? s->addr : 0;
            put8(&erecs[i].b, cfg->gateway ? 0x80 : 0);   /* fuzz_eth: bit 7 = a gateway */
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    return rc;
}

int __wrap_synack_eth_add_if(struct synack_eth *e, const uint8_t mac[6], int prefix_len)
{
    int i = __real_synack_eth_add_if(e, mac, prefix_len);
    struct erec *r;
    pthread_mutex_lock(&mu);
    if (i >= 0 && i < 2 && (r = erec_of(e))) { memcpy(r->mac[i], mac, 6); if (r->nif <= i) r->nif = i + 1; }
    pthread_mutex_unlock(&mu);
    return i;
}

void __wrap_synack_eth_free(struct synack_eth *e)
{
    struct erec *r;
    pthread_mutex_lock(&mu);
    if (e && (r = erec_of(e))) {
        if (r->b.n > 4) flush("fuzz_eth", &r->b); else free(r->b.p);
        memset(r, 0, sizeof *r);
    }
    pthread_mutex_unlock(&mu);
    __real_synack_eth_free(e);
}

static uint32_t eth_addr(const struct erec *r, uint32_t a)
{
    if (a == r->addr) return FZ_ETH_US;
    if ((a & 0xffffff00u) == (r->addr & 0xffffff00u)) {
        uint32_t lo = a & 255;
        return 0x0a4d0a00u | (lo == 2 ? 3 : lo);
    }
    return a;
}

static void map_mac(const struct erec *r, uint8_t *m)
{
    for (int i = 0; i < r->nif; i++) if (!memcmp(m, r->mac[i], 6)) memcpy(m, FZ_MAC[i], 6);
}

void __wrap_synack_eth_input(struct synack_eth *e, synack_time_us now, int ifindex, const uint8_t *frame, size_t len)
{
    struct erec *r;
    uint8_t fr[1600];
    pthread_mutex_lock(&mu);
    if ((r = erec_of(e)) && !r->b.full && len <= sizeof fr && ifindex >= 0 && ifindex < 2) {
        struct buf *b = &r->b;
        if (!r->started) { r->started = 1; r->t_out = now; }
        while (now > r->t_out + 999) {
            synack_time_us ms = (now - r->t_out) / 1000;
            if (ms > 65535) ms = 65535;
            put8(b, 1); put16(b, 2); put16(b, (unsigned)ms);
            r->t_out += ms * 1000;
        }
        memcpy(fr, frame, len);
        if (len >= 14) {
            map_mac(r, fr);
            map_mac(r, fr + 6);
            if (rd16(fr + 12) == 0x0806 && len >= 42) {
                map_mac(r, fr + 22);
                map_mac(r, fr + 32);
                wr32(fr + 28, eth_addr(r, rd32(fr + 28)));
                wr32(fr + 38, eth_addr(r, rd32(fr + 38)));
            } else if (rd16(fr + 12) == 0x0800 && len >= 14 + IP4_HDR_MIN) {
                wr32(fr + 26, eth_addr(r, rd32(fr + 26)));
                wr32(fr + 30, eth_addr(r, rd32(fr + 30)));
                repair(fr + 14, len - 14);
            }
        }
        put8(b, ifindex ? 2 : 0); put16(b, (unsigned)len); put(b, fr, len);
    }
    pthread_mutex_unlock(&mu);
    __real_synack_eth_input(e, now, ifindex, frame, len);
}

/* ---- the packetdrill adapter: fuzz_pd ---- */

struct prec {
    void *ud;
    struct packetdrill_interface real;
    uint32_t isn;
    uint16_t lport;
    struct buf b;
};
static struct prec precs[16];

static struct prec *prec_of(void *ud)
{
    for (int i = 0; i < 16; i++) if (precs[i].ud == ud) return &precs[i];
    return &precs[0];       /* not reached: every ud comes from rec_init */
}

#define LOCKED(stmt) do { pthread_mutex_lock(&mu); stmt; pthread_mutex_unlock(&mu); } while (0)
#define R (prec_of(ud))

static unsigned sel_of(const struct sockaddr *a)
{
    const struct sockaddr_in *s = (const struct sockaddr_in *)a;
    uint32_t v = s ? ntohl(s->sin_addr.s_addr) : 0;
    return v == 0 ? 0 : v == PD_LOCAL ? 1 : v == PD_REMOTE ? 2 : 3;
}
static unsigned port_of(const struct sockaddr *a)
{
    return a ? ntohs(((const struct sockaddr_in *)a)->sin_port) : 0;
}
static unsigned len16(size_t n) { return n > 65535 ? 65535 : (unsigned)n; }

static int r_socket(void *ud, int d, int t, int p)
{
    int base = t & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    LOCKED(put8(&R->b, 0); put8(&R->b, (base == SOCK_DGRAM ? 1 : 0) | (p ? 2 : 0) | (d != AF_INET ? 4 : 0) |
                                          (base != SOCK_DGRAM && base != SOCK_STREAM ? 8 : 0)));
    return R->real.socket(ud, d, t, p);
}
static int r_bind(void *ud, int fd, const struct sockaddr *a, socklen_t l)
{
    LOCKED(put8(&R->b, 1); put8(&R->b, (unsigned)fd); put16(&R->b, port_of(a)); put8(&R->b, sel_of(a) | (l < 16 ? 4 : 0)));
    return R->real.bind(ud, fd, a, l);
}
static int r_listen(void *ud, int fd, int bl)
{
    LOCKED(put8(&R->b, 2); put8(&R->b, (unsigned)fd); put8(&R->b, bl > 127 ? 127 : bl < -128 ? 0x80 : (unsigned)(bl & 255)));
    return R->real.listen(ud, fd, bl);
}
static int r_accept(void *ud, int fd, struct sockaddr *a, socklen_t *l)
{
    LOCKED(put8(&R->b, 3); put8(&R->b, (unsigned)fd); put8(&R->b, a ? 0 : 1));
    return R->real.accept(ud, fd, a, l);
}
static int r_connect(void *ud, int fd, const struct sockaddr *a, socklen_t l)
{
    LOCKED(put8(&R->b, 4); put8(&R->b, (unsigned)fd); put16(&R->b, port_of(a)); put8(&R->b, sel_of(a) | (l < 16 ? 4 : 0)));
    return R->real.connect(ud, fd, a, l);
}
static unsigned rflags(int fl)
{
    return (fl & MSG_WAITALL ? 8 : 0) | (fl & MSG_PEEK ? 16 : 0) | (fl & MSG_ERRQUEUE ? 32 : 0) |
           (fl & MSG_DONTWAIT ? 128 : 0);
}
static void rec_recv(void *ud, int fd, unsigned v, size_t n)
{
    LOCKED(put8(&R->b, 5); put8(&R->b, (unsigned)fd); put8(&R->b, v); put16(&R->b, len16(n)));
}
static size_t iovlen(const struct iovec *iov, int n)
{
    size_t t = 0;
    for (int i = 0; iov && i < n; i++) t += iov[i].iov_len;
    return t;
}
static ssize_t r_read(void *ud, int fd, void *b, size_t n) { rec_recv(ud, fd, b ? 0 : 64, n); return R->real.read(ud, fd, b, n); }
static ssize_t r_readv(void *ud, int fd, const struct iovec *iov, int n) { rec_recv(ud, fd, 3, iovlen(iov, n)); return R->real.readv(ud, fd, iov, n); }
static ssize_t r_recv(void *ud, int fd, void *b, size_t n, int fl) { rec_recv(ud, fd, 1 | rflags(fl) | (b ? 0 : 64), n); return R->real.recv(ud, fd, b, n, fl); }
static ssize_t r_recvfrom(void *ud, int fd, void *b, size_t n, int fl, struct sockaddr *a, socklen_t *l)
{ rec_recv(ud, fd, 2 | rflags(fl) | (b ? 0 : 64), n); return R->real.recvfrom(ud, fd, b, n, fl, a, l); }
static ssize_t r_recvmsg(void *ud, int fd, struct msghdr *m, int fl)
{ rec_recv(ud, fd, 4 | rflags(fl), m ? iovlen(m->msg_iov, (int)m->msg_iovlen) : 0); return R->real.recvmsg(ud, fd, m, fl); }
static unsigned sflags(int fl) { return (fl & MSG_ZEROCOPY ? 8 : 0) | (fl & MSG_FASTOPEN ? 16 : 0) | (fl & MSG_MORE ? 32 : 0); }
static void rec_send(void *ud, int fd, unsigned v, size_t n)
{
    LOCKED(put8(&R->b, 6); put8(&R->b, (unsigned)fd); put8(&R->b, v); put16(&R->b, len16(n)));
}
static ssize_t r_write(void *ud, int fd, const void *b, size_t n) { rec_send(ud, fd, b ? 0 : 64, n); return R->real.write(ud, fd, b, n); }
static ssize_t r_writev(void *ud, int fd, const struct iovec *iov, int n) { rec_send(ud, fd, 3, iovlen(iov, n)); return R->real.writev(ud, fd, iov, n); }
static ssize_t r_send(void *ud, int fd, const void *b, size_t n, int fl) { rec_send(ud, fd, 1 | sflags(fl) | (b ? 0 : 64), n); return R->real.send(ud, fd, b, n, fl); }
static ssize_t r_sendto(void *ud, int fd, const void *b, size_t n, int fl, const struct sockaddr *a, socklen_t l)
{ rec_send(ud, fd, 2 | sflags(fl) | (b ? 0 : 64), n); return R->real.sendto(ud, fd, b, n, fl, a, l); }
static ssize_t r_sendmsg(void *ud, int fd, const struct msghdr *m, int fl)
{ rec_send(ud, fd, 4 | sflags(fl), m ? iovlen(m->msg_iov, (int)m->msg_iovlen) : 0); return R->real.sendmsg(ud, fd, m, fl); }
static int r_fcntl(void *ud, int fd, int cmd, ...)
{
    va_list ap;
    int arg = 0;
    if (cmd == F_SETFL || cmd == F_SETFD) { va_start(ap, cmd); arg = va_arg(ap, int); va_end(ap); }
    unsigned sub = cmd == F_GETFL ? 0 : cmd == F_SETFL ? 1 : cmd == F_GETFD ? 2 : cmd == F_SETFD ? 3 : 7;
    LOCKED(put8(&R->b, 12); put8(&R->b, (unsigned)fd); put8(&R->b, sub); put8(&R->b, sub == 3 && (arg & FD_CLOEXEC) ? 1 : 0));
    return R->real.fcntl(ud, fd, cmd, arg);
}
static int r_ioctl(void *ud, int fd, unsigned long req, ...)
{
    va_list ap;
    void *arg;
    va_start(ap, req); arg = va_arg(ap, void *); va_end(ap);
    unsigned sub = req == FIONBIO ? 4 : req == SIOCINQ ? 5 : req == SIOCOUTQ ? 6 : 7;
    LOCKED(put8(&R->b, 12); put8(&R->b, (unsigned)fd); put8(&R->b, sub); put8(&R->b, arg ? 0 : 1));
    return R->real.ioctl(ud, fd, req, arg);
}
static int r_close(void *ud, int fd) { LOCKED(put8(&R->b, 10); put8(&R->b, (unsigned)fd)); return R->real.close(ud, fd); }
static int r_shutdown(void *ud, int fd, int how)
{
    LOCKED(put8(&R->b, 11); put8(&R->b, (unsigned)fd); put8(&R->b, how == SHUT_RD ? 0 : how == SHUT_WR ? 1 : how == SHUT_RDWR ? 2 : 3));
    return R->real.shutdown(ud, fd, how);
}
/* fuzz_pd.c's OPTS table, in the same order */
static const int OPTS[][2] = {
    { SOL_SOCKET, SO_REUSEADDR }, { SOL_SOCKET, SO_RCVBUF }, { SOL_SOCKET, SO_SNDBUF },
    { SOL_SOCKET, SO_LINGER }, { SOL_SOCKET, SO_RCVTIMEO }, { SOL_SOCKET, SO_SNDTIMEO },
    { SOL_SOCKET, SO_ZEROCOPY }, { SOL_SOCKET, SO_ERROR }, { SOL_SOCKET, SO_TYPE },
    { SOL_SOCKET, SO_DOMAIN }, { SOL_SOCKET, SO_PROTOCOL }, { SOL_SOCKET, SO_ACCEPTCONN },
    { IPPROTO_TCP, TCP_NODELAY }, { IPPROTO_TCP, TCP_FASTOPEN_CONNECT },
    { IPPROTO_TCP, TCP_MAXSEG }, { IPPROTO_TCP, TCP_USER_TIMEOUT },
    { IPPROTO_TCP, TCP_CORK }, { IPPROTO_IP, IP_TOS }, { SOL_SOCKET, SO_KEEPALIVE },
};
static int opt_index(int level, int name)
{
    for (size_t i = 0; i < sizeof OPTS / sizeof OPTS[0]; i++)
        if (OPTS[i][0] == level && OPTS[i][1] == name) return (int)i;
    return -1;
}
static int r_getsockopt(void *ud, int fd, int level, int name, void *v, socklen_t *l)
{
    int i = opt_index(level, name);
    if (i >= 0)
        LOCKED(put8(&R->b, 8); put8(&R->b, (unsigned)fd); put8(&R->b, (unsigned)i | (v ? 0 : 128));
               put8(&R->b, l && *l < 255 ? *l : 255));
    return R->real.getsockopt(ud, fd, level, name, v, l);
}
static int r_setsockopt(void *ud, int fd, int level, int name, const void *v, socklen_t l)
{
    int i = opt_index(level, name);
    uint32_t val = 0;
    if (i >= 0 && v) {
        if (name == SO_LINGER && level == SOL_SOCKET && l >= sizeof(struct linger))
            val = ((const struct linger *)v)->l_onoff != 0;
        else if ((name == SO_RCVTIMEO || name == SO_SNDTIMEO) && level == SOL_SOCKET && l >= sizeof(struct timeval))
            val = (uint32_t)(((const struct timeval *)v)->tv_sec & 0x7fff) << 16 |
                  (uint32_t)(((const struct timeval *)v)->tv_usec / 20 & 0xffff);
        else if (l >= sizeof(int)) memcpy(&val, v, sizeof(int));
        LOCKED(put8(&R->b, 7); put8(&R->b, (unsigned)fd); put8(&R->b, (unsigned)i); put32(&R->b, val));
    }
    return R->real.setsockopt(ud, fd, level, name, v, l);
}
static int r_poll(void *ud, struct pollfd *fds, nfds_t n, int timeout)
{
    static const short EV[8] = { POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP, POLLRDNORM, POLLWRNORM, POLLPRI };
    pthread_mutex_lock(&mu);
    put8(&R->b, 9); put8(&R->b, (unsigned)(n > 7 ? 7 : n));
    for (nfds_t i = 0; fds && i < n && i < 7; i++) {
        unsigned ev = 0;
        for (int k = 0; k < 8; k++) if (fds[i].events & EV[k]) ev |= 1u << k;
        put8(&R->b, (unsigned)fds[i].fd & 255); put8(&R->b, ev);
    }
    pthread_mutex_unlock(&mu);
    return R->real.poll(ud, fds, n, timeout);
}
static int r_netdev_send(void *ud, const void *buf, size_t count)
{
    uint8_t pkt[2048];
    unsigned mode = 1 | 8;
    size_t n = count > sizeof pkt ? sizeof pkt : count, ihl;
    pthread_mutex_lock(&mu);
    memcpy(pkt, buf, n);
    if (n >= IP4_HDR_MIN && pkt[9] == IP4_PROTO_TCP) {
        ihl = (size_t)(pkt[0] & 15) * 4;
        if (ihl >= IP4_HDR_MIN && n >= ihl + TCP_HDR_MIN) {
            if (pkt[ihl + 13] & 0x10) { wr32(pkt + ihl + 8, rd32(pkt + ihl + 8) - R->isn); mode |= 2; }
            if (R->lport && rd16(pkt + ihl + 2) == R->lport) mode |= 4;
        }
    }
    put8(&R->b, 13); put8(&R->b, mode); put16(&R->b, (unsigned)n); put(&R->b, pkt, n);
    pthread_mutex_unlock(&mu);
    return R->real.netdev_send(ud, buf, count);
}
static int r_netdev_receive(void *ud, void *buf, size_t *count, long long *t)
{
    int rc = R->real.netdev_receive(ud, buf, count, t);
    pthread_mutex_lock(&mu);
    put8(&R->b, 14); put8(&R->b, 0);
    if (rc == 0 && buf && count && *count >= IP4_HDR_MIN) {
        const uint8_t *p = buf;
        size_t ihl = (size_t)(p[0] & 15) * 4;
        if (p[9] == IP4_PROTO_TCP && ihl >= IP4_HDR_MIN && *count >= ihl + TCP_HDR_MIN) {
            R->lport = rd16(p + ihl);
            if (p[ihl + 13] & 2) R->isn = rd32(p + ihl + 4);
        }
    }
    pthread_mutex_unlock(&mu);
    return rc;
}
static int r_usleep(void *ud, useconds_t us)
{
    LOCKED(put8(&R->b, 15); put16(&R->b, us / 1000 > 65535 ? 65535 : us / 1000));
    return R->real.usleep(ud, us);
}
static void r_free(void *ud)
{
    struct packetdrill_interface real;
    pthread_mutex_lock(&mu);
    struct prec *r = R;
    real = r->real;
    flush("fuzz_pd", &r->b);
    r->ud = NULL;
    pthread_mutex_unlock(&mu);
    real.free(ud);
}

static packetdrill_interface_init_t real_init;

static unsigned cfg_byte(const char *flags)
{
    unsigned c = 0;
    const char *p;
    if (!flags) return 0;
    if ((p = strstr(flags, "syncookies="))) c |= (unsigned)(p[11] - '0') & 3;
    else c |= 1;                               /* the adapter's default: auto */
    if (strstr(flags, "timestamps=0")) c |= 4;
    if (strstr(flags, "window_scaling=0")) c |= 8;
    if (strstr(flags, "nodelay=1")) c |= 16;
    if (strstr(flags, "mss=536")) c |= 32;
    return c;
}

static void rec_init(const char *flags, struct packetdrill_interface *ifc)
{
    struct prec *r = NULL;
    real_init(flags, ifc);
    pthread_mutex_lock(&mu);
    for (int i = 0; i < 16; i++) if (!precs[i].ud) { r = &precs[i]; break; }
    if (r) {
        memset(r, 0, sizeof *r);
        r->ud = ifc->userdata;
        r->real = *ifc;
        put8(&r->b, flags ? cfg_byte(flags) : 1);
        ifc->free = r_free; ifc->socket = r_socket; ifc->bind = r_bind; ifc->listen = r_listen;
        ifc->accept = r_accept; ifc->connect = r_connect; ifc->read = r_read; ifc->readv = r_readv;
        ifc->recv = r_recv; ifc->recvfrom = r_recvfrom; ifc->recvmsg = r_recvmsg;
        ifc->write = r_write; ifc->writev = r_writev; ifc->send = r_send; ifc->sendto = r_sendto;
        ifc->sendmsg = r_sendmsg; ifc->fcntl = r_fcntl; ifc->ioctl = r_ioctl; ifc->close = r_close;
        ifc->shutdown = r_shutdown; ifc->getsockopt = r_getsockopt; ifc->setsockopt = r_setsockopt;
        ifc->poll = r_poll; ifc->netdev_send = r_netdev_send; ifc->netdev_receive = r_netdev_receive;
        ifc->usleep = r_usleep;
    }
    pthread_mutex_unlock(&mu);
}

void *__real_dlsym(void *h, const char *name);
void *__wrap_dlsym(void *h, const char *name)
{
    void *p = __real_dlsym(h, name);
    if (p && name && !strcmp(name, "packetdrill_interface_init")) {
        real_init = (packetdrill_interface_init_t)p;
        return (void *)rec_init;
    }
    return p;
}

/* Stacks and layers never freed by their test are written at exit. */
__attribute__((destructor)) static void record_atexit(void)
{
    for (int i = 0; i < MAX_REC; i++) {
        if (srecs[i].st) srec_flush(&srecs[i]);
        if (erecs[i].e && erecs[i].b.n > 4) flush("fuzz_eth", &erecs[i].b);
    }
    for (int i = 0; i < 16; i++) if (precs[i].ud) flush("fuzz_pd", &precs[i].b);
}
