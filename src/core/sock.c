/* User calls on sockets (RFC 9293 §3.10.1-3.10.6: OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS)
 * and UDP sockets (RFC 768). Each function returns >= 0 or a negative SYNACK_E* code;
 * src/api/socket.c turns those into errno. Socket calls use the time of the last
 * synack_input()/synack_poll()/synack_set_now(). */
#include "stack.h"
#include "mutants.h"
#include "sock.h"
#include "synack/socket.h"
#include "siphash.h"
#include <string.h>

void synack_set_now(struct synack_stack *st, synack_time_us now)
{
    if (now > st->now) st->now = now;
}

static struct tcb *get(struct synack_stack *st, int s)
{
    struct tcb *t;
    if (!st || s < 0 || (unsigned)s >= st->ntcbs) return NULL;
    t = &st->tcbs[s];
    if (t->kind == SK_FREE || !t->user_open) return NULL;
    return t;
}

int synack__sock_new(struct synack_stack *st, int type)
{
    struct tcb *t;
    if (!st) return SYNACK_EINVAL;
    if (type != SYNACK_SOCK_STREAM && type != SYNACK_SOCK_DGRAM) return SYNACK_EINVAL;
    t = synack__tcb_alloc(st);
    if (!t) return SYNACK_EMFILE;
    t->kind = type == SYNACK_SOCK_STREAM ? SK_TCP : SK_UDP;
    t->user_open = 1;
    t->nodelay = 1;
    if (t->kind == SK_UDP) {
        if (synack__tcp_attach_buffers(st, t) < 0) {
            synack__tcb_free(st, t);
            return SYNACK_ENOBUFS;
        }
        t->qnext = st->udp_socks;
        st->udp_socks = t->idx;
    }
    return t->idx;
}

int synack__tcp_port_bound(struct synack_stack *st, uint16_t port)
{
    for (unsigned i = 0; i < st->ntcbs; i++) {
        const struct tcb *t = &st->tcbs[i];
        if (t->kind == SK_TCP && t->bound && t->lport == port) return 1;
    }
    return 0;
}

static struct tcb *udp_find(struct synack_stack *st, uint16_t port)
{
    for (int i = st->udp_socks; i >= 0; i = st->tcbs[i].qnext)
        if (st->tcbs[i].bound && st->tcbs[i].lport == port) return &st->tcbs[i];
    return NULL;
}

/* May TCP socket t take local port `port`? Linux's rules, simplified: never beside a listener
 * or an unconnected bound socket; beside connections only with SO_REUSEADDR. */
static int tcp_port_free(struct synack_stack *st, struct tcb *t, uint16_t port)
{
    for (unsigned i = 0; i < st->ntcbs; i++) {
        const struct tcb *o = &st->tcbs[i];
        if (o == t || o->kind != SK_TCP || o->lport != port || (!o->bound && o->state == SYNACK_CLOSED))
            continue;
        if (o->state == SYNACK_LISTEN || o->state == SYNACK_CLOSED) return 0;
        if (!t->reuseaddr) return 0;
    }
    return 1;
}

int synack__sock_bind(struct synack_stack *st, int s, uint32_t addr, uint16_t port)
{
    struct tcb *t = get(st, s);
    if (!t) return SYNACK_EBADF;
    if (t->bound || t->state != SYNACK_CLOSED) return SYNACK_EINVAL;
    if (addr != 0 && addr != st->cfg.addr) return SYNACK_EADDRNOTAVAIL;
    if (t->kind == SK_UDP) {
        if (port == 0) {
            uint32_t base = (uint32_t)siphash24(st->hash_key, &st->port_counter, sizeof st->port_counter);
            for (uint32_t i = 0; i < 16384 && !port; i++) {
                uint16_t p = (uint16_t)(49152 + (base + i) % 16384);
                if (!udp_find(st, p)) port = p;
            }
            st->port_counter++;
            if (!port) return SYNACK_EADDRNOTAVAIL;
        } else if (udp_find(st, port)) {
            return SYNACK_EADDRINUSE;
        }
    } else {
        if (port == 0) {
            port = synack__tcp_ephemeral_port(st, 0, 0);
            if (!port) return SYNACK_EADDRNOTAVAIL;
        } else if (!tcp_port_free(st, t, port)) {
            return SYNACK_EADDRINUSE;
        }
    }
    t->laddr = addr;
    t->lport = port;
    t->bound = 1;
    return 0;
}

int synack__sock_listen(struct synack_stack *st, int s, int backlog)
{
    struct tcb *t = get(st, s);
    int rc;
    if (!t) return SYNACK_EBADF;
    if (t->kind != SK_TCP) return SYNACK_EOPNOTSUPP;
    if (t->state == SYNACK_LISTEN) {            /* Linux lets listen() change the backlog */
        t->backlog = (uint16_t)(backlog < 1 ? 1 : backlog > 65535 ? 65535 : backlog);
        return 0;
    }
    if (t->state != SYNACK_CLOSED || t->hard_err || t->rport) return SYNACK_EINVAL;
    if (!t->bound && (rc = synack__sock_bind(st, s, 0, 0)) < 0) return rc;
    if (synack__tcp_listener(st, t->laddr ? t->laddr : st->cfg.addr, t->lport)) return SYNACK_EADDRINUSE;
    /* Like Linux: a backlog <= 0 still allows one connection; the half-open queue has its
     * own bound (syn_backlog) so that a flood of SYNs cannot fill the accept queue. */
    t->backlog = (uint16_t)(backlog < 1 ? 1 : backlog > 65535 ? 65535 : backlog);
    t->syn_backlog = (uint16_t)(st->cfg.syn_backlog > 65535 ? 65535 : st->cfg.syn_backlog);
    t->acc_head = t->acc_tail = -1;
    synack__tcp_set_state(st, t, SYNACK_LISTEN, "user listen");
    t->qnext = st->listeners;
    st->listeners = t->idx;
    return 0;
}

int synack__sock_accept(struct synack_stack *st, int s, uint32_t *addr, uint16_t *port)
{
    struct tcb *t = get(st, s), *c;
    if (!t) return SYNACK_EBADF;
    if (t->kind != SK_TCP) return SYNACK_EOPNOTSUPP;
    if (t->state != SYNACK_LISTEN) return SYNACK_EINVAL;
    if (t->acc_head < 0) return SYNACK_EAGAIN;
    c = &st->tcbs[t->acc_head];
    t->acc_head = c->qnext;
    if (t->acc_head < 0) t->acc_tail = -1;
    t->n_accept--;
    c->qnext = -1;
    c->parent = -1;
    c->user_open = 1;
    if (addr) *addr = c->raddr;
    if (port) *port = c->rport;
    return c->idx;
}

int synack__sock_connect(struct synack_stack *st, int s, uint32_t addr, uint16_t port)
{
    struct tcb *t = get(st, s);
    if (!t) return SYNACK_EBADF;
    if (t->kind == SK_UDP) {
        if (addr == 0 || port == 0) return SYNACK_EINVAL;
        if (!t->bound) { int rc = synack__sock_bind(st, s, 0, 0); if (rc < 0) return rc; }
        t->raddr = addr;
        t->rport = port;
        return 0;
    }
    if (t->state == SYNACK_SYN_SENT || t->state == SYNACK_SYN_RCVD) return SYNACK_EALREADY;
    if (t->state == SYNACK_LISTEN) return SYNACK_EISCONN;
    if (t->state != SYNACK_CLOSED) return SYNACK_EISCONN;
    if (t->hard_err || t->rport) return SYNACK_EINVAL; /* a used socket is not reused */
    if (addr == 0 || addr == 0xffffffffu || (addr >> 28) == 0xe || port == 0) return SYNACK_EINVAL;
    if (t->bound) {
        if (synack__tcp_lookup(st, st->cfg.addr, t->lport, addr, port)) return SYNACK_EADDRINUSE;
    } else {
        t->lport = synack__tcp_ephemeral_port(st, addr, port);
        if (!t->lport) return SYNACK_EADDRNOTAVAIL;
        t->bound = 1;
    }
    if (synack__tcp_attach_buffers(st, t) < 0) return SYNACK_ENOBUFS;
    t->laddr = st->cfg.addr;
    t->raddr = addr;
    t->rport = port;
    synack__tcp_init_conn(st, t);
    t->iss = tcp_isn_generate(st->cfg.secret, t->laddr, t->lport, t->raddr, t->rport, st->now);
    t->snd_una = t->iss;
    t->snd_nxt = t->snd_max = t->iss + 1;
    t->rcv_adv = 0;
    synack__tcp_hash_insert(st, t);
    synack__tcp_set_state(st, t, SYNACK_SYN_SENT, "user connect");
    /* RFC 7413 with a cookie in hand (TCP_FASTOPEN_CONNECT, as Linux): connect() succeeds at
     * once and the SYN waits for the first send, which it carries. */
    if (t->tfo_connect && synack__tfo_lookup(st, addr)) {
        t->tfo_deferred = 1;
        return 0;
    }
    t->rtt_start = st->now;
    synack__tcp_send_syn(st, t);
    synack__timer_set(st, t, TT_REXMT, st->now + t->rto);
    return SYNACK_EINPROGRESS;
}

/* The first send of a deferred Fast Open connect: up to one segment of data goes in the SYN
 * (the cached MSS of the server, less room for options; RFC 7413 §4.2.1). */
static long tfo_send_syn(struct synack_stack *st, struct tcb *t, const void *buf, size_t len)
{
    struct bufpair *b = tcb_buf(st, t);
    const struct tfo_entry *e = synack__tfo_lookup(st, t->raddr);
    uint32_t room = (e && e->mss && e->mss < t->rcv_mss ? e->mss : t->rcv_mss), n;
    if (!b) return SYNACK_ENOTCONN;
    if (len == 0) return 0;
    room = room > 40 + 64 ? room - 40 : 64;          /* MAX_TCP_OPTION_SPACE, as Linux */
    n = len < room ? (uint32_t)len : room;
    if (n > ring_free(&b->snd)) n = ring_free(&b->snd);
    ring_write_at(&b->snd, 0, buf, n);
    b->snd.len = n;
    t->tfo_deferred = 0;
    t->tfo_syn_len = (uint16_t)n;
    t->snd_nxt = t->snd_max = t->iss + 1 + n;
    t->rtt_start = st->now;
    CNT(st, tcp_tfo_syn_data);
    synack__tcp_send_syn(st, t);
    synack__timer_set(st, t, TT_REXMT, st->now + t->rto);
    return n;
}

/* Bytes send() may queue now: the ring's free space, within the SO_SNDBUF limit. */
static uint32_t snd_space(const struct tcb *t, const struct bufpair *b)
{
    uint32_t n = ring_free(&b->snd);
    if (t->snd_limit && t->snd_limit < b->snd.cap)
        n = b->snd.len >= t->snd_limit ? 0 : t->snd_limit - b->snd.len;
    return n;
}

long synack__sock_send(struct synack_stack *st, int s, const void *buf, size_t len)
{
    struct tcb *t = get(st, s);
    struct bufpair *b;
    uint32_t n;
    if (!t) return SYNACK_EBADF;
    if (t->kind == SK_UDP) {
        if (!t->rport) return SYNACK_EDESTADDRREQ;
        return synack__sock_sendto(st, s, buf, len, t->raddr, t->rport);
    }
    if (!buf && len) return SYNACK_EINVAL;
    if (t->hard_err) {
        int e = t->err ? t->err : SYNACK_EPIPE;
        t->err = 0;
        return e;
    }
    if (t->fin_queued || t->fin_pending) return SYNACK_EPIPE;   /* after SHUT_WR */
    if (t->tfo_deferred) return tfo_send_syn(st, t, buf, len);
    if (t->state == SYNACK_SYN_SENT || t->state == SYNACK_SYN_RCVD) return SYNACK_EAGAIN;
    if (t->state == SYNACK_LISTEN || (t->state == SYNACK_CLOSED && !t->rport)) return SYNACK_ENOTCONN;
    if (!tcp_can_send(t->state)) return SYNACK_EPIPE;          /* the connection has ended */
    b = tcb_buf(st, t);
    if (!b) return SYNACK_ENOTCONN;
    if (len == 0) return 0;
    n = snd_space(t, b);
    if (n == 0) return SYNACK_EAGAIN;
    if (len < n) n = (uint32_t)len;
    ring_write_at(&b->snd, b->snd.len, buf, n);
    b->snd.len += n;
    synack__tcp_mark_dirty(st, t);
    return n;
}

/* After the user reads: a delayed ACK that is pending goes at the next output (unless a reply
 * carries it), and the opened window is announced at once only when it matters, with
 * FreeBSD's tcp_output() thresholds: the right edge moves by at least two segments and by a
 * quarter of the buffer, or the window the peer knows is down to an eighth of it, or the
 * buffer is small (<= 8 segments), or the edge moves by half the buffer; always by at least
 * min(RCV.BUFF/2, MSS) (RFC 9293 §3.8.6.2.2, receiver SWS). While the receiver holds
 * out-of-order data every such step is announced (its ACK also carries SACK blocks). A read
 * from a wide-open window thus costs no segment, as on Linux and FreeBSD (packetdrill's
 * blocking-read). Measured with XFER_SEEDS=20 XFER_VERBOSE=1 build/test-unit transfer against
 * the previous rule (an ACK for every read that freed an MSS), all else equal: 0-1% loss within
 * 4% (clean 0%: 10.1 s against 9.7 s over 20 runs), 10% loss 5-32% slower (the extra ACKs
 * fed the sender's ACK clock while it is RTO-bound). */
static void window_update(struct synack_stack *st, struct tcb *t)
{
    const struct bufpair *b = tcb_buf(st, t);
    uint32_t edge = t->rcv_nxt + ring_free(&b->rcv);
    uint32_t step = b->rcv.cap / 2 < t->rcv_mss ? b->rcv.cap / 2 : t->rcv_mss;
    uint32_t open_now = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    if (!tcp_can_rcv_data(t->state) || MUTANT_OFF(window_update_after_read)) return;
    if (t->ack_pending) {
        /* Send it at the next output unless a reply written meanwhile carries it (Linux's
         * tcp_cleanup_rbuf does this for a drained queue); the delayed-ACK timer would stall
         * a small window. */
        t->ack_on_flush = 1;
        synack__tcp_mark_dirty(st, t);
    }
    if (seq_gt(edge, t->rcv_adv)) {
        uint32_t adv = edge - t->rcv_adv, cap = b->rcv.cap;
        if (adv < step) return;
        if (b->reass.n ||
            ((adv >= 2 * t->rcv_mss && (adv >= cap / 4 || open_now <= cap / 8 || cap <= 8 * t->rcv_mss)) ||
            2 * adv >= cap))
            synack__tcp_send_ack(st, t);
    }
}

long synack__sock_recv(struct synack_stack *st, int s, void *buf, size_t len)
{
    struct tcb *t = get(st, s);
    struct bufpair *b;
    uint32_t n;
    if (!t) return SYNACK_EBADF;
    if (t->kind == SK_UDP) return synack__sock_recvfrom(st, s, buf, len, NULL, NULL);
    if (!buf && len) return SYNACK_EINVAL;
    if (t->state == SYNACK_LISTEN) return SYNACK_ENOTCONN;
    if (t->err && t->hard_err) { int e = t->err; t->err = 0; return e; }
    b = tcb_buf(st, t);
    if (b && b->rcv.len && !t->hard_err) {
        if (len == 0) return 0;
        n = b->rcv.len < len ? b->rcv.len : (uint32_t)len;
        ring_read_at(&b->rcv, 0, buf, n);
        ring_consume(&b->rcv, n);
        window_update(st, t);
        return n;
    }
    if (t->fin_rcvd || t->shut_rd || t->hard_err) return 0;
    if (t->state == SYNACK_CLOSED) return t->rport ? 0 : SYNACK_ENOTCONN;
    if (t->state == SYNACK_TIME_WAIT) return 0;
    return SYNACK_EAGAIN;
}

#define queue_fin synack__tcp_queue_fin

int synack__sock_shutdown(struct synack_stack *st, int s, int how)
{
    struct tcb *t = get(st, s);
    if (!t) return SYNACK_EBADF;
    if (how < SYNACK_SHUT_RD || how > SYNACK_SHUT_RDWR) return SYNACK_EINVAL;
    if (t->kind == SK_UDP) return t->rport ? 0 : SYNACK_ENOTCONN;
    if (!tcp_synchronized(t->state) && t->state != SYNACK_SYN_RCVD) return SYNACK_ENOTCONN;
    /* SHUT_RD, as in Linux: data already queued, and data that still arrives, can be read;
     * once none is left, recv() returns 0 at once instead of EAGAIN. */
    if (how != SYNACK_SHUT_WR) t->shut_rd = 1;
    if (how != SYNACK_SHUT_RD && (t->state == SYNACK_ESTABLISHED || t->state == SYNACK_CLOSE_WAIT))
        queue_fin(st, t, "user shutdown");
    else if (how != SYNACK_SHUT_RD && t->state == SYNACK_SYN_RCVD)
        t->fin_pending = 1;     /* RFC 9293 §3.10.4: the FIN follows once ESTABLISHED */
    return 0;
}

/* ABORT (RFC 9293 §3.10.5): RST to the peer, then CLOSED. */
static void tcp_abort(struct synack_stack *st, struct tcb *t, const char *event)
{
    if (tcp_synchronized(t->state) && t->state != SYNACK_TIME_WAIT)
        synack__tcp_send_ctl(st, t, t->snd_max, SYNACK_RST | SYNACK_ACK);
    synack__tcp_close_conn(st, t, SYNACK_ECONNABORTED, event);
}

static void close_listener(struct synack_stack *st, struct tcb *l)
{
    /* Children: half-open ones vanish; completed but unaccepted ones are reset (Linux). */
    for (unsigned i = 0; i < st->ntcbs; i++) {
        struct tcb *c = &st->tcbs[i];
        if (c->kind != SK_TCP || c->parent != l->idx) continue;
        c->parent = -1;
        c->user_open = 0;
        if (c->state == SYNACK_CLOSED) synack__tcb_free(st, c);
        else if (c->state == SYNACK_SYN_RCVD) synack__tcp_close_conn(st, c, 0, "listener closed");
        else tcp_abort(st, c, "listener closed");
    }
    synack__syncache_drop_listener(st, l);
    l->acc_head = l->acc_tail = -1;
    l->n_accept = l->n_half = 0;
    synack__tcp_close_conn(st, l, 0, "user close");
}

int synack__sock_close(struct synack_stack *st, int s)
{
    struct tcb *t = get(st, s);
    struct bufpair *b;
    if (!t) return SYNACK_EBADF;
    if (t->kind == SK_UDP) {
        int *pp = &st->udp_socks;
        while (*pp >= 0 && *pp != t->idx) pp = &st->tcbs[*pp].qnext;
        if (*pp >= 0) *pp = t->qnext;
        synack__tcb_free(st, t);
        return 0;
    }
    if (t->state == SYNACK_LISTEN) {
        t->user_open = 0;
        close_listener(st, t);
        return 0;
    }
    t->user_open = 0;
    b = tcb_buf(st, t);
    switch (t->state) {
    case SYNACK_CLOSED:
        synack__tcb_free(st, t);
        return 0;
    case SYNACK_SYN_SENT:
        synack__tcp_close_conn(st, t, 0, "user close");
        return 0;
    case SYNACK_TIME_WAIT:
        if (t->buf >= 0) { synack__buf_free(st, t->buf); t->buf = -1; }
        return 0;
    default: break;
    }
    /* RFC 2525 §2.17 and Linux: closing with unread data, or with SO_LINGER 0, aborts. */
    if (t->linger0 || (b && b->rcv.len)) {
        tcp_abort(st, t, t->linger0 ? "user close (linger 0)" : "user close with unread data");
        return 0;
    }
    if (t->state == SYNACK_ESTABLISHED || t->state == SYNACK_CLOSE_WAIT || t->state == SYNACK_SYN_RCVD) {
        if (t->state == SYNACK_SYN_RCVD) {
            /* Simultaneous open not complete: RFC 9293 §3.10.4 would send a FIN once our SYN
             * is acknowledged; we abort with a RST instead, so the peer learns at once
             * (a documented deviation, docs/conformance.md). */
            synack__tcp_send_ctl(st, t, t->snd_max, SYNACK_RST | SYNACK_ACK);
            synack__tcp_close_conn(st, t, 0, "user close");
            return 0;
        }
        queue_fin(st, t, "user close");
    } else if (t->state == SYNACK_FIN_WAIT_2 && t->timer[TT_2MSL] == SYNACK_TIME_NEVER) {
        synack__timer_set(st, t, TT_2MSL, st->now + st->cfg.fin_wait2_timeout_us);
    }
    return 0;
}

int synack__sock_getsockopt(struct synack_stack *st, int s, int opt, int *val)
{
    struct tcb *t = get(st, s);
    const struct bufpair *b;
    if (!t) return SYNACK_EBADF;
    if (!val) return SYNACK_EINVAL;
    b = tcb_buf(st, t);
    switch (opt) {
    case SYNACK_SO_ERROR: *val = -t->err; t->err = 0; return 0;
    case SYNACK_TCP_STATE: *val = t->state; return 0;
    case SYNACK_SO_RCVBUF: *val = (int)st->cfg.rcvbuf_bytes; return 0;
    case SYNACK_SO_SNDBUF: *val = (int)(t->snd_limit ? t->snd_limit : st->cfg.sndbuf_bytes); return 0;
    case SYNACK_TCP_MAXSEG:
        *val = tcp_synchronized(t->state) ? t->snd_mss : (t->user_mss ? t->user_mss : (int)st->cfg.mtu - 40);
        return 0;
    case SYNACK_TCP_NODELAY: *val = t->nodelay; return 0;
    case SYNACK_TCP_FASTOPEN_CONNECT: *val = t->tfo_connect; return 0;
    case SYNACK_TCP_USER_TIMEOUT: *val = (int)(t->user_timeout_us / 1000); return 0;
    case SYNACK_SO_REUSEADDR: *val = t->reuseaddr; return 0;
    case SYNACK_SO_LINGER_ZERO: *val = t->linger0; return 0;
    case SYNACK_SO_UNREAD: *val = b ? (int)b->rcv.len : 0; return 0;
    case SYNACK_SO_UNSENT: *val = b && t->kind == SK_TCP ? (int)b->snd.len : 0; return 0;
    default: return SYNACK_EINVAL;
    }
}

int synack__sock_setsockopt(struct synack_stack *st, int s, int opt, int val)
{
    struct tcb *t = get(st, s);
    if (!t) return SYNACK_EBADF;
    switch (opt) {
    case SYNACK_TCP_NODELAY: t->nodelay = val != 0; if (val) synack__tcp_mark_dirty(st, t); return 0;
    case SYNACK_TCP_FASTOPEN_CONNECT:       /* Linux: 0 or 1, before connect() only */
        if (val < 0 || val > 1 || t->state != SYNACK_CLOSED || t->rport) return SYNACK_EINVAL;
        t->tfo_connect = (uint8_t)val;
        return 0;
    case SYNACK_TCP_USER_TIMEOUT:           /* Linux: EINVAL for a negative value */
        if (val < 0) return SYNACK_EINVAL;
        t->user_timeout_us = (synack_time_us)val * 1000;
        return 0;
    case SYNACK_SO_REUSEADDR: t->reuseaddr = val != 0; return 0;
    case SYNACK_SO_LINGER_ZERO: t->linger0 = val != 0; return 0;
    case SYNACK_SO_SNDBUF:
        /* The ring is allocated at init; a smaller limit caps what send() accepts. */
        if (val <= 0) return SYNACK_EINVAL;
        t->snd_limit = (uint32_t)val < st->cfg.sndbuf_bytes ? (uint32_t)val : st->cfg.sndbuf_bytes;
        return 0;
    case SYNACK_TCP_MAXSEG:
        if (val < 64 || val > 65535) return SYNACK_EINVAL;
        if (t->state != SYNACK_CLOSED && t->state != SYNACK_LISTEN) return SYNACK_EINVAL;
        t->user_mss = (uint16_t)val;
        return 0;
    default: return SYNACK_EINVAL;
    }
}

int synack__sock_name(struct synack_stack *st, int s, int peer, uint32_t *addr, uint16_t *port)
{
    struct tcb *t = get(st, s);
    if (!t) return SYNACK_EBADF;
    if (peer) {
        if (!t->rport || (t->kind == SK_TCP && t->state == SYNACK_CLOSED && !t->hard_err))
            return SYNACK_ENOTCONN;
        if (addr) *addr = t->raddr;
        if (port) *port = t->rport;
    } else {
        if (addr) *addr = t->laddr;
        if (port) *port = t->lport;
    }
    return 0;
}

int synack__sock_events(struct synack_stack *st, int s)
{
    struct tcb *t = get(st, s);
    const struct bufpair *b;
    int ev = 0;
    if (!t) return SYNACK_EBADF;
    b = tcb_buf(st, t);
    if (t->kind == SK_UDP) return (b && b->rcv.len ? SYNACK_EV_IN : 0) | SYNACK_EV_OUT;
    if (t->state == SYNACK_LISTEN) return t->acc_head >= 0 ? SYNACK_EV_IN : 0;
    if ((b && b->rcv.len) || t->fin_rcvd || t->shut_rd || t->hard_err) ev |= SYNACK_EV_IN;
    if (t->fin_rcvd) ev |= SYNACK_EV_RDHUP;
    if (t->err) ev |= SYNACK_EV_ERR;
    if (t->hard_err || t->tfo_deferred ||
        (tcp_can_send(t->state) && !t->fin_queued && b && snd_space(t, b)))
        ev |= SYNACK_EV_OUT;
    if (t->hard_err || (t->state == SYNACK_CLOSED && t->rport) || (t->fin_rcvd && t->fin_queued) ||
        t->state == SYNACK_TIME_WAIT)
        ev |= SYNACK_EV_HUP;
    return ev;
}

/* ---- UDP ---- */

long synack__sock_sendto(struct synack_stack *st, int s, const void *buf, size_t len,
                            uint32_t addr, uint16_t port)
{
    struct tcb *t = get(st, s);
    uint8_t *p;
    size_t n;
    if (!t) return SYNACK_EBADF;
    if (t->kind != SK_UDP) return addr ? SYNACK_EISCONN : synack__sock_send(st, s, buf, len);
    if (!buf && len) return SYNACK_EINVAL;
    if (!addr) { if (!t->rport) return SYNACK_EDESTADDRREQ; addr = t->raddr; port = t->rport; }
    if (!port) return SYNACK_EINVAL;
    if (len > st->cfg.mtu - IP4_HDR_MIN - UDP_HDR_LEN) return SYNACK_EMSGSIZE;
    if (!t->bound) { int rc = synack__sock_bind(st, s, 0, 0); if (rc < 0) return rc; }
    p = synack__tx_alloc(st);
    if (!p) return SYNACK_EAGAIN;
    n = udp_emit(p + IP4_HDR_MIN, st->cfg.addr, addr, t->lport, port, buf, len);
    ip4_emit(p, st->cfg.addr, addr, IP4_PROTO_UDP, (uint16_t)n, st->ip_id++, 64);
    synack__tx_commit(st, IP4_HDR_MIN + n);
    return (long)len;
}

long synack__sock_recvfrom(struct synack_stack *st, int s, void *buf, size_t len, uint32_t *addr,
                              uint16_t *port)
{
    struct tcb *t = get(st, s);
    struct bufpair *b;
    uint8_t hdr[UDP_REC_HDR];
    uint32_t dlen, n;
    if (!t) return SYNACK_EBADF;
    if (t->kind != SK_UDP) {
        long r = synack__sock_recv(st, s, buf, len);
        if (r >= 0) synack__sock_name(st, s, 1, addr, port);
        return r;
    }
    if (!buf && len) return SYNACK_EINVAL;
    b = tcb_buf(st, t);
    if (!b->rcv.len) return SYNACK_EAGAIN;
    ring_read_at(&b->rcv, 0, hdr, UDP_REC_HDR);
    dlen = rd16(hdr);
    n = dlen < len ? dlen : (uint32_t)len;  /* the rest of a long datagram is discarded */
    ring_read_at(&b->rcv, UDP_REC_HDR, buf, n);
    ring_consume(&b->rcv, UDP_REC_HDR + dlen);
    if (addr) *addr = rd32(hdr + 2);
    if (port) *port = rd16(hdr + 6);
    return n;
}

void synack__udp_input(struct synack_stack *st, const struct ip4_view *ip, const uint8_t *raw,
                       size_t rawlen)
{
    struct udp_view uv;
    struct tcb *t;
    struct bufpair *b;
    uint8_t hdr[UDP_REC_HDR];
    CNT(st, udp_in);
    if (udp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, &uv) != WIRE_OK) {
        CNT(st, udp_drop_malformed);
        return;
    }
    t = udp_find(st, uv.dport);
    if (!t || (t->rport && (t->rport != uv.sport || t->raddr != ip->src))) {
        CNT(st, udp_drop_no_port);
        /* RFC 1122 §3.2.2.1 / RFC 792: port unreachable, never for a broadcast or multicast
         * source (destination is always our unicast address here). */
        if (ip->src != 0 && ip->src != 0xffffffffu && (ip->src >> 28) != 0xe)
            synack__icmp_error(st, ICMP_DEST_UNREACH, ICMP_CODE_PORT_UNREACH, raw, rawlen);
        return;
    }
    b = tcb_buf(st, t);
    if (ring_free(&b->rcv) < UDP_REC_HDR + uv.payload_len) { CNT(st, udp_drop_rcvbuf); return; }
    wr16(hdr, (uint16_t)uv.payload_len);
    wr32(hdr + 2, ip->src);
    wr16(hdr + 6, uv.sport);
    ring_write_at(&b->rcv, b->rcv.len, hdr, UDP_REC_HDR);
    ring_write_at(&b->rcv, b->rcv.len + UDP_REC_HDR, uv.payload, (uint32_t)uv.payload_len);
    b->rcv.len += UDP_REC_HDR + (uint32_t)uv.payload_len;
}
