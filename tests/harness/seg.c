/* Segment-level harness: see seg.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seg.h"
#include "core/seq.h"

/* ---- hooks and capture ---- */

static void on_state(void *ctx, synack_time_us now, int conn, int from, int to, const char *ev)
{
    struct fx *f = ctx;
    struct fx_trans *t;
    if (f->ntr >= SEG_MAX_TRANS) return;
    t = &f->tr[f->ntr++];
    t->conn = conn;
    t->from = from;
    t->to = to;
    t->at = now;
    snprintf(t->ev, sizeof t->ev, "%s", ev ? ev : "");
}

/* Learns the stack's ISS, SND.NXT and window from what it sends on the connection. */
static void learn(struct fx *f, const struct seg *s)
{
    uint32_t end;
    if (!s->ok || s->sport != f->lport || s->dport != f->pport || f->lport == 0) return;
    if (s->flags & SYNACK_RST) return;
    end = s->seq + s->len + ((s->flags & SYNACK_SYN) ? 1u : 0u) + ((s->flags & SYNACK_FIN) ? 1u : 0u);
    if (s->flags & SYNACK_SYN) return;     /* fixtures set iss/snd_nxt from SYNs explicitly */
    if (seq_gt(end, f->snd_nxt)) f->snd_nxt = end;
    f->wnd = s->window;
}

static void on_emit(void *ctx, const uint8_t *pkt, size_t len)
{
    struct fx *f = ctx;
    struct ip4_view ip;
    struct tcp_view tv;
    struct seg *s;
    if (!f->capture) return;
    if (f->qlen == SEG_QMAX) { f->qlost++; return; }
    s = &f->q[(f->qhead + f->qlen) % SEG_QMAX];
    memset(s, 0, offsetof(struct seg, data));
    s->at = f->now;
    if (ip4_parse(pkt, len, &ip) != WIRE_OK) { f->qlen++; return; }
    s->proto = ip.proto;
    s->saddr = ip.src;
    s->daddr = ip.dst;
    if (ip.proto == IP4_PROTO_TCP && tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, &tv) == WIRE_OK) {
        s->ok = 1;
        s->sport = tv.sport;
        s->dport = tv.dport;
        s->seq = tv.seq;
        s->ack = tv.ack;
        s->flags = tv.flags;
        s->window = tv.window;
        s->opts = tv.opts;
        s->len = (uint32_t)tv.payload_len;
        memcpy(s->data, tv.payload, tv.payload_len < sizeof s->data ? tv.payload_len : sizeof s->data);
        learn(f, s);
    }
    f->qlen++;
}

/* ---- life cycle ---- */

struct fx *fx_new(void (*adjust)(struct synack_config *cfg))
{
    struct fx *f = calloc(1, sizeof *f);
    int rc;
    if (!f) { test_fail(__FILE__, __LINE__, "out of memory"); return NULL; }
    synack_config_default(&f->cfg);
    f->cfg.addr = SEG_STACK_ADDR;
    for (int i = 0; i < 16; i++) f->cfg.secret[i] = (uint8_t)(0x5a ^ (i * 7));
    f->cfg.max_sockets = 16;
    f->cfg.max_buffers = 8;
    f->cfg.rcvbuf_bytes = SEG_BUF;
    f->cfg.sndbuf_bytes = SEG_BUF;
    f->cfg.tx_queue_frames = 64;
    f->cfg.hooks.ctx = f;
    f->cfg.hooks.on_state = on_state;
    if (adjust) adjust(&f->cfg);
    f->cfg.hooks.ctx = f;
    f->cfg.hooks.on_state = on_state;
    rc = synack_stack_new(&f->cfg, &f->st);
    if (rc) {
        test_fail(__FILE__, __LINE__, "synack_stack_new: %d", rc);
        free(f);
        return NULL;
    }
    f->now = SEG_T0;
    synack_set_now(f->st, f->now);
    f->ls = f->s = f->conn = -1;
    f->conn_since = -1;
    f->pport = SEG_PEER_PORT;
    f->peer_iss = f->peer_nxt = SEG_PEER_ISS;
    f->peer_wnd = 65535;
    f->peer_mss = 1460;
    f->capture = 1;
    return f;
}

void fx_track(struct fx *f, int handle)
{
    if (handle >= 0 && f->nextra < SEG_MAX_HANDLES) f->extra[f->nextra++] = handle;
}

void fx_finish(struct fx *f)
{
    struct synack_mem_stats m;
    synack_time_us end;
    int failed_before = test_failed;
    f->capture = 0;
    synack_set_now(f->st, f->now);
    for (int i = 0; i < f->nextra; i++) synack_close(f->st, f->extra[i]);
    if (f->s >= 0 && !f->orphan) synack_close(f->st, f->s);
    if (f->ls >= 0) synack_close(f->st, f->ls);
    fx_poll(f);
    /* Every timer runs out: retransmissions give up (data_retries), FIN_WAIT_2 and TIME_WAIT
     * expire. Then once more past 2*MSL. */
    end = f->now + 4 * 3600 * SEG_S;
    for (int i = 0; i < 100000; i++) {
        synack_time_us t = synack_poll_at(f->st);
        if (t == SYNACK_TIME_NEVER || t > end) break;
        if (t > f->now) f->now = t;
        fx_poll(f);
    }
    f->now += 2 * f->cfg.msl_us + f->cfg.fin_wait2_timeout_us + 1;
    fx_poll(f);
    synack_mem_stats(f->st, &m);
    if (!failed_before && (m.sockets_in_use || m.buffers_in_use || m.timers_armed || m.tx_queued ||
                           m.half_open))
        test_fail(__FILE__, __LINE__, "pools not empty at the end: sockets %u buffers %u timers %u tx %u "
                  "half-open %u", m.sockets_in_use, m.buffers_in_use, m.timers_armed, m.tx_queued, m.half_open);
    synack_stack_free(f->st);
    free(f);
}

/* ---- the peer ---- */

struct tcp_opts fx_peer_syn_opts(const struct fx *f)
{
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    if (f->peer_mss) { o.has_mss = 1; o.mss = f->peer_mss; }
    return o;
}

void fx_inject(struct fx *f, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
               uint32_t ack, uint16_t window, const struct tcp_opts *opts, const void *data,
               size_t len)
{
    static uint8_t pkt[65536];    /* up to a 64 KiB GRO aggregate (test_gro.c) */
    struct tcp_opts none;
    size_t tl;
    memset(&none, 0, sizeof none);
    if (len > 65535 - IP4_HDR_MIN - 60) len = 65535 - IP4_HDR_MIN - 60;
    tl = tcp_emit(pkt + IP4_HDR_MIN, SEG_PEER_ADDR, SEG_STACK_ADDR, sport, dport, seq, ack, flags,
                  window, opts ? opts : &none, data, len);
    ip4_emit(pkt, SEG_PEER_ADDR, SEG_STACK_ADDR, IP4_PROTO_TCP, (uint16_t)tl, 0x4242, 64);
    synack_input(f->st, f->now, pkt, IP4_HDR_MIN + tl);
    fx_poll(f);
}

void fx_in(struct fx *f, uint8_t flags, uint32_t seq, uint32_t ack, const void *data, size_t len)
{
    fx_inject(f, f->pport, f->lport, flags, seq, ack, f->peer_wnd, NULL, data, len);
}

void fx_peer(struct fx *f, uint8_t flags, const void *data, size_t len)
{
    uint32_t seq = f->peer_nxt;
    f->peer_nxt += (uint32_t)len + ((flags & SYNACK_SYN) ? 1u : 0u) + ((flags & SYNACK_FIN) ? 1u : 0u);
    if (flags & SYNACK_SYN) {
        struct tcp_opts o = fx_peer_syn_opts(f);
        fx_inject(f, f->pport, f->lport, flags, seq, (flags & SYNACK_ACK) ? f->snd_nxt : 0,
                  f->peer_wnd, &o, data, len);
    } else {
        fx_in(f, flags, seq, (flags & SYNACK_ACK) ? f->snd_nxt : 0, data, len);
    }
}

/* ---- time ---- */

void fx_poll(struct fx *f)
{
    synack_poll(f->st, f->now, on_emit, f);
}

void fx_run_to(struct fx *f, synack_time_us end)
{
    for (int i = 0; i < 1000000; i++) {
        synack_time_us t = synack_poll_at(f->st);
        if (t > end) break;
        if (t > f->now) f->now = t;
        fx_poll(f);
    }
    if (end > f->now) f->now = end;
    synack_set_now(f->st, f->now);
}

void fx_run(struct fx *f, synack_time_us dt)
{
    fx_run_to(f, f->now + dt);
}

int fx_run_until_output(struct fx *f, synack_time_us max_dt)
{
    synack_time_us end = f->now + max_dt;
    for (int i = 0; i < 1000000 && !f->qlen; i++) {
        synack_time_us t = synack_poll_at(f->st);
        if (t > end) break;
        if (t > f->now) f->now = t;
        fx_poll(f);
    }
    if (!f->qlen && end > f->now) { f->now = end; synack_set_now(f->st, f->now); }
    return f->qlen > 0;
}

/* ---- output ---- */

int fx_pending(const struct fx *f) { return f->qlen; }

int fx_pop(struct fx *f, struct seg *out)
{
    if (!f->qlen) return 0;
    if (out) *out = f->q[f->qhead];
    f->qhead = (f->qhead + 1) % SEG_QMAX;
    f->qlen--;
    return 1;
}

void fx_flush(struct fx *f) { f->qhead = f->qlen = 0; }

const char *fx_flags_str(uint8_t flags, char *buf, size_t len)
{
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    static const int order[8] = {1, 2, 0, 3, 4, 5, 6, 7};  /* SYN RST FIN PSH ACK ... */
    size_t off = 0;
    buf[0] = 0;
    for (int k = 0; k < 8; k++) {
        int i = order[k];
        if (!(flags & (1 << i))) continue;
        off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "%s%s", off ? "|" : "", names[i]);
        if (off >= len) break;
    }
    if (!flags) snprintf(buf, len, "none");
    return buf;
}

const char *fx_seg_str(const struct seg *s, char *buf, size_t len)
{
    char fl[48];
    if (s->proto != IP4_PROTO_TCP) { snprintf(buf, len, "non-TCP packet (protocol %u)", s->proto); return buf; }
    if (!s->ok) { snprintf(buf, len, "malformed TCP segment"); return buf; }
    snprintf(buf, len, "%s seq=%u ack=%u len=%u win=%u %u->%u at %.6fs",
             fx_flags_str(s->flags, fl, sizeof fl), s->seq, s->ack, s->len, s->window, s->sport,
             s->dport, (double)s->at / 1e6);
    return buf;
}

int fx_expect_(struct fx *f, const char *file, int line, uint8_t flags, uint32_t seq,
               uint32_t ack, int check_ack, struct seg *out)
{
    struct seg s;
    char b1[160], b2[48];
    if (!fx_pop(f, &s)) {
        test_fail(file, line, "expected %s seq=%u ack=%u, got nothing",
                  fx_flags_str(flags, b2, sizeof b2), seq, ack);
        return -1;
    }
    if (out) *out = s;
    if (!s.ok || s.flags != flags || s.seq != seq || (check_ack && s.ack != ack)) {
        test_fail(file, line, "expected %s seq=%u ack=%u, got %s", fx_flags_str(flags, b2, sizeof b2),
                  seq, check_ack ? ack : 0, fx_seg_str(&s, b1, sizeof b1));
        return -1;
    }
    return 0;
}

int fx_expect_none_(struct fx *f, const char *file, int line)
{
    struct seg s;
    char b[160];
    if (f->qlost) {
        test_fail(file, line, "%d packets lost from the capture queue", f->qlost);
        return -1;
    }
    if (fx_pop(f, &s)) {
        test_fail(file, line, "expected no segment, got %s (%d more)", fx_seg_str(&s, b, sizeof b), f->qlen);
        return -1;
    }
    return 0;
}

/* ---- states ---- */

/* Follows a connection through the trace from index `since`. A half-open connection of a
 * listener may be traced with id -1 (a syncache entry, not a socket); when the final ACK turns
 * it into a socket, that socket's history starts with its own CLOSED -> SYN_RCVD, which is the
 * same connection: follow it. *via receives the index of that hand-over (or -1). */
static int conn_state_via(const struct fx *f, int conn, int since, int *via)
{
    int st = -1;
    if (via) *via = -1;
    if (since < 0) return -1;
    for (int i = since; i < f->ntr; i++) {
        const struct fx_trans *t = &f->tr[i];
        if (conn == -1 && i > since && t->conn >= 0 && t->from == SYNACK_CLOSED && t->to == SYNACK_SYN_RCVD) {
            int r = conn_state_via(f, t->conn, i, NULL);
            if (via) *via = i;
            return r;
        }
        if (t->conn != conn) continue;
        st = t->to;
        if (st == SYNACK_CLOSED) return st;     /* that incarnation ended */
    }
    return st;
}

int fx_conn_state(const struct fx *f, int conn, int since)
{
    return conn_state_via(f, conn, since, NULL);
}

int fx_state(struct fx *f)
{
    int v;
    if (f->s >= 0 && !f->orphan) {
        if (synack_getsockopt(f->st, f->s, SYNACK_TCP_STATE, &v) == 0) return v;
        return -1;
    }
    return fx_conn_state(f, f->conn, f->conn_since);
}

int fx_new_child(const struct fx *f, int since)
{
    int via = -1;
    if (f->conn_since >= 0 && f->ntr > 0) conn_state_via(f, f->conn, f->conn_since, &via);
    for (int i = since; i < f->ntr; i++)
        if (f->tr[i].from == SYNACK_CLOSED && f->tr[i].to == SYNACK_SYN_RCVD && i != via &&
            i != f->conn_since)
            return i;
    return -1;
}

int fx_so_error(struct fx *f, int s)
{
    int v;
    if (synack_getsockopt(f->st, s, SYNACK_SO_ERROR, &v) != 0) return -1;
    return v;
}

int fx_sockopt(struct fx *f, int s, int opt)
{
    int v;
    if (synack_getsockopt(f->st, s, opt, &v) != 0) return -1000;
    return v;
}

const char *fx_states_str(const struct fx *f, int conn, int since, char *buf, size_t len)
{
    size_t off = 0;
    int first = 1;
    buf[0] = 0;
    for (int i = since < 0 ? 0 : since; i < f->ntr && off + 16 < len; i++) {
        if (f->tr[i].conn != conn) continue;
        if (first) {
            off += (size_t)snprintf(buf + off, len - off, "%s", synack_state_name(f->tr[i].from));
            first = 0;
        }
        off += (size_t)snprintf(buf + off, len - off, " %s", synack_state_name(f->tr[i].to));
        if (f->tr[i].to == SYNACK_CLOSED) break;
    }
    return buf;
}

uint64_t fx_counter(const struct fx *f, enum synack_counter c) { return synack_counter_get(f->st, c); }

unsigned fx_sockets(const struct fx *f)
{
    struct synack_mem_stats m;
    synack_mem_stats(f->st, &m);
    return m.sockets_in_use;
}

/* ---- fixtures ---- */


static int require_seg(struct fx *f, int line, uint8_t flags, uint32_t seq, uint32_t ack,
                       int check_seq, struct seg *out)
{
    struct seg s;
    char b1[160], b2[48];
    if (!fx_pop(f, &s)) {
        test_fail(__FILE__, line, "fixture: expected %s, the stack sent nothing", fx_flags_str(flags, b2, sizeof b2));
        return -1;
    }
    if (!s.ok || s.flags != flags || (check_seq && s.seq != seq) || s.ack != ack) {
        test_fail(__FILE__, line, "fixture: expected %s seq=%u ack=%u, got %s", fx_flags_str(flags, b2, sizeof b2),
                  seq, ack, fx_seg_str(&s, b1, sizeof b1));
        return -1;
    }
    if (out) *out = s;
    return 0;
}

static int require_none(struct fx *f, int line)
{
    struct seg s;
    char b[160];
    if (fx_pop(f, &s)) {
        test_fail(__FILE__, line, "fixture: unexpected %s", fx_seg_str(&s, b, sizeof b));
        return -1;
    }
    return 0;
}

static int require_state(struct fx *f, int line, int want)
{
    int got = fx_state(f);
    if (got != want) {
        test_fail(__FILE__, line, "fixture: state %s, expected %s", synack_state_name(got), synack_state_name(want));
        return -1;
    }
    return 0;
}

int fx_to_closed(struct fx *f)
{
    f->lport = SEG_PORT_CLOSED;
    f->pport = SEG_PEER_PORT;
    FX_REQUIRE(fx_sockets(f) == 0, "fixture: sockets in use at the start");
    return 0;
}

int fx_to_listen(struct fx *f)
{
    f->ls = synack_socket(f->st, SYNACK_SOCK_STREAM);
    FX_REQUIRE(f->ls >= 0, "fixture: socket: errno %d", errno);
    FX_REQUIRE(synack_bind(f->st, f->ls, 0, SEG_PORT_LISTEN) == 0, "fixture: bind: errno %d", errno);
    FX_REQUIRE(synack_listen(f->st, f->ls, 8) == 0, "fixture: listen: errno %d", errno);
    f->lport = SEG_PORT_LISTEN;
    f->pport = SEG_PEER_PORT;
    fx_poll(f);
    FX_REQUIRE(fx_sockopt(f, f->ls, SYNACK_TCP_STATE) == SYNACK_LISTEN, "fixture: listener not in LISTEN");
    return require_none(f, __LINE__);
}

int fx_to_syn_rcvd(struct fx *f)
{
    struct tcp_opts o;
    int mark, i;
    if (fx_to_listen(f)) return -1;
    o = fx_peer_syn_opts(f);
    mark = f->ntr;
    f->peer_nxt = f->peer_iss + 1;
    fx_inject(f, f->pport, f->lport, SYNACK_SYN, f->peer_iss, 0, f->peer_wnd, &o, NULL, 0);
    if (require_seg(f, __LINE__, SYNACK_SYN | SYNACK_ACK, 0, f->peer_nxt, 0, &f->syn)) return -1;
    f->iss = f->syn.seq;
    f->snd_nxt = f->iss + 1;
    f->wnd = f->syn.window;
    if (require_none(f, __LINE__)) return -1;
    i = fx_new_child(f, mark);
    FX_REQUIRE(i >= 0, "fixture: no CLOSED -> SYN_RCVD transition for the SYN");
    f->conn = f->tr[i].conn;
    f->conn_since = i;
    return require_state(f, __LINE__, SYNACK_SYN_RCVD);
}

int fx_to_established(struct fx *f)
{
    uint32_t addr;
    uint16_t port;
    int via;
    if (fx_to_syn_rcvd(f)) return -1;
    fx_peer(f, SYNACK_ACK, NULL, 0);
    if (require_none(f, __LINE__)) return -1;
    FX_REQUIRE(conn_state_via(f, f->conn, f->conn_since, &via) == SYNACK_ESTABLISHED,
               "fixture: half-open connection in %s after the handshake ACK",
               synack_state_name(fx_conn_state(f, f->conn, f->conn_since)));
    f->s = synack_accept(f->st, f->ls, &addr, &port);
    FX_REQUIRE(f->s >= 0, "fixture: accept: errno %d", errno);
    FX_REQUIRE(addr == SEG_PEER_ADDR && port == f->pport, "fixture: accept returned the wrong peer");
    if (via >= 0) {
        FX_REQUIRE(f->s == f->tr[via].conn, "fixture: accepted handle %d is not the on_state id %d",
                   f->s, f->tr[via].conn);
        f->conn_since = via;
    } else {
        FX_REQUIRE(f->s == f->conn, "fixture: accepted handle %d is not the on_state id %d", f->s, f->conn);
    }
    f->conn = f->s;
    if (require_state(f, __LINE__, SYNACK_ESTABLISHED)) return -1;
    FX_REQUIRE(fx_so_error(f, f->s) == 0, "fixture: SO_ERROR set after accept");
    return 0;
}

int fx_to_syn_sent(struct fx *f)
{
    int mark = f->ntr;
    f->pport = SEG_PEER_PORT;
    f->s = synack_socket(f->st, SYNACK_SOCK_STREAM);
    FX_REQUIRE(f->s >= 0, "fixture: socket: errno %d", errno);
    FX_REQUIRE(synack_connect(f->st, f->s, SEG_PEER_ADDR, f->pport) == -1 && errno == EINPROGRESS,
               "fixture: connect did not return EINPROGRESS (errno %d)", errno);
    fx_poll(f);
    if (!fx_pop(f, &f->syn) || !f->syn.ok || f->syn.flags != SYNACK_SYN || f->syn.dport != f->pport) {
        char b[160];
        test_fail(__FILE__, __LINE__, "fixture: expected our SYN, got %s", fx_seg_str(&f->syn, b, sizeof b));
        return -1;
    }
    f->lport = f->syn.sport;
    f->iss = f->syn.seq;
    f->snd_nxt = f->iss + 1;
    f->wnd = f->syn.window;
    f->conn = f->s;
    f->conn_since = mark;
    for (int i = mark; i < f->ntr; i++)
        if (f->tr[i].conn == f->s && f->tr[i].to == SYNACK_SYN_SENT) { f->conn_since = i; break; }
    if (require_none(f, __LINE__)) return -1;
    return require_state(f, __LINE__, SYNACK_SYN_SENT);
}

int fx_to_syn_rcvd_active(struct fx *f)
{
    struct seg s;
    if (fx_to_syn_sent(f)) return -1;
    fx_peer(f, SYNACK_SYN, NULL, 0);
    if (require_seg(f, __LINE__, SYNACK_SYN | SYNACK_ACK, f->iss, f->peer_nxt, 1, &s)) return -1;
    f->wnd = s.window;
    if (require_none(f, __LINE__)) return -1;
    return require_state(f, __LINE__, SYNACK_SYN_RCVD);
}

int fx_to_established_active(struct fx *f)
{
    if (fx_to_syn_sent(f)) return -1;
    fx_peer(f, SYNACK_SYN | SYNACK_ACK, NULL, 0);
    if (require_seg(f, __LINE__, SYNACK_ACK, f->iss + 1, f->peer_nxt, 1, NULL)) return -1;
    if (require_none(f, __LINE__)) return -1;
    if (require_state(f, __LINE__, SYNACK_ESTABLISHED)) return -1;
    FX_REQUIRE(fx_so_error(f, f->s) == 0, "fixture: SO_ERROR set after connect");
    return 0;
}

int fx_to_close_wait(struct fx *f)
{
    if (fx_to_established(f)) return -1;
    fx_peer(f, SYNACK_FIN | SYNACK_ACK, NULL, 0);
    if (require_seg(f, __LINE__, SYNACK_ACK, f->snd_nxt, f->peer_nxt, 1, NULL)) return -1;
    if (require_none(f, __LINE__)) return -1;
    return require_state(f, __LINE__, SYNACK_CLOSE_WAIT);
}

/* close() the handle and expect our FIN at SND.NXT. */
static int close_expect_fin(struct fx *f)
{
    uint32_t fin_seq = f->snd_nxt;
    FX_REQUIRE(synack_close(f->st, f->s) == 0, "fixture: close: errno %d", errno);
    f->orphan = 1;
    fx_poll(f);
    return require_seg(f, __LINE__, SYNACK_FIN | SYNACK_ACK, fin_seq, f->peer_nxt, 1, NULL);
}

int fx_to_last_ack(struct fx *f)
{
    if (fx_to_close_wait(f)) return -1;
    if (close_expect_fin(f)) return -1;
    if (require_none(f, __LINE__)) return -1;
    return require_state(f, __LINE__, SYNACK_LAST_ACK);
}

int fx_to_fin_wait_1(struct fx *f)
{
    if (fx_to_established(f)) return -1;
    if (close_expect_fin(f)) return -1;
    if (require_none(f, __LINE__)) return -1;
    return require_state(f, __LINE__, SYNACK_FIN_WAIT_1);
}

int fx_to_fin_wait_2(struct fx *f)
{
    if (fx_to_fin_wait_1(f)) return -1;
    fx_peer(f, SYNACK_ACK, NULL, 0);
    if (require_none(f, __LINE__)) return -1;
    return require_state(f, __LINE__, SYNACK_FIN_WAIT_2);
}

int fx_to_closing(struct fx *f)
{
    uint32_t seq;
    if (fx_to_fin_wait_1(f)) return -1;
    /* The peer's FIN crosses ours: it acknowledges our data (SND.NXT - 1), not our FIN. */
    seq = f->peer_nxt++;
    fx_in(f, SYNACK_FIN | SYNACK_ACK, seq, f->snd_nxt - 1, NULL, 0);
    if (require_seg(f, __LINE__, SYNACK_ACK, f->snd_nxt, f->peer_nxt, 1, NULL)) return -1;
    if (require_none(f, __LINE__)) return -1;
    return require_state(f, __LINE__, SYNACK_CLOSING);
}

int fx_to_time_wait(struct fx *f)
{
    if (fx_to_fin_wait_2(f)) return -1;
    fx_peer(f, SYNACK_FIN | SYNACK_ACK, NULL, 0);
    if (require_seg(f, __LINE__, SYNACK_ACK, f->snd_nxt, f->peer_nxt, 1, NULL)) return -1;
    if (require_none(f, __LINE__)) return -1;
    return require_state(f, __LINE__, SYNACK_TIME_WAIT);
}
