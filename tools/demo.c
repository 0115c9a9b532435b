/* synack demo: a client stack (10.77.0.1) and a server stack (10.77.0.2) in a virtual-time world
 * (sim.h), their exchange drawn as a time-sequence diagram in the style of the textbook figures
 * the project's seed text describes: one column per side, one arrow per packet, labels with the
 * real numbers ("SYN=1, seq=client_isn (=...)"), state changes where they happen, and at the end
 * the state sequence each side went through.
 *
 * How it observes the run: the link's tap sees every packet as it is sent; the stacks'
 * on_segment hook (direction IN) sees every TCP segment that arrived; a TCP segment sent but
 * never seen arriving is drawn as lost. UDP and ICMP have no arrival hook, so their fate comes
 * from the link's loss counter, read right after each send. on_state gives the transitions.
 * Everything is recorded during the run and drawn at the end, when every packet's fate is known.
 *
 * Scenarios are small scripts over the non-blocking socket API (socket.h); the world is stepped
 * event by event and a scenario's "wait" conditions are checked after every event. Nothing reads
 * a clock or the OS's entropy: --seed N seeds the link and both stacks' secrets, so the same seed
 * gives the same output. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "synack/synack.h"
#include "synack/socket.h"
#include "synack/sim.h"
#include "synack/link.h"
#include "tools.h"

#define CLIENT_ADDR 0x0a4d0001u     /* 10.77.0.1 */
#define SERVER_ADDR 0x0a4d0002u     /* 10.77.0.2 */
#define SERVER_PORT 80
#define LINK_DELAY_US 1000
#define WAIT_US (600LL * 1000000)   /* a wait longer than this (virtual) means it went wrong */
#define LOSSY_BYTES 65536
#define MAX_SOCKS 16

enum { CL = 0, SV = 1 };

/* ---- what was recorded ---- */

enum { REX_NONE = 0, REX_PLAIN, REX_RTO, REX_FAST };

struct pkt {
    int from;                       /* CL or SV */
    synack_time_us sent, arrived;   /* arrived: -1 until seen */
    uint8_t proto, flags;
    uint32_t seq, ack, len;
    uint16_t sport, dport, win;
    uint8_t has_ts, has_mss, has_ws, ws, sack_ok;
    uint16_t mss;
    uint32_t tsval;
    uint8_t icmp_type, icmp_code, inner_proto;
    uint16_t inner_dport;
    uint8_t link_lost;              /* the link's loss counter moved when it was sent */
    uint8_t rexmit;                 /* REX_* */
    uint8_t syn0;                   /* the ACK that completes an open: "SYN=0" as in the seed */
    uint8_t dupack;
    uint8_t refused;                /* a RST or ICMP error answering a closed port */
    char preview[20];               /* payload as text when short and printable, else "" */
};

enum { E_PKT, E_STATE, E_APP };

struct ev {
    int kind, side;
    synack_time_us t;
    int pkt;                        /* E_PKT */
    int conn, from, to;             /* E_STATE */
    char text[120];                 /* E_STATE: the stack's event; E_APP: the call */
};

struct demo;

struct side {
    struct demo *d;
    int idx;
    const char *name;
    uint32_t addr;
    struct synack_stack *st;
    uint32_t isn;
    int has_isn;
    uint32_t snd_max;               /* highest sequence number sent + 1 (retransmission test) */
    int sent_any, sent_synack;
    int got_synack;                 /* a SYN-ACK arrived and the answering ACK is not sent yet */
    uint64_t rto_seen, fast_seen;   /* the counters at the last retransmission */
    int last_pure;                  /* the last segment sent was a pure ACK: */
    uint32_t last_ack;
    uint16_t last_win;
    int listener;                   /* listening socket or -1 */
    int nsocks;
    int socks[MAX_SOCKS];           /* sockets that changed state, in order of appearance */
    int nstates;                    /* transitions seen */
    int first_state;
};

struct scenario;

struct demo {
    const struct scenario *sc;
    uint64_t seed;
    double loss;
    int unicode, full;
    struct synack_sim *sim;
    struct synack_memlink *link;
    struct side sd[2];
    struct pkt *pkts;
    int npkts, cappkts;
    struct ev *evs;
    int nevs, capevs;
    int pending;                    /* the packet whose link fate is not read yet, or -1 */
    uint64_t lost_before;
    synack_time_us msl_us;
    int failed;
    char fail_msg[512];
    char notes[8][200];             /* lines printed under the diagram */
    int nnotes;
};

struct scenario {
    const char *name;
    const char *desc;
    int (*run)(struct demo *d);
    double loss;                    /* default link loss */
    const char *exp_client, *exp_server;   /* merged state sequences, space separated */
};

static void *grow(void *p, int *cap, size_t elem)
{
    int n = *cap ? 2 * *cap : 64;
    void *q = realloc(p, (size_t)n * elem);
    if (!q) { fprintf(stderr, "demo: out of memory\n"); exit(1); }
    *cap = n;
    return q;
}

static struct ev *ev_new(struct demo *d, int kind, int side, synack_time_us t)
{
    struct ev *e;
    if (d->nevs == d->capevs) d->evs = grow(d->evs, &d->capevs, sizeof *d->evs);
    e = &d->evs[d->nevs++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->side = side;
    e->t = t;
    e->pkt = -1;
    return e;
}

static int fail(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct demo *d, const char *fmt, ...)
{
    va_list ap;
    if (d->failed) return -1;       /* keep the first reason */
    d->failed = 1;
    va_start(ap, fmt);
    vsnprintf(d->fail_msg, sizeof d->fail_msg, fmt, ap);
    va_end(ap);
    return -1;
}

static void note(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct demo *d, const char *fmt, ...)
{
    va_list ap;
    if (d->nnotes == 8) return;
    va_start(ap, fmt);
    vsnprintf(d->notes[d->nnotes++], sizeof d->notes[0], fmt, ap);
    va_end(ap);
}

/* An application call, drawn in its side's column at the current virtual time. */
static void app(struct demo *d, int side, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void app(struct demo *d, int side, const char *fmt, ...)
{
    va_list ap;
    struct ev *e = ev_new(d, E_APP, side, synack_sim_now(d->sim));
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
}

/* The same, drawn before the events from index `mark` on: a call comes before what it causes. */
static void app_before(struct demo *d, int mark, int side, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void app_before(struct demo *d, int mark, int side, const char *fmt, ...)
{
    va_list ap;
    struct ev e;
    ev_new(d, E_APP, side, 0);      /* room at the end */
    memset(&e, 0, sizeof e);
    e.kind = E_APP;
    e.side = side;
    e.t = synack_sim_now(d->sim);
    e.pkt = -1;
    va_start(ap, fmt);
    vsnprintf(e.text, sizeof e.text, fmt, ap);
    va_end(ap);
    memmove(&d->evs[mark + 1], &d->evs[mark], (size_t)(d->nevs - 1 - mark) * sizeof *d->evs);
    d->evs[mark] = e;
}

/* ---- small helpers ---- */

static int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) << 16 | rd16(p + 2); }

static const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case EAGAIN: return "EAGAIN";
    case EINPROGRESS: return "EINPROGRESS";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case ECONNABORTED: return "ECONNABORTED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN";
    case EISCONN: return "EISCONN";
    case EALREADY: return "EALREADY";
    case EADDRINUSE: return "EADDRINUSE";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    default: return "an error";
    }
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void sync_now(struct demo *d)
{
    synack_time_us now = synack_sim_now(d->sim);
    synack_set_now(d->sd[CL].st, now);
    synack_set_now(d->sd[SV].st, now);
}

static int side_of_addr(uint32_t a) { return a == CLIENT_ADDR ? CL : a == SERVER_ADDR ? SV : -1; }

static uint64_t counter(struct demo *d, int side, enum synack_counter c)
{
    return synack_counter_get(d->sd[side].st, c);
}

/* ---- observation: tap, hooks ---- */

/* Reads the link's loss counter: did the packet sent last get lost? Exact, because every send
 * moves the counter by at most one when nothing is duplicated. */
static void resolve_pending(struct demo *d)
{
    struct synack_memlink_stats ls;
    synack_memlink_stats(d->link, &ls);
    if (d->pending >= 0 && ls.lost > d->lost_before) d->pkts[d->pending].link_lost = 1;
    d->lost_before = ls.lost;
    d->pending = -1;
}

static void parse_tcp_opts(struct pkt *k, const uint8_t *o, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t kind = o[i], l;
        if (kind == 0) break;
        if (kind == 1) { i++; continue; }
        if (i + 1 >= n) break;
        l = o[i + 1];
        if (l < 2 || i + l > n) break;
        if (kind == 2 && l == 4) { k->has_mss = 1; k->mss = (uint16_t)rd16(o + i + 2); }
        else if (kind == 3 && l == 3) { k->has_ws = 1; k->ws = o[i + 2]; }
        else if (kind == 4 && l == 2) k->sack_ok = 1;
        else if (kind == 8 && l == 10) { k->has_ts = 1; k->tsval = rd32(o + i + 2); }
        i += l;
    }
}

static void set_preview(struct pkt *k, const uint8_t *p, size_t n)
{
    k->preview[0] = 0;
    if (n == 0 || n >= sizeof k->preview) return;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '"' || p[i] == '\\') return;
    memcpy(k->preview, p, n);
    k->preview[n] = 0;
}

/* Parses an IPv4 packet as sent; returns -1 for something this demo never sends. */
static int parse_packet(const uint8_t *p, size_t len, struct pkt *k, uint32_t *saddr)
{
    size_t ihl, tot, ql;
    const uint8_t *q;
    if (len < 20 || (p[0] >> 4) != 4) return -1;
    ihl = (size_t)(p[0] & 15) * 4;
    tot = rd16(p + 2);
    if (tot > len) tot = len;
    if (ihl < 20 || tot < ihl) return -1;
    k->proto = p[9];
    *saddr = rd32(p + 12);
    q = p + ihl;
    ql = tot - ihl;
    if (k->proto == 6) {
        size_t doff;
        if (ql < 20) return -1;
        doff = (size_t)(q[12] >> 4) * 4;
        if (doff < 20 || doff > ql) return -1;
        k->sport = (uint16_t)rd16(q);
        k->dport = (uint16_t)rd16(q + 2);
        k->seq = rd32(q + 4);
        k->ack = rd32(q + 8);
        k->flags = q[13];
        k->win = (uint16_t)rd16(q + 14);
        parse_tcp_opts(k, q + 20, doff - 20);
        k->len = (uint32_t)(ql - doff);
        set_preview(k, q + doff, ql - doff);
    } else if (k->proto == 17) {
        if (ql < 8) return -1;
        k->sport = (uint16_t)rd16(q);
        k->dport = (uint16_t)rd16(q + 2);
        k->len = (uint32_t)(ql - 8);
        set_preview(k, q + 8, ql - 8);
    } else if (k->proto == 1) {
        if (ql < 8) return -1;
        k->icmp_type = q[0];
        k->icmp_code = q[1];
        if (ql >= 8 + 20 + 4) {         /* the quoted header: which port was closed */
            const uint8_t *in = q + 8;
            size_t iihl = (size_t)(in[0] & 15) * 4;
            k->inner_proto = in[9];
            if (ql >= 8 + iihl + 4) k->inner_dport = (uint16_t)rd16(in + iihl + 2);
        }
    } else {
        return -1;
    }
    return 0;
}

/* Sequence-number bookkeeping of a TCP segment a side sends: retransmission, dup ACK, "SYN=0". */
static void classify_out(struct demo *d, struct side *s, struct pkt *k)
{
    uint32_t seglen = k->len + ((k->flags & SYNACK_SYN) ? 1u : 0) + ((k->flags & SYNACK_FIN) ? 1u : 0);
    int pure = seglen == 0 && !(k->flags & SYNACK_RST) && (k->flags & SYNACK_ACK);
    if (k->flags & SYNACK_RST) {
        s->last_pure = 0;
        if (s->listener < 0) k->refused = 1;
        return;
    }
    if ((k->flags & SYNACK_SYN) && !s->has_isn) { s->isn = k->seq; s->has_isn = 1; }
    if (seglen && s->sent_any && seq_lt(k->seq, s->snd_max)) {
        /* Sent before. A SYN-ACK after our own SYN (simultaneous open) is new, though. */
        if (!((k->flags & SYNACK_SYN) && (k->flags & SYNACK_ACK) && !s->sent_synack)) {
            uint64_t rto = counter(d, s->idx, SYNACK_C_tcp_rexmit_timeouts);
            uint64_t fast = counter(d, s->idx, SYNACK_C_tcp_fast_rexmit);
            k->rexmit = rto != s->rto_seen ? REX_RTO : fast != s->fast_seen ? REX_FAST : REX_PLAIN;
            s->rto_seen = rto;
            s->fast_seen = fast;
        }
    }
    if ((k->flags & SYNACK_SYN) && (k->flags & SYNACK_ACK)) s->sent_synack = 1;
    if (seglen && (!s->sent_any || seq_lt(s->snd_max, k->seq + seglen))) s->snd_max = k->seq + seglen;
    if (seglen) s->sent_any = 1;
    if (pure && s->got_synack && !(k->flags & SYNACK_SYN)) k->syn0 = 1;
    if (!(k->flags & SYNACK_SYN) && (k->flags & SYNACK_ACK)) s->got_synack = 0;
    if (pure && s->last_pure && k->ack == s->last_ack && k->win == s->last_win) k->dupack = 1;
    s->last_pure = pure;
    s->last_ack = k->ack;
    s->last_win = k->win;
}

static void on_tap(void *ctx, synack_time_us now, const uint8_t *pkt, size_t len)
{
    struct demo *d = ctx;
    struct pkt k;
    uint32_t saddr = 0;
    struct ev *e;
    resolve_pending(d);
    memset(&k, 0, sizeof k);
    if (parse_packet(pkt, len, &k, &saddr) < 0 || side_of_addr(saddr) < 0) return;
    k.from = side_of_addr(saddr);
    k.sent = now;
    k.arrived = -1;
    if (k.proto == 6) classify_out(d, &d->sd[k.from], &k);
    if (k.proto == 1 && k.icmp_type == 3 && k.icmp_code == 3) k.refused = 1;
    if (d->npkts == d->cappkts) d->pkts = grow(d->pkts, &d->cappkts, sizeof *d->pkts);
    d->pkts[d->npkts] = k;
    d->pending = d->npkts;
    e = ev_new(d, E_PKT, k.from, now);
    e->pkt = d->npkts++;
}

/* A segment arrived at side s: find the packet it was. The link delays every packet by the
 * same amount, so prefer the one sent exactly that long ago. Of identical twins (two dup ACKs in
 * the same instant) take one the link did not lose, so that the drawing agrees with the link. */
static void on_segment(void *ctx, synack_time_us now, enum synack_dir dir, const struct synack_seg_info *g)
{
    struct side *s = ctx;
    struct demo *d = s->d;
    int best = -1;
    if (dir != SYNACK_DIR_IN) return;
    resolve_pending(d);             /* no send is under way while a packet is delivered */
    if ((g->flags & (SYNACK_SYN | SYNACK_ACK)) == (SYNACK_SYN | SYNACK_ACK)) s->got_synack = 1;
    for (int i = d->npkts - 1; i >= 0; i--) {
        const struct pkt *k = &d->pkts[i];
        if (k->proto != 6 || k->arrived >= 0 || k->link_lost || k->from == s->idx || k->sent > now)
            continue;
        if (k->sport != g->sport || k->dport != g->dport || k->seq != g->seq || k->ack != g->ack ||
            k->flags != g->flags || k->len != g->len || k->win != g->window ||
            k->has_ts != g->has_ts || (k->has_ts && k->tsval != g->tsval))
            continue;
        if (k->sent + LINK_DELAY_US == now) { best = i; break; }
        best = i;                   /* keep looking for an older one */
    }
    if (best >= 0) d->pkts[best].arrived = now;
}

static void on_state(void *ctx, synack_time_us now, int conn, int from, int to, const char *event)
{
    struct side *s = ctx;
    struct ev *e = ev_new(s->d, E_STATE, s->idx, now);
    int i;
    e->conn = conn;
    e->from = from;
    e->to = to;
    snprintf(e->text, sizeof e->text, "%s", event ? event : "");
    if (s->nstates++ == 0) s->first_state = from;
    for (i = 0; i < s->nsocks && s->socks[i] != conn; i++) {}
    if (i == s->nsocks && s->nsocks < MAX_SOCKS) s->socks[s->nsocks++] = conn;
}

/* ---- running the world ---- */

static int pending_work(struct demo *d)
{
    if (synack_memlink_next(d->link) != SYNACK_TIME_NEVER) return 1;
    return synack_poll_at(d->sd[CL].st) != SYNACK_TIME_NEVER ||
           synack_poll_at(d->sd[SV].st) != SYNACK_TIME_NEVER;
}

typedef int (*cond_fn)(struct demo *d, void *ctx);

/* Steps the world until cond holds (checked after every event; cond may make socket calls),
 * nothing is left to do, or `budget` of virtual time has passed. cond NULL: until idle. */
static int run(struct demo *d, cond_fn cond, void *ctx, synack_time_us budget)
{
    synack_time_us until = synack_sim_now(d->sim) + budget;
    int ok = 0;
    sync_now(d);
    synack_sim_flush(d->sim);
    for (;;) {
        if (cond) { sync_now(d); if (cond(d, ctx)) { ok = 1; break; } }
        if (!pending_work(d)) break;
        if (!synack_sim_step(d->sim, until)) break;
    }
    resolve_pending(d);
    sync_now(d);
    return ok || !cond;
}

struct wait_ev { int side, fd, mask; };

static int has_events(struct demo *d, void *ctx)
{
    const struct wait_ev *w = ctx;
    int ev = synack_sock_events(d->sd[w->side].st, w->fd);
    return ev >= 0 && (ev & w->mask);
}

static int wait_for(struct demo *d, int side, int fd, int mask)
{
    struct wait_ev w = { side, fd, mask };
    return run(d, has_events, &w, WAIT_US);
}

/* ---- scenario building blocks ---- */

static int do_listen(struct demo *d, uint16_t port)
{
    struct synack_stack *s = d->sd[SV].st;
    int mark = d->nevs, ls = synack_socket(s, SYNACK_SOCK_STREAM);
    if (ls < 0 || synack_bind(s, ls, 0, port) < 0 || synack_listen(s, ls, 8) < 0)
        return fail(d, "the server could not listen on port %u (%s)", port, errname(errno));
    d->sd[SV].listener = ls;
    app_before(d, mark, SV, "listen(port %u)", port);
    return ls;
}

/* connect() from side to addr:port, from local port lport (0: ephemeral). */
static int do_connect(struct demo *d, int side, uint16_t lport, uint32_t addr, uint16_t port)
{
    struct synack_stack *st = d->sd[side].st;
    char ip[16];
    int fd = synack_socket(st, SYNACK_SOCK_STREAM), rc, mark;
    if (fd < 0) return fail(d, "%s: socket() failed (%s)", d->sd[side].name, errname(errno));
    if (lport && synack_bind(st, fd, 0, lport) < 0)
        return fail(d, "%s: bind(port %u) failed (%s)", d->sd[side].name, lport, errname(errno));
    mark = d->nevs;
    rc = synack_connect(st, fd, addr, port);
    if (rc == 0 || errno != EINPROGRESS)
        return fail(d, "%s: connect() returned %d (%s), expected -1 EINPROGRESS", d->sd[side].name,
                    rc, rc ? errname(errno) : "no error");
    synack_ip_str(addr, ip);
    if (lport) app_before(d, mark, side, "bind(port %u); connect(%s:%u) = -1 EINPROGRESS", lport, ip, port);
    else app_before(d, mark, side, "connect(%s:%u) = -1 EINPROGRESS", ip, port);
    return fd;
}

/* Waits for a connect to finish and reads SO_ERROR; returns it (0 = connected), -1 on timeout. */
static int finish_connect(struct demo *d, int side, int fd)
{
    int err = 0;
    if (!wait_for(d, side, fd, SYNACK_EV_OUT | SYNACK_EV_ERR | SYNACK_EV_HUP))
        return fail(d, "%s: connect() did not complete", d->sd[side].name);
    synack_getsockopt(d->sd[side].st, fd, SYNACK_SO_ERROR, &err);
    if (err) app(d, side, "connect failed: SO_ERROR = %s", errname(err));
    else app(d, side, "connected (SO_ERROR = 0)");
    return err;
}

static int do_accept(struct demo *d, int ls)
{
    uint32_t pa = 0;
    uint16_t pp = 0;
    char ip[16];
    int as;
    if (!wait_for(d, SV, ls, SYNACK_EV_IN)) return fail(d, "server: no connection to accept");
    as = synack_accept(d->sd[SV].st, ls, &pa, &pp);
    if (as < 0) return fail(d, "server: accept() failed (%s)", errname(errno));
    app(d, SV, "accept() = socket %d (%s:%u)", as, synack_ip_str(pa, ip), pp);
    return as;
}

static int send_text(struct demo *d, int side, int fd, const char *text)
{
    ssize_t n = synack_send(d->sd[side].st, fd, text, strlen(text));
    if (n != (ssize_t)strlen(text))
        return fail(d, "%s: send(\"%s\") = %zd (%s)", d->sd[side].name, text, n, errname(errno));
    app(d, side, "send(\"%s\") = %zd", text, n);
    return 0;
}

static int recv_text(struct demo *d, int side, int fd, const char *expect)
{
    char buf[64];
    ssize_t n;
    if (!wait_for(d, side, fd, SYNACK_EV_IN)) return fail(d, "%s: nothing to read", d->sd[side].name);
    n = synack_recv(d->sd[side].st, fd, buf, sizeof buf - 1);
    if (n < 0) return fail(d, "%s: recv() failed (%s)", d->sd[side].name, errname(errno));
    buf[n] = 0;
    app(d, side, "recv() = %zd \"%s\"", n, buf);
    if (strcmp(buf, expect)) return fail(d, "%s received \"%s\", expected \"%s\"", d->sd[side].name, buf, expect);
    return 0;
}

/* Waits for the peer's FIN: recv() returns 0. */
static int recv_eof(struct demo *d, int side, int fd)
{
    char buf[16];
    ssize_t n;
    if (!wait_for(d, side, fd, SYNACK_EV_RDHUP | SYNACK_EV_HUP))
        return fail(d, "%s: the peer's FIN never came", d->sd[side].name);
    n = synack_recv(d->sd[side].st, fd, buf, sizeof buf);
    app(d, side, "recv() = %zd (end of stream)", n);
    if (n != 0) return fail(d, "%s: recv() at the end of the stream returned %zd", d->sd[side].name, n);
    return 0;
}

static int do_close(struct demo *d, int side, int fd)
{
    int mark = d->nevs;
    if (synack_close(d->sd[side].st, fd) < 0)
        return fail(d, "%s: close() failed (%s)", d->sd[side].name, errname(errno));
    app_before(d, mark, side, "close()");
    return 0;
}

#define TRY(x) do { if ((x) < 0) return -1; } while (0)

/* ---- scenarios ---- */

static int sc_handshake(struct demo *d)
{
    int ls, cs, as;
    TRY(ls = do_listen(d, SERVER_PORT));
    TRY(cs = do_connect(d, CL, 0, SERVER_ADDR, SERVER_PORT));
    if (finish_connect(d, CL, cs) != 0) return fail(d, "the client's connect() failed");
    TRY(send_text(d, CL, cs, "hello"));
    TRY(as = do_accept(d, ls));
    TRY(recv_text(d, SV, as, "hello"));
    TRY(send_text(d, SV, as, "world"));
    TRY(recv_text(d, CL, cs, "world"));
    TRY(do_close(d, CL, cs));
    TRY(recv_eof(d, SV, as));
    TRY(do_close(d, SV, as));
    run(d, NULL, NULL, WAIT_US);
    return 0;
}

static int sc_refused(struct demo *d)
{
    int cs, err;
    TRY(cs = do_connect(d, CL, 0, SERVER_ADDR, SERVER_PORT));
    err = finish_connect(d, CL, cs);
    if (err < 0) return -1;
    TRY(do_close(d, CL, cs));
    run(d, NULL, NULL, WAIT_US);
    if (err != ECONNREFUSED)
        return fail(d, "connect() ended with SO_ERROR = %s, expected ECONNREFUSED", errname(err));
    if (counter(d, SV, SYNACK_C_tcp_rst_sent) < 1) return fail(d, "the server sent no RST");
    note(d, "server: no socket on port %u, so the SYN got a RST (tcp_rst_sent = %" PRIu64 ");"
         " client: connect() failed with ECONNREFUSED", SERVER_PORT, counter(d, SV, SYNACK_C_tcp_rst_sent));
    return 0;
}

static int both_out(struct demo *d, void *ctx)
{
    const int *fds = ctx;
    return (synack_sock_events(d->sd[CL].st, fds[0]) & (SYNACK_EV_OUT | SYNACK_EV_ERR)) &&
           (synack_sock_events(d->sd[SV].st, fds[1]) & (SYNACK_EV_OUT | SYNACK_EV_ERR));
}

static int sc_simopen(struct demo *d)
{
    int fds[2], e0 = 0, e1 = 0;
    /* Both connect in the same instant, before either SYN is sent: the SYNs cross. */
    TRY(fds[0] = do_connect(d, CL, 4001, SERVER_ADDR, 4002));
    TRY(fds[1] = do_connect(d, SV, 4002, CLIENT_ADDR, 4001));
    if (!run(d, both_out, fds, WAIT_US)) return fail(d, "the simultaneous open did not complete");
    synack_getsockopt(d->sd[CL].st, fds[0], SYNACK_SO_ERROR, &e0);
    synack_getsockopt(d->sd[SV].st, fds[1], SYNACK_SO_ERROR, &e1);
    app(d, CL, "connected (SO_ERROR = %s)", errname(e0));
    app(d, SV, "connected (SO_ERROR = %s)", errname(e1));
    if (e0 || e1) return fail(d, "connect() failed: client %s, server %s", errname(e0), errname(e1));
    TRY(do_close(d, CL, fds[0]));
    TRY(recv_eof(d, SV, fds[1]));
    TRY(do_close(d, SV, fds[1]));
    run(d, NULL, NULL, WAIT_US);
    return 0;
}

static int sc_simclose(struct demo *d)
{
    int ls, cs, as;
    TRY(ls = do_listen(d, SERVER_PORT));
    TRY(cs = do_connect(d, CL, 0, SERVER_ADDR, SERVER_PORT));
    if (finish_connect(d, CL, cs) != 0) return fail(d, "the client's connect() failed");
    TRY(as = do_accept(d, ls));
    /* Both close in the same instant: the FINs cross. */
    TRY(do_close(d, CL, cs));
    TRY(do_close(d, SV, as));
    run(d, NULL, NULL, WAIT_US);
    return 0;
}

struct lossy {
    int cs, ls, as;
    int connected, closed_c, eof, closed_s;
    size_t sent, rcvd;
    int corrupt;
    uint8_t *data;
};

/* The applications of the lossy transfer, run after every event. */
static int lossy_pump(struct demo *d, void *ctx)
{
    struct lossy *x = ctx;
    struct synack_stack *c = d->sd[CL].st, *s = d->sd[SV].st;
    uint8_t buf[16384];
    int unsent = 0;
    if (!x->connected && (synack_sock_events(c, x->cs) & (SYNACK_EV_OUT | SYNACK_EV_ERR))) {
        int err = 0;
        synack_getsockopt(c, x->cs, SYNACK_SO_ERROR, &err);
        app(d, CL, "connected (SO_ERROR = %s)", errname(err));
        if (err) return fail(d, "the client's connect() failed (%s)", errname(err)), 1;
        x->connected = 1;
    }
    if (x->connected && x->sent < LOSSY_BYTES) {
        ssize_t n = synack_send(c, x->cs, x->data + x->sent, LOSSY_BYTES - x->sent);
        if (n > 0) {
            if (x->sent == 0) app(d, CL, "send(%d bytes) = %zd", LOSSY_BYTES, n);
            x->sent += (size_t)n;
        } else if (errno != EAGAIN) {
            return fail(d, "client: send() failed (%s)", errname(errno)), 1;
        }
    }
    /* Close once everything is acknowledged, so that the FIN stands on its own. */
    if (x->connected && !x->closed_c && x->sent == LOSSY_BYTES &&
        synack_getsockopt(c, x->cs, SYNACK_SO_UNSENT, &unsent) == 0 && unsent == 0) {
        if (do_close(d, CL, x->cs) < 0) return 1;
        x->closed_c = 1;
    }
    if (x->as < 0 && (synack_sock_events(s, x->ls) & SYNACK_EV_IN)) {
        x->as = synack_accept(s, x->ls, NULL, NULL);
        if (x->as < 0) return fail(d, "server: accept() failed (%s)", errname(errno)), 1;
        app(d, SV, "accept() = socket %d", x->as);
    }
    while (x->as >= 0 && !x->eof) {
        ssize_t n = synack_recv(s, x->as, buf, sizeof buf);
        if (n < 0) {
            if (errno == EAGAIN) break;
            return fail(d, "server: recv() failed (%s)", errname(errno)), 1;
        }
        if (n == 0) {
            x->eof = 1;
            app(d, SV, "recv() = 0: end of stream after %zu bytes%s", x->rcvd,
                x->corrupt ? " (CORRUPT)" : ", all intact");
            if (do_close(d, SV, x->as) < 0) return 1;
            x->closed_s = 1;
            break;
        }
        if (x->rcvd + (size_t)n > LOSSY_BYTES || memcmp(buf, x->data + x->rcvd, (size_t)n)) x->corrupt = 1;
        if (x->rcvd == 0) app(d, SV, "recv() = %zd (the first bytes)", n);
        x->rcvd += (size_t)n;
    }
    return x->closed_s;
}

static int sc_lossy(struct demo *d)
{
    struct lossy x;
    uint64_t r = d->seed ^ 0x6c6f737379ull;
    memset(&x, 0, sizeof x);
    x.as = -1;
    x.data = malloc(LOSSY_BYTES);
    if (!x.data) return fail(d, "out of memory");
    for (size_t i = 0; i < LOSSY_BYTES; i += 8) {
        uint64_t v = splitmix(&r);
        memcpy(x.data + i, &v, 8);
    }
    if ((x.ls = do_listen(d, SERVER_PORT)) < 0 || (x.cs = do_connect(d, CL, 0, SERVER_ADDR, SERVER_PORT)) < 0) {
        free(x.data);
        return -1;
    }
    if (!run(d, lossy_pump, &x, 6 * WAIT_US) && !d->failed)
        fail(d, "the transfer did not finish (sent %zu, received %zu bytes)", x.sent, x.rcvd);
    free(x.data);
    if (d->failed) return -1;
    run(d, NULL, NULL, WAIT_US);
    if (x.rcvd != LOSSY_BYTES || x.corrupt)
        return fail(d, "the server received %zu bytes%s, expected %d intact", x.rcvd,
                    x.corrupt ? " with corruption" : "", LOSSY_BYTES);
    {
        struct synack_memlink_stats ls;
        synack_memlink_stats(d->link, &ls);
        note(d, "link: %" PRIu64 " packets sent, %" PRIu64 " lost; client counters: retransmission timeouts %" PRIu64
             ", fast retransmits %" PRIu64 "; server received %d bytes intact",
             ls.sent, ls.lost, counter(d, CL, SYNACK_C_tcp_rexmit_timeouts),
             counter(d, CL, SYNACK_C_tcp_fast_rexmit), LOSSY_BYTES);
    }
    return 0;
}

static int sc_udp_refused(struct demo *d)
{
    struct synack_stack *c = d->sd[CL].st;
    char buf[16];
    int us = synack_socket(c, SYNACK_SOCK_DGRAM);
    ssize_t n;
    if (us < 0) return fail(d, "client: socket(UDP) failed (%s)", errname(errno));
    n = synack_sendto(c, us, "ping", 4, SERVER_ADDR, 9);
    if (n != 4) return fail(d, "client: sendto() = %zd (%s)", n, errname(errno));
    app(d, CL, "sendto(10.77.0.2:9, \"ping\") = 4");
    run(d, NULL, NULL, WAIT_US);
    n = synack_recvfrom(c, us, buf, sizeof buf, NULL, NULL);
    app(d, CL, "recvfrom() = %zd %s", n, n < 0 ? errname(errno) : "");
    synack_close(c, us);
    if (counter(d, SV, SYNACK_C_icmp_unreach_sent) != 1)
        return fail(d, "the server sent %" PRIu64 " ICMP port unreachable, expected 1",
                    counter(d, SV, SYNACK_C_icmp_unreach_sent));
    if (counter(d, CL, SYNACK_C_icmp_unreach_in) != 1)
        return fail(d, "the client received %" PRIu64 " ICMP destination unreachable, expected 1",
                    counter(d, CL, SYNACK_C_icmp_unreach_in));
    note(d, "server: no UDP socket on port 9, so it answered with ICMP port unreachable"
         " (icmp_unreach_sent = 1); client: icmp_unreach_in = 1, and the unconnected UDP socket"
         " is not told (as on Linux)");
    return 0;
}

static const struct scenario scenarios[] = {
    {"handshake", "three-way handshake, a request and a response, close by the client",
     sc_handshake, 0.0,
     "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED",
     "CLOSED LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED"},
    {"refused", "SYN to a port with no listener: RST, connect() fails with ECONNREFUSED",
     sc_refused, 0.0, "CLOSED SYN_SENT CLOSED", ""},
    {"simopen", "simultaneous open: both sides connect to each other at once, then close",
     sc_simopen, 0.0,
     "CLOSED SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED",
     "CLOSED SYN_SENT SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED"},
    {"simclose", "simultaneous close: both sides close at once after the handshake",
     sc_simclose, 0.0,
     "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED",
     "CLOSED LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED"},
    {"lossy", "64 KiB from client to server over a link that loses 10% of packets",
     sc_lossy, 0.10,
     "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED",
     "CLOSED LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED"},
    {"udp-refused", "UDP datagram to a closed port: ICMP port unreachable",
     sc_udp_refused, 0.0, "", ""},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

/* ---- drawing ---- */

#define TIME_W 10                   /* "   123.456" */
#define LIFE_L 26                   /* the client's lifeline */
#define ARROW_W 68                  /* between the lifelines */
#define LIFE_R (LIFE_L + 1 + ARROW_W)
#define CANVAS_W 260
#define RUN_HEAD 1                  /* ordinary segments kept at each end of a long run */
#define RUN_TAIL 1
#define RUN_MIN_HIDDEN 2            /* summarise only when it hides at least this many */

struct glyphs { const char *life, *dash, *right, *left, *lost, *gap, *to; };
static const struct glyphs ascii_g = { "|", "-", ">", "<", "X", ":", " -> " };
static const struct glyphs utf8_g = { "\xe2\x94\x82", "\xe2\x94\x80", "\xe2\x96\xb6", "\xe2\x97\x80",
                                      "\xe2\x9c\x95", "\xe2\x94\x86", " \xe2\x86\x92 " };

struct canvas {
    const char *cell[CANVAS_W];
    char ch[CANVAS_W][2];
};

static void cv_init(struct canvas *c)
{
    for (int i = 0; i < CANVAS_W; i++) { c->ch[i][0] = ' '; c->ch[i][1] = 0; c->cell[i] = c->ch[i]; }
}

static void cv_glyph(struct canvas *c, int col, const char *g)
{
    if (col >= 0 && col < CANVAS_W) c->cell[col] = g;
}

static void cv_text(struct canvas *c, int col, const char *s)
{
    for (; *s; s++, col++)
        if (col >= 0 && col < CANVAS_W) { c->ch[col][0] = *s; c->cell[col] = c->ch[col]; }
}

static void cv_print(const struct canvas *c)
{
    int w = CANVAS_W;
    while (w > 0 && c->cell[w - 1] == c->ch[w - 1] && c->ch[w - 1][0] == ' ') w--;
    for (int i = 0; i < w; i++) fputs(c->cell[i], stdout);
    fputc('\n', stdout);
}

static void fmt_ms(char *buf, size_t n, synack_time_us t)
{
    snprintf(buf, n, "%lld.%03lld", (long long)(t / 1000), (long long)(t % 1000));
}

/* A line with the time (t < 0: none) and both lifelines. */
static void cv_line(struct canvas *c, const struct glyphs *g, synack_time_us t)
{
    char tb[32];
    cv_init(c);
    if (t >= 0) {
        char pad[40];
        fmt_ms(tb, sizeof tb, t);
        snprintf(pad, sizeof pad, "%*s", TIME_W, tb);
        cv_text(c, 0, pad);
    }
    cv_glyph(c, LIFE_L, g->life);
    cv_glyph(c, LIFE_R, g->life);
}

/* "client_isn+5" (or the bare number when the ISN is not known). */
static void rel(char *buf, size_t n, const struct side *s, uint32_t v)
{
    if (!s->has_isn) snprintf(buf, n, "%" PRIu32, v);
    else if (v == s->isn) snprintf(buf, n, "%s_isn", s->name);
    else snprintf(buf, n, "%s_isn+%" PRIu32, s->name, v - s->isn);
}

static void label(const struct demo *d, const struct pkt *k, char *out, size_t n)
{
    const struct side *me = &d->sd[k->from], *peer = &d->sd[!k->from];
    char a[48], b[48];
    size_t o = 0;
#define PUT(...) do { if (o < n) o += (size_t)snprintf(out + o, n - o, __VA_ARGS__); } while (0)
    out[0] = 0;
    if (k->proto == 17) {
        PUT("UDP, sport=%u, dport=%u, %" PRIu32 " bytes", k->sport, k->dport, k->len);
        if (k->preview[0]) PUT(" \"%s\"", k->preview);
        return;
    }
    if (k->proto == 1) {
        PUT("ICMP type=%u, code=%u", k->icmp_type, k->icmp_code);
        if (k->icmp_type == 3 && k->icmp_code == 3) PUT(" (port unreachable)");
        if (k->inner_proto == 17) PUT(", about UDP to port %u", k->inner_dport);
        else if (k->inner_proto == 6) PUT(", about TCP to port %u", k->inner_dport);
        return;
    }
    if (k->flags & SYNACK_SYN) {
        PUT("SYN=1");
        if (k->flags & SYNACK_ACK) PUT(", ACK=1");
        PUT(", seq=%s_isn (=%" PRIu32 ")", me->name, k->seq);
        if (k->seq != me->isn) PUT(" [ISN changed]");
        if (k->flags & SYNACK_ACK) { rel(b, sizeof b, peer, k->ack); PUT(", ack=%s", b); }
        return;
    }
    if (k->flags & SYNACK_RST) {
        PUT("RST=1");
        if (k->flags & SYNACK_ACK) PUT(", ACK=1");
        if (k->seq == 0 || !me->has_isn) PUT(", seq=%" PRIu32, k->seq);
        else { rel(a, sizeof a, me, k->seq); PUT(", seq=%s", a); }
        if (k->flags & SYNACK_ACK) { rel(b, sizeof b, peer, k->ack); PUT(", ack=%s", b); }
        return;
    }
    if (k->syn0) PUT("SYN=0, ");
    else if (k->flags & SYNACK_FIN) PUT("FIN=1, ");
    else if (k->len == 0) PUT("ACK=1, ");
    rel(a, sizeof a, me, k->seq);
    PUT("seq=%s", a);
    if (k->flags & SYNACK_ACK) { rel(b, sizeof b, peer, k->ack); PUT(", ack=%s", b); }
    if (k->len) {
        PUT(", %" PRIu32 " byte%s", k->len, k->len == 1 ? "" : "s");
        if (k->preview[0]) PUT(" \"%s\"", k->preview);
    }
#undef PUT
}

static int pkt_delivered(const struct pkt *k)
{
    return k->proto == 6 ? k->arrived >= 0 : !k->link_lost;
}

/* Notes to the right of the server's lifeline. */
static void pkt_notes(const struct pkt *k, char *out, size_t n)
{
    size_t o = 0;
#define ADD(...) do { if (o < n) o += (size_t)snprintf(out + o, n - o, "%s", o ? "; " : ""); \
                      if (o < n) o += (size_t)snprintf(out + o, n - o, __VA_ARGS__); } while (0)
    out[0] = 0;
    if (!pkt_delivered(k)) {
        if (k->proto == 6 && !k->link_lost) ADD("LOST (sent by the link but never seen by TCP)");
        else ADD("LOST");
    }
    if (k->rexmit == REX_RTO) ADD("retransmission (timeout)");
    else if (k->rexmit == REX_FAST) ADD("retransmission (fast retransmit)");
    else if (k->rexmit == REX_PLAIN) ADD("retransmission");
    if (k->dupack) ADD("dup ACK");
    if (k->refused && k->proto == 6) ADD("no socket on port %u", k->sport);
    if (k->refused && k->proto == 1) ADD("port %u closed", k->inner_dport);
    if ((k->flags & SYNACK_SYN) && k->proto == 6 && !k->rexmit) {
        char opt[80];
        size_t p = 0;
        opt[0] = 0;
        if (k->has_mss) p += (size_t)snprintf(opt + p, sizeof opt - p, " mss=%u", k->mss);
        if (k->has_ws && p < sizeof opt) p += (size_t)snprintf(opt + p, sizeof opt - p, " wscale=%u", k->ws);
        if (k->sack_ok && p < sizeof opt) p += (size_t)snprintf(opt + p, sizeof opt - p, " sackOK");
        if (k->has_ts && p < sizeof opt) p += (size_t)snprintf(opt + p, sizeof opt - p, " TS");
        if (opt[0]) ADD("options:%s", opt);
    }
#undef ADD
}

static void draw_pkt(const struct demo *d, const struct glyphs *g, const struct pkt *k)
{
    struct canvas c;
    char lab[160], notes[200];
    int lost = !pkt_delivered(k), i;
    label(d, k, lab, sizeof lab);
    pkt_notes(k, notes, sizeof notes);
    cv_line(&c, g, k->sent);
    if (k->from == CL) {            /* "--- label ------->" or "--- label -----X  " */
        int end = lost ? ARROW_W - 3 : ARROW_W - 1;
        for (i = 0; i < end; i++) cv_glyph(&c, LIFE_L + 1 + i, g->dash);
        cv_glyph(&c, LIFE_L + 1 + end, lost ? g->lost : g->right);
        cv_text(&c, LIFE_L + 1 + 3, " ");
        cv_text(&c, LIFE_L + 1 + 4, lab);
        cv_text(&c, LIFE_L + 1 + 4 + (int)strlen(lab), " ");
    } else {                        /* "<---- label -----" or "  X-- label -----" */
        int start = lost ? 2 : 0;
        cv_glyph(&c, LIFE_L + 1 + start, lost ? g->lost : g->left);
        for (i = start + 1; i < ARROW_W; i++) cv_glyph(&c, LIFE_L + 1 + i, g->dash);
        cv_text(&c, LIFE_L + 1 + 5, " ");
        cv_text(&c, LIFE_L + 1 + 6, lab);
        cv_text(&c, LIFE_L + 1 + 6 + (int)strlen(lab), " ");
    }
    if (notes[0]) cv_text(&c, LIFE_R + 3, notes);
    cv_print(&c);
}

static const char *role(const struct demo *d, int side, int conn)
{
    const struct side *s = &d->sd[side];
    if (conn < 0) return "half-open connection";
    if (conn == s->listener) return "listener";
    if (s->listener >= 0) return "accepted connection";
    return s->nsocks > 1 ? "connection" : NULL;
}

static void draw_state(const struct demo *d, const struct glyphs *g, const struct ev *e)
{
    struct canvas c;
    char st[40], why[256];
    const char *r = role(d, e->side, e->conn);
    snprintf(st, sizeof st, "[%s]", synack_state_name(e->to));
    if (e->from == SYNACK_TIME_WAIT && e->to == SYNACK_CLOSED)
        snprintf(why, sizeof why, "(%s: 2*MSL = %lld s after TIME_WAIT began)", e->text,
                 (long long)(2 * d->msl_us / 1000000));
    else
        snprintf(why, sizeof why, "(%s)", e->text);
    cv_line(&c, g, e->t);
    if (e->side == CL) {
        cv_text(&c, LIFE_L - 1 - (int)strlen(st), st);
        cv_text(&c, LIFE_L + 3, why);
    } else {
        cv_text(&c, LIFE_R + 2, st);
        if (r) { cv_text(&c, LIFE_R + 2 + (int)strlen(st) + 1, r); }
        cv_text(&c, LIFE_R - 2 - (int)strlen(why), why);
    }
    cv_print(&c);
}

static void draw_initial(const struct demo *d, const struct glyphs *g)
{
    struct canvas c;
    int any = 0;
    char st[40];
    cv_line(&c, g, 0);
    for (int s = 0; s < 2; s++) {
        if (!d->sd[s].nstates) continue;
        any = 1;
        snprintf(st, sizeof st, "[%s]", synack_state_name(d->sd[s].first_state));
        if (s == CL) cv_text(&c, LIFE_L - 1 - (int)strlen(st), st);
        else cv_text(&c, LIFE_R + 2, st);
    }
    if (any) cv_print(&c);
}

static void draw_app(const struct glyphs *g, const struct ev *e)
{
    struct canvas c;
    cv_line(&c, g, e->t);
    if (e->side == CL) cv_text(&c, LIFE_L + 3, e->text);
    else cv_text(&c, LIFE_R - 2 - (int)strlen(e->text), e->text);
    cv_print(&c);
}

static void draw_text_line(const struct glyphs *g, synack_time_us t, const char *life, const char *text)
{
    struct canvas c;
    cv_line(&c, g, t);
    cv_glyph(&c, LIFE_L, life);
    cv_glyph(&c, LIFE_R, life);
    cv_text(&c, LIFE_L + 6, text);
    cv_print(&c);
}

/* An ordinary segment: delivered, first transmission, no SYN/FIN/RST, not a dup ACK. Long runs
 * of them are summarised (unless --full); losses, retransmissions, dup ACKs and control segments
 * are always drawn. */
static int ordinary(const struct demo *d, const struct ev *e)
{
    const struct pkt *k;
    if (e->kind != E_PKT) return 0;
    k = &d->pkts[e->pkt];
    return k->proto == 6 && pkt_delivered(k) && !k->rexmit && !k->dupack &&
           !(k->flags & (SYNACK_SYN | SYNACK_FIN | SYNACK_RST));
}

static void draw_summary(const struct demo *d, const struct glyphs *g, int from, int to)
{
    unsigned data[2] = {0, 0}, acks[2] = {0, 0};
    uint64_t bytes[2] = {0, 0};
    char text[200];
    size_t o;
    for (int i = from; i < to; i++) {
        const struct pkt *k = &d->pkts[d->evs[i].pkt];
        if (k->len) { data[k->from]++; bytes[k->from] += k->len; }
        else acks[k->from]++;
    }
    o = (size_t)snprintf(text, sizeof text, "... %d more segments:", to - from);
    for (int s = 0; s < 2; s++) {
        const char *dir = s == CL ? "->" : "<-";
        if (data[s] && o < sizeof text)
            o += (size_t)snprintf(text + o, sizeof text - o, "%s %u data %s (%" PRIu64 " bytes)",
                                  o > 24 ? "," : "", data[s], dir, bytes[s]);
        if (acks[s] && o < sizeof text)
            o += (size_t)snprintf(text + o, sizeof text - o, "%s %u ACK%s %s", o > 24 ? "," : "",
                                  acks[s], acks[s] == 1 ? "" : "s", dir);
    }
    if (o < sizeof text) snprintf(text + o, sizeof text - o, " ...");
    draw_text_line(g, d->evs[from].t, g->life, text);
}

static void draw_gap(const struct glyphs *g, synack_time_us dt)
{
    char text[120];
    snprintf(text, sizeof text, "~ %lld.%03lld s later (virtual time: nothing happens in between) ~",
             (long long)(dt / 1000000), (long long)(dt / 1000 % 1000));
    draw_text_line(g, -1, g->gap, text);
}

/* The states one side went through, all its sockets merged in time order; conn = INT32_MIN:
 * all, otherwise one socket's. Space-separated into buf. */
static void state_seq(const struct demo *d, int side, int conn, char *buf, size_t n, const char *sep)
{
    size_t o = 0;
    int first = 1, last = -1;
    buf[0] = 0;
    for (int i = 0; i < d->nevs && o < n; i++) {
        const struct ev *e = &d->evs[i];
        if (e->kind != E_STATE || e->side != side || (conn != INT32_MIN && e->conn != conn)) continue;
        if (first) { o += (size_t)snprintf(buf + o, n - o, "%s", synack_state_name(e->from)); first = 0; }
        /* Merged: a half-open entry handing over to its socket ends ("promoted"), and the
         * socket repeats SYN_RCVD; neither is a step of the server's one connection. */
        if (conn == INT32_MIN && (e->to == last || (e->conn < 0 && e->to == SYNACK_CLOSED &&
                                                   !strncmp(e->text, "promoted", 8))))
            continue;
        if (o < n) o += (size_t)snprintf(buf + o, n - o, "%s%s", sep, synack_state_name(e->to));
        last = e->to;
    }
}

static void draw(struct demo *d, const struct glyphs *g)
{
    const struct side *c = &d->sd[CL], *s = &d->sd[SV];
    char hdr[80], tb[32];
    struct canvas cv;
    synack_time_us last = 0;
    uint16_t cport = 0, sport = 0;
    int lost = 0, rexmit = 0;

    for (int i = 0; i < d->npkts; i++) {
        const struct pkt *k = &d->pkts[i];
        if (!pkt_delivered(k)) lost++;
        if (k->rexmit) rexmit++;
        if (!cport && k->from == CL) { cport = k->sport; sport = k->dport; }
        if (!cport && k->from == SV) { cport = k->dport; sport = k->sport; }
    }
    printf("synack demo: %s: %s\n", d->sc->name, d->sc->desc);
    printf("seed %" PRIu64 "; link: %d ms one-way delay, %g%% loss", d->seed, LINK_DELAY_US / 1000, d->loss * 100);
    if (c->has_isn) printf("; client_isn = %" PRIu32, c->isn);
    if (s->has_isn) printf("; server_isn = %" PRIu32, s->isn);
    printf("\narrows are drawn when a packet is sent; [STATE] is a state change where it happens\n\n");

    cv_init(&cv);
    {
        char ip[16];
        snprintf(hdr, sizeof hdr, "client %s:%u", synack_ip_str(CLIENT_ADDR, ip), cport);
        cv_text(&cv, LIFE_L - (int)strlen(hdr) / 2, hdr);
        snprintf(hdr, sizeof hdr, "server %s:%u", synack_ip_str(SERVER_ADDR, ip), sport);
        cv_text(&cv, LIFE_R - (int)strlen(hdr) / 2, hdr);
    }
    cv_print(&cv);
    cv_line(&cv, g, -1);
    cv_text(&cv, 2, "t (ms)");
    cv_print(&cv);
    draw_initial(d, g);

    for (int i = 0; i < d->nevs; i++) {
        const struct ev *e = &d->evs[i];
        int j = i;
        if (e->t - last >= 1000000) draw_gap(g, e->t - last);
        if (!d->full && ordinary(d, e)) {
            while (j < d->nevs && ordinary(d, &d->evs[j])) j++;
            if (j - i >= RUN_HEAD + RUN_TAIL + RUN_MIN_HIDDEN) {
                for (int k = i; k < i + RUN_HEAD; k++) draw_pkt(d, g, &d->pkts[d->evs[k].pkt]);
                draw_summary(d, g, i + RUN_HEAD, j - RUN_TAIL);
                for (int k = j - RUN_TAIL; k < j; k++) draw_pkt(d, g, &d->pkts[d->evs[k].pkt]);
                last = d->evs[j - 1].t;
                i = j - 1;
                continue;
            }
        }
        switch (e->kind) {
        case E_PKT: draw_pkt(d, g, &d->pkts[e->pkt]); break;
        case E_STATE: draw_state(d, g, e); break;
        default: draw_app(g, e); break;
        }
        last = e->t;
    }

    printf("\nstate sequences:\n");
    for (int sd = 0; sd < 2; sd++) {
        const struct side *x = &d->sd[sd];
        char seq[512];
        state_seq(d, sd, INT32_MIN, seq, sizeof seq, g->to);
        printf("  %s: %s\n", x->name, x->nstates ? seq : "(no TCP socket changed state)");
        if (x->nsocks > 1)
            for (int k = 0; k < x->nsocks; k++) {
                const char *r = role(d, sd, x->socks[k]);
                state_seq(d, sd, x->socks[k], seq, sizeof seq, g->to);
                if (x->socks[k] >= 0) printf("    %s (socket %d): %s\n", r ? r : "socket", x->socks[k], seq);
                else printf("    %s (no socket yet): %s\n", r ? r : "socket", seq);
            }
    }
    fmt_ms(tb, sizeof tb, synack_sim_now(d->sim));
    printf("packets: %d sent, %d lost, %d retransmitted; virtual time at the end: %s ms\n",
           d->npkts, lost, rexmit, tb);
    for (int i = 0; i < d->nnotes; i++) printf("%s\n", d->notes[i]);
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack demo [--scenario NAME] [--seed N] [--loss P] [--unicode] [--full] [--list]\n"
            "  Runs a client stack (10.77.0.1) and a server stack (10.77.0.2) in virtual time and\n"
            "  draws their exchange as a time-sequence diagram.\n"
            "  --scenario NAME  what to run (default handshake; --list shows them)\n"
            "  --seed N         seeds the link and the stacks' secrets (ISNs); default 1\n"
            "  --loss P         link loss probability, 0..1 (default: the scenario's)\n"
            "  --unicode        draw with Unicode box and arrow characters (default ASCII)\n"
            "  --full           draw every packet (long runs of ordinary segments are summarised)\n");
}

static int check_states(struct demo *d)
{
    char got[512];
    const char *exp[2] = { d->sc->exp_client, d->sc->exp_server };
    for (int s = 0; s < 2; s++) {
        state_seq(d, s, INT32_MIN, got, sizeof got, " ");
        if (strcmp(got, exp[s]))
            return fail(d, "%s states were \"%s\", expected \"%s\"", d->sd[s].name,
                        got[0] ? got : "(none)", exp[s][0] ? exp[s] : "(none)");
    }
    return 0;
}

static int make_stack(struct demo *d, int side, uint32_t addr)
{
    struct synack_config cfg;
    struct side *s = &d->sd[side];
    uint64_t x = d->seed ^ (side == CL ? 0xc11e47ull : 0x5e7e7ull) << 20;
    s->d = d;
    s->idx = side;
    s->name = side == CL ? "client" : "server";
    s->addr = addr;
    s->listener = -1;
    synack_config_default(&cfg);
    cfg.addr = addr;
    d->msl_us = cfg.msl_us;
    for (int i = 0; i < 16; i += 8) {
        uint64_t v = splitmix(&x);
        for (int b = 0; b < 8; b++) cfg.secret[i + b] = (uint8_t)(v >> (8 * b));
    }
    cfg.hooks.ctx = s;
    cfg.hooks.on_state = on_state;
    cfg.hooks.on_segment = on_segment;
    if (synack_stack_new(&cfg, &s->st) < 0) return -1;
    return synack_sim_add(d->sim, s->st);
}

int tool_demo(int argc, char **argv)
{
    const char *name = "handshake";
    struct demo d;
    struct synack_memlink_config lc;
    double loss = -1;
    int rc;
    memset(&d, 0, sizeof d);
    d.seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--list")) {
            for (const struct scenario *s = scenarios; s->name; s++) printf("%-12s %s\n", s->name, s->desc);
            return 0;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--unicode")) {
            d.unicode = 1;
        } else if (!strcmp(a, "--ascii")) {
            d.unicode = 0;
        } else if (!strcmp(a, "--full")) {
            d.full = 1;
        } else if ((!strcmp(a, "--scenario") || !strcmp(a, "--seed") || !strcmp(a, "--loss")) && i + 1 < argc) {
            const char *v = argv[++i];
            char *end = NULL;
            if (!strcmp(a, "--scenario")) {
                name = v;
            } else if (!strcmp(a, "--seed")) {
                errno = 0;
                d.seed = strtoull(v, &end, 0);
                if (errno || !*v || *end || *v == '-') { fprintf(stderr, "demo: bad --seed '%s'\n", v); return 2; }
            } else {
                loss = strtod(v, &end);
                if (!*v || *end || !(loss >= 0 && loss < 1)) { fprintf(stderr, "demo: bad --loss '%s' (0 <= P < 1)\n", v); return 2; }
            }
        } else {
            fprintf(stderr, "demo: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    for (const struct scenario *s = scenarios; s->name; s++)
        if (!strcmp(s->name, name)) d.sc = s;
    if (!d.sc) {
        fprintf(stderr, "demo: unknown scenario '%s' (see --list)\n", name);
        return 2;
    }
    d.loss = loss >= 0 ? loss : d.sc->loss;
    d.pending = -1;
    synack_memlink_config_default(&lc);
    lc.seed = d.seed;
    lc.loss = d.loss;
    lc.delay_us = LINK_DELAY_US;
    d.sim = synack_sim_new(&lc, 0);
    if (!d.sim) { fprintf(stderr, "demo: cannot create the world\n"); return 1; }
    d.link = synack_sim_link(d.sim);
    synack_memlink_set_tap(d.link, on_tap, &d);
    if (make_stack(&d, CL, CLIENT_ADDR) < 0 || make_stack(&d, SV, SERVER_ADDR) < 0) {
        fprintf(stderr, "demo: cannot create the stacks\n");
        return 1;
    }

    rc = d.sc->run(&d);
    resolve_pending(&d);
    if (rc == 0) check_states(&d);
    if (d.failed) {
        struct synack_memlink_stats ls;
        synack_memlink_stats(d.link, &ls);
        if (ls.lost && d.sc->loss == 0) {
            size_t o = strlen(d.fail_msg);
            snprintf(d.fail_msg + o, sizeof d.fail_msg - o, " (the link lost %" PRIu64 " packet%s:"
                     " with loss, another path can be right)", ls.lost, ls.lost == 1 ? "" : "s");
        }
    }
    draw(&d, d.unicode ? &utf8_g : &ascii_g);
    {
        /* Every packet the link lost must be drawn lost, and only those. */
        struct synack_memlink_stats ls;
        int drawn = 0;
        synack_memlink_stats(d.link, &ls);
        for (int i = 0; i < d.npkts; i++) drawn += !pkt_delivered(&d.pkts[i]);
        if ((uint64_t)drawn != ls.lost)
            printf("note: %d packets drawn lost, but the link lost %" PRIu64 "\n", drawn, ls.lost);
    }
    if (d.failed) {
        printf("result: UNEXPECTED: %s\n", d.fail_msg);
        fprintf(stderr, "demo: scenario %s did not go as expected: %s\n", d.sc->name, d.fail_msg);
    } else {
        printf("result: ok, the scenario went as expected\n");
    }
    synack_memlink_set_tap(d.link, NULL, NULL);
    synack_sim_free(d.sim);
    synack_stack_free(d.sd[CL].st);
    synack_stack_free(d.sd[SV].st);
    free(d.pkts);
    free(d.evs);
    return d.failed ? 1 : 0;
}
