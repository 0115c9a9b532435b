/* Connection lifecycle: the 4-tuple hash table, the listener list, the state funnel
 * (every transition goes through synack__tcp_set_state, which traces it and checks the edge),
 * initialisation of a new connection's variables, and the end of a connection.
 *
 * RFCs: 9293 §3.3.2 (state diagram), §3.4.1 (ISN), 6528 (ISN generator), 6056 (ephemeral
 * port choice: algorithm 3, a keyed hash of the destination plus a counter). */
#include "stack.h"
#include "mutants.h"
#include "siphash.h"
#include <string.h>

/* Keyed hash of a 4-tuple (SipHash: no hash-flooding of the tables by chosen ports). */
uint32_t synack__tuple_hash(const struct synack_stack *st, uint32_t laddr, uint16_t lport,
                            uint32_t raddr, uint16_t rport)
{
    uint8_t k[12];
    wr32(k, laddr); wr32(k + 4, raddr); wr16(k + 8, lport); wr16(k + 10, rport);
    return (uint32_t)siphash24(st->hash_key, k, sizeof k);
}
#define tuple_hash(st, la, lp, ra, rp) (synack__tuple_hash(st, la, lp, ra, rp) & (st)->hash_mask)

struct tcb *synack__tcp_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport,
                               uint32_t raddr, uint16_t rport)
{
    return synack__tcp_lookup_hashed(st, synack__tuple_hash(st, laddr, lport, raddr, rport), laddr,
                                     lport, raddr, rport);
}

/* The same, with the 4-tuple's hash already computed (input computes it once per segment
 * for the connection table and the syncache). */
struct tcb *synack__tcp_lookup_hashed(struct synack_stack *st, uint32_t h, uint32_t laddr,
                                      uint16_t lport, uint32_t raddr, uint16_t rport)
{
    int i = st->hash[h & st->hash_mask];
    while (i >= 0) {
        struct tcb *t = &st->tcbs[i];
        if (t->lport == lport && t->rport == rport && t->raddr == raddr && t->laddr == laddr)
            return t;
        i = t->hnext;
    }
    return NULL;
}

void synack__tcp_hash_insert(struct synack_stack *st, struct tcb *t)
{
    uint32_t h = tuple_hash(st, t->laddr, t->lport, t->raddr, t->rport);
    t->hnext = st->hash[h];
    st->hash[h] = t->idx;
}

void synack__tcp_hash_remove(struct synack_stack *st, struct tcb *t)
{
    int *pp = &st->hash[tuple_hash(st, t->laddr, t->lport, t->raddr, t->rport)];
    while (*pp >= 0) {
        if (*pp == t->idx) { *pp = t->hnext; t->hnext = -1; return; }
        pp = &st->tcbs[*pp].hnext;
    }
}

/* Listeners are few; a list is enough. A listener bound to 0.0.0.0 matches any address. */
struct tcb *synack__tcp_listener(struct synack_stack *st, uint32_t laddr, uint16_t lport)
{
    for (int i = st->listeners; i >= 0; i = st->tcbs[i].qnext) {
        struct tcb *t = &st->tcbs[i];
        if (t->lport == lport && (t->laddr == 0 || t->laddr == laddr)) return t;
    }
    return NULL;
}

/* The legal edges of RFC 9293 §3.3.2's diagram, plus the aborts (any state -> CLOSED) and
 * the RFC 9293 §3.10.7.4 passive SYN_RCVD -> (LISTEN) return, which here frees the child. */
static int edge_ok(int from, int to)
{
    if (to == SYNACK_CLOSED) return 1;
    switch (from) {
    case SYNACK_CLOSED: return to == SYNACK_LISTEN || to == SYNACK_SYN_SENT || to == SYNACK_SYN_RCVD;
    case SYNACK_SYN_SENT: return to == SYNACK_SYN_RCVD || to == SYNACK_ESTABLISHED;
    case SYNACK_SYN_RCVD: return to == SYNACK_ESTABLISHED || to == SYNACK_FIN_WAIT_1 || to == SYNACK_CLOSE_WAIT;
    case SYNACK_ESTABLISHED: return to == SYNACK_FIN_WAIT_1 || to == SYNACK_CLOSE_WAIT;
    case SYNACK_CLOSE_WAIT: return to == SYNACK_LAST_ACK;
    case SYNACK_FIN_WAIT_1: return to == SYNACK_FIN_WAIT_2 || to == SYNACK_CLOSING || to == SYNACK_TIME_WAIT;
    case SYNACK_FIN_WAIT_2: return to == SYNACK_TIME_WAIT;
    case SYNACK_CLOSING: return to == SYNACK_TIME_WAIT;
    case SYNACK_LAST_ACK: return 0;
    case SYNACK_TIME_WAIT: return 0;
    default: return 0;
    }
}

/* The TIME_WAIT list: connections enter at the tail as they enter the state, so the head is
 * always the oldest (every one waits the same 2*MSL; a restart on a retransmitted FIN keeps
 * its place, which only makes it a little older than it is). */
static void tw_link(struct synack_stack *st, struct tcb *t)
{
    t->tw_next = -1;
    t->tw_prev = st->tw_tail;
    if (st->tw_tail >= 0) st->tcbs[st->tw_tail].tw_next = t->idx; else st->tw_head = t->idx;
    st->tw_tail = t->idx;
    st->tw_count++;
}

void synack__tw_unlink(struct synack_stack *st, struct tcb *t)
{
    if (t->tw_prev == -2) return;
    if (t->tw_prev >= 0) st->tcbs[t->tw_prev].tw_next = t->tw_next; else st->tw_head = t->tw_next;
    if (t->tw_next >= 0) st->tcbs[t->tw_next].tw_prev = t->tw_prev; else st->tw_tail = t->tw_prev;
    t->tw_prev = t->tw_next = -2;
    st->tw_count--;
}

int synack__timewait_recycle(struct synack_stack *st)
{
    for (int k = st->tw_head; k >= 0; k = st->tcbs[k].tw_next) {
        struct tcb *t = &st->tcbs[k];
        if (t->user_open) continue;         /* its handle holds the slot anyway */
        CNT(st, tcp_timewait_overflow);
        synack__tcp_close_conn(st, t, 0, "TIME_WAIT recycled early");
        return 1;
    }
    return 0;
}

void synack__tcp_set_state(struct synack_stack *st, struct tcb *t, int ns, const char *event)
{
    int old = t->state;
    if (old == ns) return;
#ifndef NDEBUG
    if (!edge_ok(old, ns)) {
        /* A bug in the core: trap in debug builds (tests run with assertions). */
        __builtin_trap();
    }
#endif
    t->state = (uint8_t)ns;
    if (t->src_counted && (ns == SYNACK_TIME_WAIT || ns == SYNACK_CLOSED)) {
        st->src_conns[src_bucket(st, t->raddr)]--;
        t->src_counted = 0;
    }
    if (old == SYNACK_TIME_WAIT) synack__tw_unlink(st, t);
    if (ns == SYNACK_TIME_WAIT) {
        /* Past the bound, the oldest closed connection in TIME_WAIT goes first (Linux's
         * tcp_max_tw_buckets); never this one, which is not on the list yet. */
        if (st->tw_count >= st->cfg.max_timewait && !MUTANT_OFF(timewait_bound)) synack__timewait_recycle(st);
        tw_link(st, t);
    }
    if (st->cfg.hooks.on_state)
        st->cfg.hooks.on_state(st->cfg.hooks.ctx, st->now, t->idx, old, ns, event);
}

void synack__tcp_mark_dirty(struct synack_stack *st, struct tcb *t)
{
    if (t->in_dirty) return;
    t->in_dirty = 1;
    t->dnext = st->dirty_head;
    st->dirty_head = t->idx;
}

/* Default variables for a new connection (both opens). */
void synack__tcp_init_conn(struct synack_stack *st, struct tcb *t)
{
    t->kind = SK_TCP;
    t->rto = st->cfg.rto_initial_us;        /* RFC 6298 §2.1 */
    t->rcv_mss = (uint16_t)(st->cfg.mtu - 40);
    if (t->user_mss && t->user_mss < t->rcv_mss) t->rcv_mss = t->user_mss;
    t->snd_mss = 536;                        /* RFC 9293 §3.7.1 (MUST-15): default send MSS */
    t->nodelay = 1;
    t->err = 0;
    t->dupthresh = 3;                       /* RFC 5681 §3.2 */
    /* Our window scale: the smallest shift that makes the receive buffer fit (RFC 7323 §2.3). */
    t->rcv_wscale = 0;
    while (t->rcv_wscale < 14 && (st->cfg.rcvbuf_bytes >> t->rcv_wscale) > 65535) t->rcv_wscale++;
    {
        uint8_t k[12];
        wr32(k, t->laddr); wr32(k + 4, t->raddr); wr16(k + 8, t->lport); wr16(k + 10, t->rport);
        /* RFC 7323 §5.4: a per-connection random offset for TSval. */
        t->ts_offset = (uint32_t)(siphash24(st->hash_key, k, sizeof k) >> 32);
    }
}

/* Gives a connection its buffer pair. Called when it becomes synchronized. */
int synack__tcp_attach_buffers(struct synack_stack *st, struct tcb *t)
{
    if (t->buf >= 0) return 0;
    t->buf = synack__buf_alloc(st);
    return t->buf >= 0 ? 0 : -1;
}

/* The handshake completed (either side). Initial window: RFC 6928's
 * IW = min(10*SMSS, max(2*SMSS, 14600)), what Linux uses (RFC 3390's 4380-byte rule is
 * RFC 5681's conservative default); with a retransmitted SYN, 1 SMSS (RFC 5681 §3.1). */
void synack__tcp_established(struct synack_stack *st, struct tcb *t)
{
    uint32_t mss = t->snd_mss, iw = 10 * mss < (2 * mss > 14600 ? 2 * mss : 14600) ? 10 * mss
                                                             : (2 * mss > 14600 ? 2 * mss : 14600);
    t->cwnd = t->syn_rexmit || MUTANT_OFF(initial_window_10) ? mss : iw;
    /* Like Linux, start in quick-ACK mode: the first segments are ACKed at once, which lets
     * the peer's slow start grow without waiting for delayed ACKs. */
    t->quickack = 16;
    t->ssthresh = 0x7fffffff;
    t->recover = t->iss;                     /* RFC 6582 §3.1: "recover" starts at ISS */
    t->rexmt_count = 0;
    t->rcv_adv = t->rcv_nxt + synack__tcp_rcv_window(st, t);
    synack__timer_set(st, t, TT_REXMT, SYNACK_TIME_NEVER);
}

static void unlink_listener(struct synack_stack *st, struct tcb *t)
{
    int *pp = &st->listeners;
    while (*pp >= 0) {
        if (*pp == t->idx) { *pp = t->qnext; t->qnext = -1; return; }
        pp = &st->tcbs[*pp].qnext;
    }
}

/* Removes a child from its listener's accept queue (it is in it when ESTABLISHED or later). */
static void unlink_child(struct synack_stack *st, struct tcb *c)
{
    struct tcb *l = &st->tcbs[c->parent];
    int *pp = &l->acc_head, prev = -1;
    if (!tcp_synchronized(c->state) && c->state != SYNACK_CLOSED) {
        l->n_half--;
        c->parent = -1;
        return;
    }
    while (*pp >= 0) {
        if (*pp == c->idx) {
            *pp = c->qnext;
            if (l->acc_tail == c->idx) l->acc_tail = prev;
            l->n_accept--;
            break;
        }
        prev = *pp;
        pp = &st->tcbs[*pp].qnext;
    }
    c->qnext = -1;
    c->parent = -1;
}

/* Ends a connection: state CLOSED, timers and hash entry removed, buffers released when the
 * user can no longer read them. err (negative code, 0 for a clean close) becomes SO_ERROR.
 * The slot itself is freed when no user handle refers to it. */
void synack__tcp_close_conn(struct synack_stack *st, struct tcb *t, int err, const char *event)
{
    /* A half-open child leaves its listener. One completed but not yet accepted stays in
     * the accept queue, closed, so that accept() returns it and the user sees the error
     * (as Linux does). */
    if (t->parent >= 0 && !tcp_synchronized(t->state)) unlink_child(st, t);
    if (t->state == SYNACK_LISTEN) unlink_listener(st, t);
    else if (t->state != SYNACK_CLOSED || t->hnext >= 0) synack__tcp_hash_remove(st, t);
    synack__tcp_set_state(st, t, SYNACK_CLOSED, event);
    synack__timers_clear(st, t);
    if (err) { t->err = err; t->hard_err = err; }
    if (!t->user_open && t->parent < 0) synack__tcb_free(st, t);
}

/* Queues our FIN after the data already in the send ring (RFC 9293 §3.10.4 CLOSE). */
void synack__tcp_queue_fin(struct synack_stack *st, struct tcb *t, const char *event)
{
    struct bufpair *b = tcb_buf(st, t);
    if (t->fin_queued) return;
    t->fin_queued = 1;
    t->fin_pending = 0;
    t->fin_seq = synack__tcp_data_start(t) + (b ? b->snd.len : 0);
    if (t->state == SYNACK_CLOSE_WAIT) synack__tcp_set_state(st, t, SYNACK_LAST_ACK, event);
    else synack__tcp_set_state(st, t, SYNACK_FIN_WAIT_1, event);
    synack__tcp_mark_dirty(st, t);
}

/* RFC 6056 §3.3.3 (algorithm 3): offset = F(raddr, rport, secret); try ports from
 * min + (offset + counter) % range, skipping 4-tuples in use. */
uint16_t synack__tcp_ephemeral_port(struct synack_stack *st, uint32_t raddr, uint16_t rport)
{
    const uint32_t lo = 49152, n = 65536 - 49152;
    uint8_t k[6];
    uint32_t off, i;
    wr32(k, raddr); wr16(k + 4, rport);
    off = (uint32_t)siphash24(st->hash_key, k, sizeof k);
    for (i = 0; i < n; i++) {
        uint16_t p = (uint16_t)(lo + (off + st->port_counter + i) % n);
        if (synack__tcp_listener(st, st->cfg.addr, p)) continue;
        if (synack__tcp_lookup(st, st->cfg.addr, p, raddr, rport)) continue;
        if (synack__tcp_port_bound(st, p)) continue;
        st->port_counter += i + 1;
        return p;
    }
    return 0;
}

/* ---- RFC 7413 client cookie cache ---- */

const struct tfo_entry *synack__tfo_lookup(const struct synack_stack *st, uint32_t raddr)
{
    for (unsigned i = 0; i < SYNACK_TFO_CACHE; i++)
        if (st->tfo[i].len && st->tfo[i].raddr == raddr) return &st->tfo[i];
    return NULL;
}

void synack__tfo_store(struct synack_stack *st, uint32_t raddr, const uint8_t *cookie, uint8_t len,
                       uint16_t mss)
{
    struct tfo_entry *e = (struct tfo_entry *)synack__tfo_lookup(st, raddr);
    if (len < 4 || len > 16) return;
    if (!e) {
        e = &st->tfo[st->tfo_next];
        st->tfo_next = (st->tfo_next + 1) % SYNACK_TFO_CACHE;
    }
    e->raddr = raddr;
    e->mss = mss;
    e->len = len;
    memcpy(e->cookie, cookie, len);
}
