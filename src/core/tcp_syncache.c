/* The half-open side of a listener: a compact syncache and SYN cookies.
 *
 * A SYN to a listener does not create a connection. It creates, at most, a 64-byte syncache
 * entry (FreeBSD's design: sys/netinet/tcp_syncache.c) holding what the SYN-ACK and the later
 * connection need; the full connection (TCB + buffers) is created only when the final ACK
 * arrives. When the cache, its hash bucket or the listener's share of it is full, the SYN-ACK
 * carries a SYN cookie instead and nothing is kept at all (RFC 4987 §3.6; D. J. Bernstein).
 *
 * ==== SYN cookie design ====
 *
 * The server's ISN is the cookie:
 *
 *    31                                          4   3   2       0
 *   +---------------------------------------------+---+---------+
 *   |        MAC: 28 bits of SipHash-2-4          | P | MSS idx |
 *   +---------------------------------------------+---+---------+
 *
 *   MAC = SipHash-2-4(K_c; laddr, raddr, lport, rport, client ISN, c, MSS idx) >> 36
 *   c   = floor(now / 16 s), the cookie period counter;   P = c mod 2
 *   K_c = a 128-bit key derived from the stack's 128-bit secret and c with SipHash as a PRF:
 *         the key is rotated every period, and only K_c and K_{c-1} are accepted, so a cookie
 *         lives between 16 and 32 seconds.
 *   MSS idx: the largest entry of msstab[] not above the client's MSS (3 bits, 8 values).
 *
 * When the client sent timestamps (RFC 7323), the options that do not fit in the ISN ride in
 * the low 6 bits of our TSval, which the client echoes in TSecr of the final ACK:
 *
 *     5     4      3       0
 *   +-----+------+---------+
 *   | ECN | SACK | WScale  |     WScale 0..14, or 15 = the client offered no window scaling;
 *   +-----+------+---------+     SACK = SACK-permitted offered; ECN: reserved (synack does no ECN)
 *
 * The rest of TSval is our 1 ms timestamp clock rounded down to a multiple of 64 (one unit
 * less when the option bits would put it above the clock), so TSval never runs ahead of the
 * clock and the connection's TSvals stay monotonic. The TS offset of a cookie
 * connection is the low 32 bits of the MAC's SipHash output, so it is recomputed from the ACK.
 *
 * What a cookie connection loses WITHOUT timestamps: window scaling (both directions: our
 * window stays below 64 KiB and the client's is read unscaled), SACK, and the exact MSS (it is
 * rounded down to msstab[]). The client's initial window is not kept either way (the final ACK
 * carries a fresh one). Data on the SYN is never kept (nor with the syncache).
 *
 * Threat model: a blind attacker who wants a connection without seeing our SYN-ACK must send
 * an ACK whose ack-1 has the right 28-bit MAC for its 4-tuple and client ISN: each attempt
 * succeeds with probability 2^-28 (P and MSS idx are chosen by the attacker but covered by the
 * MAC). At one million forged ACKs per second, one success is expected every 268 s; each
 * success only costs one connection slot, as a real client would. Cookies are checked only
 * while cookies are in use (mode always, or one sent in the last 32 s), so a quiet server
 * offers no such target at all. A cookie is bound to its 4-tuple and client ISN, cannot be
 * replayed after 32 s (key rotation), and the secret never leaves the stack (the keys are a
 * PRF of it, so one leaked period key reveals neither the secret nor other periods' keys).
 *
 * References: RFC 4987 §3.6 (SYN cookies), RFC 9293 §3.10.7.2 and §3.10.7.4 (LISTEN and
 * SYN-RECEIVED processing), RFC 7323 §3 (timestamps), FreeBSD tcp_syncache.c (syncache,
 * cookie layout), Linux net/ipv4/syncookies.c (msstab, options in TSval). */
#include "stack.h"
#include "mutants.h"
#include "siphash.h"
#include <string.h>

#define COOKIE_PERIOD_US (16LL * 1000000)
#define SC_NONE (-1)

/* Sorted MSS values a cookie can express: common path MTUs minus 40 (IPv4+TCP); 64 is the
 * smallest MSS the stack accepts at all (so a cookie never exceeds the client's MSS), 8960
 * covers jumbo frames (after FreeBSD tcp_sc_msstab and Linux msstab). */
static const uint16_t msstab[8] = {64, 536, 1200, 1360, 1400, 1440, 1460, 8960};

struct sc_entry {
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    uint32_t irs, iss;
    uint32_t ts_recent;     /* client's TSval from the SYN */
    uint32_t ts_offset;
    int32_t hnext;          /* hash chain, or free list */
    int32_t tnext, tprev;   /* retransmission FIFO of its level */
    int32_t listener;
    synack_time_us deadline;
    uint16_t peer_mss, peer_wnd;
    uint8_t peer_ws;        /* 0xff: no window scaling offered */
    uint8_t sack_ok, ts_ok, rexmits;
};
_Static_assert(sizeof(struct sc_entry) <= 64, "a syncache entry must stay within 64 bytes");

struct synack_syncache {
    struct sc_entry *e;
    int32_t *bucket;
    uint8_t *bucket_len;
    uint32_t nbuckets_mask;
    unsigned cap, used, bucket_limit;
    int32_t free;
    int32_t head[16], tail[16];  /* FIFO per retransmission level: deadlines are in order */
    /* cookie keys: K_c for the two newest periods */
    int64_t key_c[4];       /* slot c & 3: the current, previous and (for stale checks) older */
    uint8_t key[4][16];
    synack_time_us last_cookie_sent;
};

size_t synack__syncache_size(unsigned entries)
{
    unsigned nb = 1;
    while (nb * 4 < entries) nb <<= 1;
    return sizeof(struct synack_syncache) + (size_t)entries * sizeof(struct sc_entry) +
           nb * (sizeof(int32_t) + 1);
}

/* Lays the syncache out in mem (synack__syncache_size bytes). */
struct synack_syncache *synack__syncache_init(void *mem, unsigned entries, unsigned bucket_limit)
{
    struct synack_syncache *sc = mem;
    unsigned nb = 1, i;
    while (nb * 4 < entries) nb <<= 1;
    memset(sc, 0, sizeof *sc);
    sc->e = (struct sc_entry *)(sc + 1);
    sc->bucket = (int32_t *)(sc->e + entries);
    sc->bucket_len = (uint8_t *)(sc->bucket + nb);
    sc->nbuckets_mask = nb - 1;
    sc->cap = entries;
    sc->bucket_limit = bucket_limit ? (bucket_limit > 255 ? 255 : bucket_limit) : 16;
    for (i = 0; i < nb; i++) { sc->bucket[i] = SC_NONE; sc->bucket_len[i] = 0; }
    sc->free = SC_NONE;
    for (i = entries; i-- > 0;) { sc->e[i].hnext = sc->free; sc->e[i].listener = -1; sc->free = (int32_t)i; }
    for (i = 0; i < 16; i++) sc->head[i] = sc->tail[i] = SC_NONE;
    sc->key_c[0] = sc->key_c[1] = sc->key_c[2] = sc->key_c[3] = INT64_MIN;
    sc->last_cookie_sent = INT64_MIN / 2;
    return sc;
}

unsigned synack__syncache_used(const struct synack_stack *st) { return st->sc->used; }

static uint32_t sc_hash(const struct synack_stack *st, uint32_t laddr, uint16_t lport,
                        uint32_t raddr, uint16_t rport)
{
    return synack__tuple_hash(st, laddr, lport, raddr, rport) & st->sc->nbuckets_mask;
}

static struct sc_entry *sc_lookup(struct synack_stack *st, uint32_t h, uint32_t laddr, uint16_t lport,
                                  uint32_t raddr, uint16_t rport)
{
    struct synack_syncache *sc = st->sc;
    for (int32_t i = sc->bucket[h & sc->nbuckets_mask]; i != SC_NONE; i = sc->e[i].hnext) {
        struct sc_entry *e = &sc->e[i];
        if (e->rport == rport && e->raddr == raddr && e->lport == lport && e->laddr == laddr) return e;
    }
    return NULL;
}

static void fifo_push(struct synack_syncache *sc, struct sc_entry *e)
{
    int32_t i = (int32_t)(e - sc->e);
    unsigned l = e->rexmits;
    e->tnext = SC_NONE;
    e->tprev = sc->tail[l];
    if (sc->tail[l] != SC_NONE) sc->e[sc->tail[l]].tnext = i;
    else sc->head[l] = i;
    sc->tail[l] = i;
}

static void fifo_remove(struct synack_syncache *sc, struct sc_entry *e)
{
    unsigned l = e->rexmits;
    if (e->tprev != SC_NONE) sc->e[e->tprev].tnext = e->tnext;
    else sc->head[l] = e->tnext;
    if (e->tnext != SC_NONE) sc->e[e->tnext].tprev = e->tprev;
    else sc->tail[l] = e->tprev;
}

static void sc_remove(struct synack_stack *st, struct sc_entry *e, int listener_too)
{
    struct synack_syncache *sc = st->sc;
    int32_t i = (int32_t)(e - sc->e);
    uint32_t h = sc_hash(st, e->laddr, e->lport, e->raddr, e->rport);
    int32_t *pp = &sc->bucket[h];
    while (*pp != SC_NONE && *pp != i) pp = &sc->e[*pp].hnext;
    if (*pp == i) *pp = e->hnext;
    sc->bucket_len[h]--;
    fifo_remove(sc, e);
    if (listener_too) st->tcbs[e->listener].n_half--;
    e->listener = -1;
    e->hnext = sc->free;
    sc->free = i;
    sc->used--;
}

/* Trace a half-open connection's state change (conn = -1: not visible to the user). */
static void sc_trace_state(struct synack_stack *st, int from, int to, const char *event)
{
    if (st->cfg.hooks.on_state) st->cfg.hooks.on_state(st->cfg.hooks.ctx, st->now, -1, from, to, event);
}

/* Our receive window scale for a connection offered scaling (what init_conn computes). */
static uint8_t our_wscale(const struct synack_stack *st)
{
    uint8_t ws = 0;
    while (ws < 14 && (st->cfg.rcvbuf_bytes >> ws) > 65535) ws++;
    return ws;
}

static uint16_t our_mss(const struct synack_stack *st, const struct tcb *l)
{
    uint16_t m = (uint16_t)(st->cfg.mtu - 40);
    return l->user_mss && l->user_mss < m ? l->user_mss : m;
}

/* The window a half-open connection advertises (SYN windows are not scaled). */
static uint32_t half_open_wnd(const struct synack_stack *st)
{
    return st->cfg.rcvbuf_bytes > 65535 ? 65535 : st->cfg.rcvbuf_bytes;
}

/* Builds and queues a SYN-ACK, or with ack_only a pure ACK <SEQ=ISS+1><ACK=IRS+1>, without a
 * connection (for the syncache and cookies). */
static void send_synack(struct synack_stack *st, const struct tcb *l, uint32_t laddr, uint32_t raddr,
                        uint16_t lport, uint16_t rport, uint32_t iss, uint32_t irs, int ws_ok,
                        int ts_ok, uint32_t tsval, uint32_t tsecr, int sack_ok, int ack_only)
{
    struct tcp_opts o;
    uint8_t *p = synack__tx_alloc(st);
    uint32_t wnd = half_open_wnd(st);
    uint8_t flags = ack_only ? SYNACK_ACK : SYNACK_SYN | SYNACK_ACK;
    size_t n;
    if (!p) return;
    memset(&o, 0, sizeof o);
    if (!ack_only) {
        o.has_mss = 1;
        o.mss = our_mss(st, l);
        if (ws_ok) { o.has_ws = 1; o.ws = our_wscale(st); }
        o.sack_ok = (uint8_t)sack_ok;
    }
    if (ts_ok) { o.has_ts = 1; o.tsval = tsval; o.tsecr = tsecr; }
    if (ack_only) iss++;
    n = tcp_emit(p + IP4_HDR_MIN, laddr, raddr, lport, rport, iss, irs + 1, flags,
                 (uint16_t)wnd, &o, NULL, 0);
    ip4_emit(p, laddr, raddr, IP4_PROTO_TCP, (uint16_t)n, st->ip_id++, 64);
    synack__tx_commit(st, IP4_HDR_MIN + n);
    CNT(st, tcp_out);
    if (st->cfg.hooks.on_segment) {
        struct tcp_view tv;
        memset(&tv, 0, sizeof tv);
        tv.sport = lport; tv.dport = rport; tv.seq = iss; tv.ack = irs + 1;
        tv.flags = flags; tv.window = (uint16_t)wnd; tv.opts = o;
        synack__trace_seg(st, SYNACK_DIR_OUT, laddr, raddr, &tv);
    }
}

static uint32_t ts_clock(const struct synack_stack *st) { return (uint32_t)(st->now / 1000); }

static void entry_send(struct synack_stack *st, const struct sc_entry *e, int ack_only)
{
    send_synack(st, &st->tcbs[e->listener], e->laddr, e->raddr, e->lport, e->rport, e->iss, e->irs,
                e->peer_ws != 0xff, e->ts_ok, ts_clock(st) + e->ts_offset, e->ts_recent, e->sack_ok,
                ack_only);
}
#define entry_send_synack(st, e) entry_send(st, e, 0)

/* ---- cookies ---- */

static const uint8_t *cookie_key(struct synack_stack *st, int64_t c)
{
    struct synack_syncache *sc = st->sc;
    int slot = (int)(c & 3);
    if (sc->key_c[slot] != c) {
        uint8_t in[12];
        uint64_t k0, k1;
        memcpy(in, "ck", 2); memcpy(in + 2, "ey", 2);
        wr32(in + 4, (uint32_t)((uint64_t)c >> 32));
        wr32(in + 8, (uint32_t)c);
        k0 = siphash24(st->cfg.secret, in, sizeof in);
        in[0] ^= 0xff;
        k1 = siphash24(st->cfg.secret, in, sizeof in);
        memcpy(sc->key[slot], &k0, 8);
        memcpy(sc->key[slot] + 8, &k1, 8);
        sc->key_c[slot] = c;
    }
    return sc->key[slot];
}

static uint64_t cookie_mac(struct synack_stack *st, int64_t c, uint32_t laddr, uint32_t raddr,
                           uint16_t lport, uint16_t rport, uint32_t irs, unsigned mss_idx)
{
    uint8_t in[24];
    wr32(in, laddr); wr32(in + 4, raddr); wr16(in + 8, lport); wr16(in + 10, rport);
    wr32(in + 12, irs);
    wr32(in + 16, (uint32_t)c);
    wr32(in + 20, mss_idx);
    return siphash24(cookie_key(st, c), in, sizeof in);
}

static unsigned mss_index(uint16_t mss)
{
    unsigned i = 7;
    while (i > 0 && msstab[i] > mss) i--;
    return i;
}

/* The cookie ISS for a 4-tuple, client ISN and MSS at time now (see the diagram above);
 * *h receives the full SipHash output (its low 32 bits are the cookie connection's TS offset). */
uint32_t synack__cookie_generate(struct synack_stack *st, uint32_t laddr, uint32_t raddr, uint16_t lport,
                                 uint16_t rport, uint32_t irs, uint16_t mss, uint64_t *h)
{
    int64_t c = st->now / COOKIE_PERIOD_US;
    unsigned idx = mss_index(mss);
    uint64_t mac = cookie_mac(st, c, laddr, raddr, lport, rport, irs, idx);
    if (h) *h = mac;
    return (uint32_t)(mac >> 36) << 4 | (uint32_t)(c & 1) << 3 | idx;
}

/* Checks a cookie ISS: 0 and the MSS if valid now, -1 if forged, -2 if expired. */
int synack__cookie_validate(struct synack_stack *st, uint32_t laddr, uint32_t raddr, uint16_t lport,
                            uint16_t rport, uint32_t irs, uint32_t iss, uint16_t *mss, uint64_t *h)
{
    unsigned idx = iss & 7, parity = (iss >> 3) & 1;
    int64_t c = st->now / COOKIE_PERIOD_US;
    uint64_t mac;
    if ((unsigned)(c & 1) != parity) c--;   /* the previous period; older ones are gone */
    mac = cookie_mac(st, c, laddr, raddr, lport, rport, irs, idx);
    if ((uint32_t)(mac >> 36) != iss >> 4) {
        /* Tell a stale cookie (valid MAC two periods ago) from a forged one, for the counters. */
        uint64_t old = cookie_mac(st, c - 2, laddr, raddr, lport, rport, irs, idx);
        return (uint32_t)(old >> 36) == iss >> 4 ? -2 : -1;
    }
    if (mss) *mss = msstab[idx];
    if (h) *h = mac;
    return 0;
}

/* Answers a SYN with a cookie: options in the ISS (MSS) and in TSval (the rest). */
static void cookie_send(struct synack_stack *st, const struct tcb *l, const struct ip4_view *ip,
                        const struct tcp_view *tv)
{
    uint64_t h;
    uint32_t iss = synack__cookie_generate(st, ip->dst, ip->src, tv->dport, tv->sport, tv->seq,
                                           tv->opts.has_mss ? tv->opts.mss : 536, &h);
    int ts_ok = st->cfg.timestamps && tv->opts.has_ts;
    int ws_ok = st->cfg.window_scaling && tv->opts.has_ws && ts_ok;
    int sack_ok = tv->opts.sack_ok && ts_ok;
    uint32_t tsval = 0;
    if (ts_ok) {
        /* The options replace the low 6 bits; if that puts TSval above the clock, step back
         * one 64 ms unit, so the connection's later TSvals (clock + offset) never go below it
         * (the peer's PAWS would drop them). Linux's cookie_init_timestamp does the same. */
        uint32_t opts = (ws_ok ? (tv->opts.ws > 14 ? 14u : tv->opts.ws) : 0xfu) | (sack_ok ? 0x10u : 0);
        uint32_t clock = ts_clock(st) + (uint32_t)h;
        tsval = (clock & ~0x3fu) | opts;
        if (seq_gt(tsval, clock)) tsval -= 0x40;
    }
    send_synack(st, l, ip->dst, ip->src, tv->dport, tv->sport, iss, tv->seq, ws_ok, ts_ok, tsval,
                tv->opts.tsval, sack_ok, 0);
    CNT(st, tcp_syncookies_sent);
    CNT(st, tcp_synack_sent);
    st->sc->last_cookie_sent = st->now;
}

/* What a valid cookie ACK gives back. */
struct cookie_info {
    uint16_t mss;
    uint8_t ws;             /* 0xff: none */
    uint8_t sack_ok, ts_ok;
    uint32_t ts_offset, ts_recent;
};

/* Returns 0 if ack-1 is a cookie we made for this segment's 4-tuple within the last 32 s. */
static int cookie_check(struct synack_stack *st, const struct ip4_view *ip, const struct tcp_view *tv,
                        struct cookie_info *ci)
{
    uint64_t h;
    uint16_t mss;
    int rc = synack__cookie_validate(st, ip->dst, ip->src, tv->dport, tv->sport, tv->seq - 1,
                                     tv->ack - 1, &mss, &h);
    if (rc == -2) { CNT(st, tcp_syncookies_stale); return -1; }
    if (rc < 0) { CNT(st, tcp_syncookies_bad_mac); return -1; }
    memset(ci, 0, sizeof *ci);
    ci->mss = mss;
    ci->ws = 0xff;
    if (tv->opts.has_ts && tv->opts.tsecr && st->cfg.timestamps) {
        uint32_t opts = tv->opts.tsecr & 0x3f;
        ci->ts_ok = 1;
        ci->ts_recent = tv->opts.tsval;
        ci->ts_offset = (uint32_t)h;
        if ((opts & 0xf) <= 14 && st->cfg.window_scaling) ci->ws = (uint8_t)(opts & 0xf);
        ci->sack_ok = (opts >> 4) & 1;
    }
    CNT(st, tcp_syncookies_ok);
    return 0;
}

/* ---- the listener's half-open processing ---- */

static int child_resources(struct synack_stack *st, uint32_t raddr);
static struct tcb *make_child(struct synack_stack *st, struct tcb *l, uint32_t laddr, uint32_t raddr,
                              uint16_t lport, uint16_t rport, uint32_t irs, uint32_t iss,
                              uint16_t peer_mss, uint8_t peer_ws, int sack_ok, int ts_ok,
                              uint32_t ts_recent, uint32_t ts_offset, synack_time_us synack_sent);

/* RFC 9293 §3.10.7.4 for a connection in SYN-RECEIVED that is still a syncache entry: the same
 * steps as synack__tcp_sync_input, on the entry's few variables (RCV.NXT = IRS+1, RCV.WND =
 * the SYN-ACK's window, SND.UNA = ISS). An acceptable final ACK makes the connection. */
static void entry_segment(struct synack_stack *st, struct tcb *l, struct sc_entry *e,
                          const struct ip4_view *ip, struct tcp_view *tv)
{
    uint8_t f = tv->flags;
    uint32_t rcv_nxt = e->irs + 1, wnd = half_open_wnd(st), seq = tv->seq;
    uint32_t seglen = (uint32_t)tv->payload_len + ((f & SYNACK_SYN) ? 1 : 0) + ((f & SYNACK_FIN) ? 1 : 0);
    int ok;
    struct tcb *c;
    /* first: sequence number */
    if (seglen == 0) ok = seq_in(seq, rcv_nxt, rcv_nxt + wnd);
    else ok = seq_in(seq, rcv_nxt, rcv_nxt + wnd) || seq_in(seq + seglen - 1, rcv_nxt, rcv_nxt + wnd);
    if (!ok) {
        CNT(st, tcp_drop_out_of_window);
        if (f & SYNACK_RST) { CNT(st, tcp_rst_in); CNT(st, tcp_rst_ignored); return; }
        entry_send(st, e, 1);               /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
        return;
    }
    /* RFC 7323 §5.3 PAWS */
    if (e->ts_ok && tv->opts.has_ts && !(f & SYNACK_RST) && seq_lt(tv->opts.tsval, e->ts_recent)) {
        CNT(st, tcp_drop_paws);
        entry_send(st, e, 1);
        return;
    }
    /* second: RST (RFC 5961 §3.2: only exactly at RCV.NXT; elsewhere a challenge ACK) */
    if (f & SYNACK_RST) {
        CNT(st, tcp_rst_in);
        if (seq == rcv_nxt) {
            sc_trace_state(st, SYNACK_SYN_RCVD, SYNACK_CLOSED, "rcv RST");
            sc_remove(st, e, 1);
        } else {
            CNT(st, tcp_challenge_acks);
            entry_send(st, e, 1);
        }
        return;
    }
    /* fourth: SYN in window: a passive open returns to LISTEN (the entry goes) */
    if (f & SYNACK_SYN) {
        sc_trace_state(st, SYNACK_SYN_RCVD, SYNACK_CLOSED, "rcv SYN");
        sc_remove(st, e, 1);
        return;
    }
    /* fifth: ACK */
    if (!(f & SYNACK_ACK)) return;
    if (tv->ack != e->iss + 1) {            /* unacceptable in SYN-RECEIVED: RST */
        CNT(st, tcp_drop_bad_ack);
        synack__tcp_send_rst_for(st, ip->dst, ip->src, tv);
        return;
    }
    if (l->n_accept >= l->backlog) {        /* keep the entry; the peer will retry */
        CNT(st, tcp_drop_listen_overflow);
        return;
    }
    if (!child_resources(st, e->raddr)) return;     /* keep the entry too */
    c = make_child(st, l, e->laddr, e->raddr, e->lport, e->rport, e->irs, e->iss, e->peer_mss,
                   e->peer_ws, e->sack_ok, e->ts_ok, e->ts_recent, e->ts_offset,
                   e->rexmits ? -1 : e->deadline - st->cfg.rto_initial_us);
    if (!c) { CNT(st, tcp_drop_no_memory); return; }
    /* The child takes over the entry's place in the listener's half-open count; the entry's
     * own history ends here (so that a tally of conn -1 transitions balances). */
    sc_remove(st, e, 0);
    sc_trace_state(st, SYNACK_SYN_RCVD, SYNACK_CLOSED, "promoted to a connection");
    synack__tcp_sync_input(st, c, ip, tv);
    if (c->kind == SK_TCP && c->state == SYNACK_SYN_RCVD)
        synack__tcp_close_conn(st, c, 0, "final ACK not accepted");
}


static int listener_full(const struct synack_stack *st, const struct tcb *l, uint32_t h)
{
    return l->n_half >= l->syn_backlog || st->sc->used >= st->sc->cap ||
           st->sc->bucket_len[h] >= st->sc->bucket_limit;
}

/* RFC 9293 §3.10.7.2 LISTEN, third (a SYN). */
void synack__syncache_syn(struct synack_stack *st, struct tcb *l, const struct ip4_view *ip,
                          const struct tcp_view *tv, uint32_t h, const uint32_t *isn_floor)
{
    struct synack_syncache *sc = st->sc;
    struct sc_entry *e;
    CNT(st, tcp_syn_in);
    e = sc_lookup(st, h, ip->dst, tv->dport, ip->src, tv->sport);
    if (e) {
        /* A retransmitted SYN: the same SYN-ACK again (same ISS), as Linux and FreeBSD do.
         * Any other SYN follows SYN-RECEIVED processing (entry_segment). */
        if (tv->seq == e->irs) {
            CNT(st, tcp_synack_rexmit);
            entry_send_synack(st, e);
        } else {
            entry_segment(st, &st->tcbs[e->listener], e, ip, (struct tcp_view *)tv);
        }
        return;
    }
    if (l->n_accept >= l->backlog) {
        /* Like Linux: with the accept queue full, even a cookie would lead nowhere. */
        CNT(st, tcp_drop_listen_overflow);
        CNT(st, tcp_syn_dropped);
        return;
    }
    h &= sc->nbuckets_mask;
    /* A SYN replacing a TIME_WAIT connection (isn_floor) takes an entry whenever one is
     * free, even in always mode, so that its ISN can be placed above the old connection's
     * (RFC 6191); only with the cache full does it get a cookie, as in Linux. */
    if ((st->cfg.syncookies == SYNACK_SYNCOOKIES_ALWAYS && !(isn_floor && !listener_full(st, l, h))) ||
        (listener_full(st, l, h) && st->cfg.syncookies == SYNACK_SYNCOOKIES_AUTO && !MUTANT_OFF(syncookies))) {
        if (st->cfg.syncookies == SYNACK_SYNCOOKIES_AUTO) CNT(st, tcp_syncache_overflow);
        cookie_send(st, l, ip, tv);
        return;
    }
    if (listener_full(st, l, h)) {
        CNT(st, tcp_syncache_overflow);
        CNT(st, tcp_drop_listen_overflow);
        CNT(st, tcp_syn_dropped);
        return;
    }
    e = &sc->e[sc->free];
    sc->free = e->hnext;
    sc->used++;
    memset(e, 0, sizeof *e);
    e->laddr = ip->dst;
    e->raddr = ip->src;
    e->lport = tv->dport;
    e->rport = tv->sport;
    e->irs = tv->seq;
    e->iss = tcp_isn_generate(st->cfg.secret, e->laddr, e->lport, e->raddr, e->rport, st->now);
    if (isn_floor && seq_lt(e->iss, *isn_floor)) e->iss = *isn_floor;
    e->listener = l->idx;
    e->peer_mss = tv->opts.has_mss ? tv->opts.mss : 536;
    e->peer_wnd = tv->window;
    e->peer_ws = st->cfg.window_scaling && tv->opts.has_ws ? (tv->opts.ws > 14 ? 14 : tv->opts.ws) : 0xff;
    e->sack_ok = tv->opts.sack_ok;
    e->ts_ok = st->cfg.timestamps && tv->opts.has_ts;
    e->ts_recent = tv->opts.tsval;
    if (e->ts_ok) {
        uint8_t k[12];
        wr32(k, e->laddr); wr32(k + 4, e->raddr); wr16(k + 8, e->lport); wr16(k + 10, e->rport);
        e->ts_offset = (uint32_t)(siphash24(st->hash_key, k, sizeof k) >> 32);
    }
    e->hnext = sc->bucket[h];
    sc->bucket[h] = (int32_t)(e - sc->e);
    sc->bucket_len[h]++;
    e->deadline = st->now + st->cfg.rto_initial_us;
    fifo_push(sc, e);
    l->n_half++;
    CNT(st, tcp_syncache_added);
    sc_trace_state(st, SYNACK_CLOSED, SYNACK_SYN_RCVD, "rcv SYN");
    entry_send_synack(st, e);
    CNT(st, tcp_synack_sent);
}

/* Admission control: a handshake completes only when the connection it makes can have a socket
 * slot and buffers, and its source is under per_source_limit. Otherwise the final ACK is dropped and the half-open entry (or the
 * cookie) kept, as Linux does with a full accept queue (tcp_abort_on_overflow = 0): the client
 * sends again (its data, or the ACK of our SYN-ACK retransmission) and gets in once a
 * connection ends, instead of completing a handshake and then being reset on its first byte. */
static int child_resources(struct synack_stack *st, uint32_t raddr)
{
    if (st->cfg.per_source_limit && st->src_conns[src_bucket(st, raddr)] >= st->cfg.per_source_limit &&
        !MUTANT_OFF(per_source_limit)) {
        CNT(st, tcp_source_limited);
        return 0;
    }
    if (st->free_tcb < 0 && !MUTANT_OFF(timewait_recycle)) synack__timewait_recycle(st);
    if ((st->free_tcb >= 0 && st->free_buf >= 0) || MUTANT_OFF(admission_control)) return 1;
    CNT(st, tcp_admission_deferred);
    return 0;
}

/* A connection in SYN_RCVD built from an entry or a cookie; sync_input then processes the
 * ACK exactly as for any SYN_RCVD connection. */
static struct tcb *make_child(struct synack_stack *st, struct tcb *l, uint32_t laddr, uint32_t raddr,
                              uint16_t lport, uint16_t rport, uint32_t irs, uint32_t iss,
                              uint16_t peer_mss, uint8_t peer_ws, int sack_ok, int ts_ok,
                              uint32_t ts_recent, uint32_t ts_offset, synack_time_us synack_sent)
{
    struct tcb *c = synack__tcb_alloc(st);
    uint32_t mss = peer_mss;
    if (!c) return NULL;
    c->laddr = laddr; c->raddr = raddr; c->lport = lport; c->rport = rport;
    c->user_mss = l->user_mss;
    synack__tcp_init_conn(st, c);
    c->nodelay = l->nodelay;
    c->passive = 1;
    c->parent = l->idx;
    c->irs = irs;
    c->rcv_nxt = irs + 1;
    c->iss = iss;
    c->snd_una = iss;
    c->snd_nxt = c->snd_max = iss + 1;
    if (mss < 64) mss = 64;
    if (mss > st->cfg.mtu - 40u) mss = st->cfg.mtu - 40u;   /* the floor never beats the MTU */
    c->ws_ok = peer_ws != 0xff;
    c->snd_wscale = c->ws_ok ? peer_ws : 0;
    if (!c->ws_ok) c->rcv_wscale = 0;
    c->ts_ok = (uint8_t)ts_ok;
    if (ts_ok) { c->ts_recent = ts_recent; c->ts_recent_age = st->now; c->ts_offset = ts_offset; mss -= 12; }
    c->sack_ok = (uint8_t)sack_ok;
    c->snd_mss = (uint16_t)mss;
    c->snd_wl1 = irs;
    c->last_ack_sent = c->rcv_nxt;          /* the SYN-ACK acknowledged IRS+1 */
    c->rcv_adv = c->rcv_nxt + (st->cfg.rcvbuf_bytes > 65535 ? 65535 : st->cfg.rcvbuf_bytes);
    /* The connection's own history starts here; the half-open entry was traced as conn -1. */
    synack__tcp_set_state(st, c, SYNACK_SYN_RCVD, synack_sent == -2 ? "cookie ACK" : "syncache ACK");
    /* An RTT sample from the handshake when the SYN-ACK was sent once (Karn) and we know when. */
    c->rexmt_count = synack_sent >= 0 ? 0 : 1;   /* -1: retransmitted, -2: cookie */
    c->syn_rexmit = synack_sent == -1;           /* RFC 6298 §5.7 then applies */
    c->rtt_start = synack_sent;
    synack__tcp_hash_insert(st, c);
    return c;
}

/* A segment without SYN for a listener: the final ACK of a handshake (syncache entry or cookie),
 * a RST for a half-open entry, or something that gets a RST (RFC 9293 §3.10.7.2). */
void synack__syncache_segment(struct synack_stack *st, struct tcb *l, const struct ip4_view *ip,
                              struct tcp_view *tv, uint32_t h)
{
    struct sc_entry *e = sc_lookup(st, h, ip->dst, tv->dport, ip->src, tv->sport);
    struct tcb *c;
    uint8_t f = tv->flags;
    if (e) {
        entry_segment(st, l, e, ip, tv);
        return;
    }
    if (f & SYNACK_RST) return;
    if (!(f & SYNACK_ACK)) return;
    /* No entry: a cookie? Only while cookies are in use. */
    if (st->cfg.syncookies != SYNACK_SYNCOOKIES_OFF && !(f & SYNACK_SYN) &&
        (st->cfg.syncookies == SYNACK_SYNCOOKIES_ALWAYS ||
         st->now - st->sc->last_cookie_sent < 2 * COOKIE_PERIOD_US)) {
        struct cookie_info ci;
        if (cookie_check(st, ip, tv, &ci) == 0) {
            if (l->n_accept >= l->backlog) { CNT(st, tcp_drop_listen_overflow); return; }
            if (!child_resources(st, ip->src)) return;  /* the cookie stays good for the retry */
            c = make_child(st, l, ip->dst, ip->src, tv->dport, tv->sport, tv->seq - 1, tv->ack - 1,
                           ci.mss, ci.ws, ci.sack_ok, ci.ts_ok, ci.ts_recent, ci.ts_offset, -2);
            if (!c) { CNT(st, tcp_drop_no_memory); return; }
            l->n_half++;
            synack__tcp_sync_input(st, c, ip, tv);
            if (c->kind == SK_TCP && c->state == SYNACK_SYN_RCVD)
                synack__tcp_close_conn(st, c, 0, "final ACK not accepted");
            return;
        }
    }
    CNT(st, tcp_drop_bad_ack);
    synack__tcp_send_rst_for(st, ip->dst, ip->src, tv);
}

/* SYN-ACK retransmission with exponential backoff (RFC 6298 §5.5 applied to the SYN-ACK, as
 * every stack does), and expiry after synack_retries. Each retransmission level has its own
 * FIFO: entries enter a level in time order and all wait the same delay there, so each FIFO
 * is sorted by deadline and the earliest deadline is one of the heads. */
void synack__syncache_timers(struct synack_stack *st, synack_time_us now)
{
    struct synack_syncache *sc = st->sc;
    unsigned maxl = st->cfg.synack_retries < 15 ? st->cfg.synack_retries : 15;
    for (unsigned l = 0; l <= maxl; l++) {
        while (sc->head[l] != SC_NONE && sc->e[sc->head[l]].deadline <= now) {
            struct sc_entry *e = &sc->e[sc->head[l]];
            if (e->rexmits >= maxl || MUTANT_OFF(syncache_rexmit)) {
                CNT(st, tcp_half_open_expired);
                sc_trace_state(st, SYNACK_SYN_RCVD, SYNACK_CLOSED, "SYN-ACK retries exhausted");
                sc_remove(st, e, 1);
                continue;
            }
            fifo_remove(sc, e);
            e->rexmits++;
            {
                synack_time_us d = st->cfg.rto_initial_us << e->rexmits;
                e->deadline = now + (d > st->cfg.rto_max_us ? st->cfg.rto_max_us : d);
            }
            fifo_push(sc, e);
            CNT(st, tcp_synack_rexmit);
            entry_send_synack(st, e);
        }
    }
}

synack_time_us synack__syncache_next(const struct synack_stack *st)
{
    const struct synack_syncache *sc = st->sc;
    synack_time_us d = SYNACK_TIME_NEVER;
    for (unsigned l = 0; l < 16; l++)
        if (sc->head[l] != SC_NONE && sc->e[sc->head[l]].deadline < d) d = sc->e[sc->head[l]].deadline;
    return d;
}

/* A listener closes: its half-open entries go with it. */
void synack__syncache_drop_listener(struct synack_stack *st, struct tcb *l)
{
    struct synack_syncache *sc = st->sc;
    for (unsigned i = 0; i < sc->cap && sc->used; i++) {
        struct sc_entry *e = &sc->e[i];
        if (e->listener != l->idx) continue;   /* free entries have listener -1 */
        sc_trace_state(st, SYNACK_SYN_RCVD, SYNACK_CLOSED, "listener closed");
        sc_remove(st, e, 1);
    }
}
