/* The stack object: configuration, pools, the IPv4 demultiplexer, ICMP (echo, errors with a
 * rate limit), the transmit queue, counters, and synack_poll()/synack_poll_at().
 *
 * RFCs: 791 (IPv4), 792 (ICMP), 1122 §3.2.2 (ICMP errors: never about ICMP errors, broadcast
 * or fragments), 768 (UDP). Packets are bare IPv4: what a TUN device with IFF_NO_PI carries. */
#include "stack.h"
#include "mutants.h"
#include "siphash.h"
#include <stdlib.h>
#include <string.h>

static const char *const counter_names[] = {
#define X(name, doc) #name,
    SYNACK_COUNTERS(X)
#undef X
};
static const char *const counter_docs[] = {
#define X(name, doc) doc,
    SYNACK_COUNTERS(X)
#undef X
};

const char *synack_counter_name(enum synack_counter c)
{ return (unsigned)c < SYNACK_NCOUNTERS ? counter_names[c] : "?"; }
const char *synack_counter_doc(enum synack_counter c)
{ return (unsigned)c < SYNACK_NCOUNTERS ? counter_docs[c] : "?"; }
uint64_t synack_counter_get(const struct synack_stack *st, enum synack_counter c)
{ return (unsigned)c < SYNACK_NCOUNTERS ? st->counters[c] : 0; }

void synack_config_default(struct synack_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->addr = 0x0a4d0002; /* 10.77.0.2 */
    cfg->max_sockets = 1024;
    cfg->max_buffers = 256;
    cfg->rcvbuf_bytes = 64 * 1024;
    cfg->sndbuf_bytes = 64 * 1024;
    cfg->mtu = 1500;
    cfg->tx_queue_frames = 512;
    cfg->syn_backlog = 256;
    cfg->msl_us = 30 * 1000000LL;
    cfg->rto_initial_us = 1000000;
    cfg->rto_min_us = 200000;
    cfg->rto_max_us = 60 * 1000000LL;
    cfg->delack_us = 40000;
    cfg->syn_retries = 6;
    cfg->synack_retries = 5;
    cfg->data_retries = 15;
    cfg->orphan_retries = 8;
    cfg->fin_wait2_timeout_us = 60 * 1000000LL;
    cfg->icmp_ratelimit_per_s = 100;
    cfg->challenge_ack_limit = 10;
    cfg->invalid_ratelimit_us = 500000;
    cfg->rst_ratelimit_per_s = 200;
    cfg->syncookies = SYNACK_SYNCOOKIES_AUTO;
    cfg->syncache_entries = 4096;
    cfg->syncache_bucket_limit = 16;
    cfg->window_scaling = 1;
    cfg->timestamps = 1;
}

int synack_stack_new(const struct synack_config *cfg, struct synack_stack **out)
{
    struct synack_stack *st;
    size_t hsize = 16, bufbytes;
    unsigned i;
    if (!cfg || !out) return SYNACK_EINVAL;
    *out = NULL;
    if (cfg->max_sockets < 2 || cfg->max_sockets > (1u << 24) || cfg->mtu < 68 ||
        cfg->mtu > 65535 || cfg->rcvbuf_bytes < 2048 || cfg->sndbuf_bytes < 2048 ||
        cfg->rcvbuf_bytes > (1u << 30) || cfg->sndbuf_bytes > (1u << 30) ||
        cfg->tx_queue_frames < 4 || cfg->rto_min_us <= 0 || cfg->rto_initial_us <= 0 ||
        cfg->rto_max_us < cfg->rto_min_us || cfg->rto_initial_us > cfg->rto_max_us ||
        cfg->rto_max_us > 3600LL * 1000000 || cfg->msl_us < 0 || cfg->msl_us > 3600LL * 1000000 ||
        cfg->synack_retries > 15)
        return SYNACK_EINVAL;
    st = calloc(1, sizeof *st);
    if (!st) return SYNACK_ENOMEM;
    st->cfg = *cfg;
    if (st->cfg.max_buffers == 0 || st->cfg.max_buffers > cfg->max_sockets)
        st->cfg.max_buffers = cfg->max_sockets;
    while (hsize < cfg->max_sockets) hsize <<= 1;
    st->ntcbs = cfg->max_sockets;
    st->nbufs = st->cfg.max_buffers;
    bufbytes = (size_t)cfg->rcvbuf_bytes + cfg->sndbuf_bytes;
    st->tcbs = calloc(st->ntcbs, sizeof *st->tcbs);
    st->bufs = calloc(st->nbufs, sizeof *st->bufs);
    st->buf_mem = malloc(bufbytes * st->nbufs);
    st->hash = malloc(hsize * sizeof *st->hash);
    st->heap = malloc(st->ntcbs * sizeof *st->heap);
    st->txq_cap = cfg->tx_queue_frames;
    st->txq_stride = TXQ_HEADROOM + ((cfg->mtu + 7u) & ~7u);
    st->txq = malloc((size_t)st->txq_cap * st->txq_stride);
    st->txq_len = calloc(st->txq_cap, sizeof *st->txq_len);
    st->txq_meta = calloc(st->txq_cap, sizeof *st->txq_meta);
    st->src_conns = calloc(SRC_BUCKETS, sizeof *st->src_conns);
    if (st->cfg.syncache_entries == 0) st->cfg.syncache_entries = 1;
    st->sc = malloc(synack__syncache_size(st->cfg.syncache_entries));
    if (!st->sc || !st->tcbs || !st->bufs || !st->buf_mem || !st->hash || !st->heap || !st->txq ||
        !st->txq_len || !st->txq_meta || !st->src_conns) {
        synack_stack_free(st);
        return SYNACK_ENOMEM;
    }
    st->bytes_reserved = sizeof *st + st->ntcbs * sizeof *st->tcbs + st->nbufs * sizeof *st->bufs +
                         bufbytes * st->nbufs + hsize * sizeof *st->hash +
                         st->ntcbs * sizeof *st->heap + (size_t)st->txq_cap * st->txq_stride +
                         st->txq_cap * (sizeof *st->txq_len + sizeof *st->txq_meta);
    st->bytes_reserved += synack__syncache_size(st->cfg.syncache_entries) +
                          SRC_BUCKETS * sizeof *st->src_conns;
    synack__syncache_init(st->sc, st->cfg.syncache_entries, st->cfg.syncache_bucket_limit);
    st->hash_mask = (uint32_t)hsize - 1;
    for (i = 0; i < hsize; i++) st->hash[i] = -1;
    st->free_tcb = -1;
    for (i = st->ntcbs; i-- > 0;) {
        st->tcbs[i].idx = (int)i;
        st->tcbs[i].qnext = st->free_tcb;
        st->tcbs[i].heap_pos = -1;
        st->tcbs[i].buf = -1;
        st->tcbs[i].tw_prev = st->tcbs[i].tw_next = -2;
        st->free_tcb = (int)i;
    }
    st->free_buf = -1;
    for (i = st->nbufs; i-- > 0;) {
        struct bufpair *b = &st->bufs[i];
        b->rcv.data = st->buf_mem + bufbytes * i;
        b->rcv.cap = cfg->rcvbuf_bytes;
        b->snd.data = b->rcv.data + cfg->rcvbuf_bytes;
        b->snd.cap = cfg->sndbuf_bytes;
        b->next_free = st->free_buf;
        st->free_buf = (int)i;
    }
    st->listeners = -1;
    st->udp_socks = -1;
    st->dirty_head = -1;
    st->tw_head = st->tw_tail = -1;
    if (!st->cfg.max_timewait || st->cfg.max_timewait > st->ntcbs) st->cfg.max_timewait = st->ntcbs / 2;
    /* Keys for the hash table and the ephemeral port choice are derived from the secret, so
     * that one secret (from the platform's entropy) makes every choice unpredictable. */
    {
        uint64_t k0 = siphash24(cfg->secret, "synack-hash-key0", 16);
        uint64_t k1 = siphash24(cfg->secret, "synack-hash-key1", 16);
        memcpy(st->hash_key, &k0, 8);
        memcpy(st->hash_key + 8, &k1, 8);
        st->ip_id = (uint16_t)k0;
    }
    st->icmp_bucket.tokens = 1000u * (cfg->icmp_ratelimit_per_s < 50 ? cfg->icmp_ratelimit_per_s : 50);
    st->rst_bucket.tokens = 1000u * cfg->rst_ratelimit_per_s;
    *out = st;
    return 0;
}

void synack_stack_free(struct synack_stack *st)
{
    if (!st) return;
    free(st->tcbs);
    free(st->bufs);
    free(st->buf_mem);
    free(st->hash);
    free(st->heap);
    free(st->txq);
    free(st->txq_len);
    free(st->txq_meta);
    free(st->src_conns);
    free(st->sc);
    free(st);
}

void synack_mem_stats(const struct synack_stack *st, struct synack_mem_stats *out)
{
    out->sockets_in_use = st->tcbs_in_use;
    out->sockets_max = st->ntcbs;
    out->buffers_in_use = st->bufs_in_use;
    out->buffers_max = st->nbufs;
    out->timers_armed = st->heap_len;
    out->half_open = synack__syncache_used(st);
    out->tx_queued = st->txq_count;
    out->timewait = st->tw_count;
    out->bytes_reserved = st->bytes_reserved;
}

/* ---- pools ---- */

struct tcb *synack__tcb_alloc(struct synack_stack *st)
{
    struct tcb *t;
    int i, dnext;
    uint8_t in_dirty;
    /* No slot left: a connection in TIME_WAIT gives its own (issue 10: TIME_WAIT churn must
     * not lock live connections out). */
    if (st->free_tcb < 0 && !MUTANT_OFF(timewait_recycle)) synack__timewait_recycle(st);
    i = st->free_tcb;
    if (i < 0) return NULL;
    t = &st->tcbs[i];
    st->free_tcb = t->qnext;
    /* A slot freed while on the output list is still linked there (synack_poll skips free
     * slots): keep its place, or the list would be cut and the connections after it lost. */
    in_dirty = t->in_dirty;
    dnext = t->dnext;
    memset(t, 0, sizeof *t);
    t->idx = i;
    t->hnext = t->parent = t->qnext = t->acc_head = t->acc_tail = -1;
    t->in_dirty = in_dirty;
    t->dnext = in_dirty ? dnext : -1;
    t->heap_pos = -1;
    t->buf = -1;
    t->tw_prev = t->tw_next = -2;
    for (int k = 0; k < TT_NTIMERS; k++) t->timer[k] = SYNACK_TIME_NEVER;
    t->deadline = SYNACK_TIME_NEVER;
    st->tcbs_in_use++;
    return t;
}

void synack__tcb_free(struct synack_stack *st, struct tcb *t)
{
    if (NEVER(t->kind == SK_FREE)) return;
    synack__tw_unlink(st, t);
    synack__timers_clear(st, t);
    if (t->buf >= 0) { synack__buf_free(st, t->buf); t->buf = -1; }
    t->kind = SK_FREE;
    t->state = SYNACK_CLOSED;
    t->qnext = st->free_tcb;               /* stays on the output list if it is there */
    st->free_tcb = t->idx;
    st->tcbs_in_use--;
}

int synack__buf_alloc(struct synack_stack *st)
{
    int b = st->free_buf;
    if (b < 0) return -1;
    st->free_buf = st->bufs[b].next_free;
    st->bufs[b].rcv.head = st->bufs[b].rcv.len = 0;
    st->bufs[b].snd.head = st->bufs[b].snd.len = 0;
    st->bufs[b].reass.n = 0;
    st->bufs_in_use++;
    return b;
}

void synack__buf_free(struct synack_stack *st, int b)
{
    st->bufs[b].next_free = st->free_buf;
    st->free_buf = b;
    st->bufs_in_use--;
}

/* ---- transmit queue ---- */

uint8_t *synack__tx_alloc(struct synack_stack *st)
{
    unsigned slot;
    if (st->txq_count == st->txq_cap) {
        CNT(st, tx_drop_queue_full);
        return NULL;
    }
    slot = (st->txq_head + st->txq_count) % st->txq_cap;
    return st->txq + (size_t)slot * st->txq_stride + TXQ_HEADROOM;
}

void synack__tx_commit_l2(struct synack_stack *st, size_t len, const struct tx_meta *l2)
{
    unsigned slot = (st->txq_head + st->txq_count) % st->txq_cap;
    synack__tx_commit(st, len);
    if (!st->txq_meta[slot].has_mac && l2->has_mac && !MUTANT_OFF(eth_conn_l2)) st->txq_meta[slot] = *l2;
}

void synack__tx_commit(struct synack_stack *st, size_t len)
{
    unsigned slot = (st->txq_head + st->txq_count) % st->txq_cap;
    const uint8_t *p = st->txq + (size_t)slot * st->txq_stride + TXQ_HEADROOM;
    struct tx_meta *m = &st->txq_meta[slot];
    st->txq_len[slot] = (uint16_t)len;
    /* A reply to the frame being processed goes back where that frame came from (eth.h). */
    m->has_mac = st->rx_l2.valid && rd32(p + 16) == st->rx_l2.src_ip && !MUTANT_OFF(eth_reply_tag);
    if (m->has_mac) {
        m->ifindex = st->rx_l2.ifindex;
        memcpy(m->mac, st->rx_l2.mac, 6);
    }
    st->txq_count++;
    CNT(st, ip_out);
}

/* Sends one IPv4 packet with the given payload (copied). Returns 0 or -1 (queue full). */
int synack__ip_send(struct synack_stack *st, uint32_t dst, uint8_t proto, const uint8_t *payload,
                    size_t len)
{
    uint8_t *p;
    if (len + IP4_HDR_MIN > st->cfg.mtu) return -1;
    p = synack__tx_alloc(st);
    if (!p) return -1;
    ip4_emit(p, st->cfg.addr, dst, proto, (uint16_t)len, st->ip_id++, 64);
    memcpy(p + IP4_HDR_MIN, payload, len);
    synack__tx_commit(st, IP4_HDR_MIN + len);
    return 0;
}

/* ---- ICMP ---- */

int synack__bucket_take(struct synack_stack *st, struct synack__bucket *b, uint32_t rate,
                        uint32_t burst)
{
    uint32_t cap = 1000u * burst;           /* tokens in thousandths */
    synack_time_us dt = st->now - b->last;
    if (dt > 0) {
        uint64_t add = (uint64_t)dt * rate / 1000;
        b->tokens = (uint32_t)(b->tokens + add > cap ? cap : b->tokens + add);
        b->last = st->now;
    }
    if (b->tokens < 1000) return 0;
    b->tokens -= 1000;
    return 1;
}

/* ICMP errors: icmp_ratelimit_per_s a second, a burst of at most 50. */
static int icmp_rate_ok(struct synack_stack *st)
{
    uint32_t rate = st->cfg.icmp_ratelimit_per_s;
    if (rate == 0) return 0;
    if (MUTANT_OFF(icmp_ratelimit)) return 1;
    return synack__bucket_take(st, &st->icmp_bucket, rate, rate < 50 ? rate : 50);
}

/* RFC 792: an error carries the original IP header and at least 8 bytes of its data; like
 * Linux we quote as much as fits in 576 bytes. RFC 1122 §3.2.2: the caller never asks for an
 * error about an ICMP error, a fragment or a broadcast. */
void synack__icmp_error(struct synack_stack *st, uint8_t type, uint8_t code, const uint8_t *orig,
                        size_t orig_len)
{
    uint8_t msg[576 - IP4_HDR_MIN];
    size_t quote = orig_len;
    uint32_t dst = rd32(orig + 12);
    if (!icmp_rate_ok(st)) { CNT(st, icmp_unreach_ratelimited); return; }
    if (quote > sizeof msg - ICMP_HDR_LEN) quote = sizeof msg - ICMP_HDR_LEN;
    if (quote + ICMP_HDR_LEN + IP4_HDR_MIN > st->cfg.mtu) quote = st->cfg.mtu - IP4_HDR_MIN - ICMP_HDR_LEN;
    icmp_emit(msg, type, code, 0, orig, quote);
    if (synack__ip_send(st, dst, IP4_PROTO_ICMP, msg, ICMP_HDR_LEN + quote) == 0 &&
        type == ICMP_DEST_UNREACH)
        CNT(st, icmp_unreach_sent);
}

static void icmp_input(struct synack_stack *st, const struct ip4_view *ip)
{
    struct icmp_view iv;
    CNT(st, icmp_in);
    if (icmp_parse(ip->payload, ip->payload_len, &iv) != WIRE_OK) {
        CNT(st, icmp_drop_malformed);
        return;
    }
    if (iv.type == ICMP_ECHO) {
        /* RFC 792 echo: swap addresses, type 0, same identifier, sequence and data. */
        uint8_t *p;
        if (ip->payload_len + IP4_HDR_MIN > st->cfg.mtu) return;
        p = synack__tx_alloc(st);
        if (!p) return;
        ip4_emit(p, st->cfg.addr, ip->src, IP4_PROTO_ICMP, (uint16_t)ip->payload_len, st->ip_id++, 64);
        icmp_emit(p + IP4_HDR_MIN, ICMP_ECHO_REPLY, 0, iv.rest, iv.body, iv.body_len);
        synack__tx_commit(st, IP4_HDR_MIN + ip->payload_len);
        CNT(st, icmp_echo_replies);
    } else if (iv.type == ICMP_DEST_UNREACH) {
        CNT(st, icmp_unreach_in);
        synack__tcp_icmp_error(st, iv.type, iv.code, iv.body, iv.body_len);
    }
}

/* ---- IPv4 input (RFC 791, RFC 1122 §3.2.1) ---- */

void synack_input(struct synack_stack *st, synack_time_us now, const uint8_t *pkt, size_t len)
{
    struct ip4_view ip;
    enum wire_err e;
    if (now > st->now) st->now = now;
    CNT(st, ip_in);
    if (!pkt) { CNT(st, ip_drop_short); return; }
    e = ip4_parse(pkt, len, &ip);
    switch (e) {
    case WIRE_OK: break;
    case WIRE_SHORT: CNT(st, ip_drop_short); return;
    case WIRE_VERSION: CNT(st, ip_drop_version); return;
    case WIRE_CHECKSUM: CNT(st, ip_drop_checksum); return;
    case WIRE_FRAGMENT: CNT(st, ip_drop_fragment); return;
    case WIRE_BAD_OPTION: CNT(st, ip_drop_options); return;
    default: CNT(st, ip_drop_len); return;
    }
    if (ip.dst != st->cfg.addr) { CNT(st, ip_drop_not_ours); return; }
    if (ip.srcroute && !st->cfg.accept_source_route && !MUTANT_OFF(ip_source_route_drop)) { CNT(st, ip_drop_options); return; }
    /* RFC 1122 §3.2.1.3: discard datagrams whose source is not a unicast host address:
     * 0/8 (this network), 127/8 (loopback, not from a link), 224/4 (multicast), 240/4
     * (reserved and limited broadcast), and the network and broadcast addresses of our
     * prefix; 169.254/16 (RFC 3927 link-local) only when configured. Nothing is ever sent back
     * to such a source. A datagram from our own address (a LAND attack, or a loop) would make
     * us answer ourselves. */
    {
        uint8_t a = (uint8_t)(ip.src >> 24);
        unsigned pl = st->cfg.prefix_len;
        uint32_t mask = pl >= 1 && pl <= 30 ? ~(0xffffffffu >> pl) : 0;
        if (ip.src == st->cfg.addr && !MUTANT_OFF(land_drop)) { CNT(st, ip_drop_own_src); return; }
        if (!MUTANT_OFF(bad_source_drop) && (a == 0 || a == 127 || a >= 224 ||
            (mask && (ip.src & mask) == (st->cfg.addr & mask) &&
             ((ip.src & ~mask) == 0 || (ip.src & ~mask) == ~mask)) ||
            ((ip.src >> 16) == 0xa9fe && !st->cfg.accept_link_local))) {
            CNT(st, ip_drop_bad_src);
            return;
        }
    }
    switch (ip.proto) {
    case IP4_PROTO_TCP: synack__tcp_input(st, &ip); break;
    case IP4_PROTO_UDP: synack__udp_input(st, &ip, pkt, ip.total_len); break;
    case IP4_PROTO_ICMP: icmp_input(st, &ip); break;
    default:
        CNT(st, ip_drop_proto);
        /* RFC 1122 §3.2.2.1: protocol unreachable; never for a broadcast source. */
        if (ip.src != 0xffffffffu && ip.src != 0)
            synack__icmp_error(st, ICMP_DEST_UNREACH, ICMP_CODE_PROTO_UNREACH, pkt, ip.total_len);
    }
}

/* ---- poll ---- */

static void tx_drain(struct synack_stack *st, synack__emit_meta_fn emit, void *ctx)
{
    while (st->txq_count) {
        unsigned slot = st->txq_head;
        st->txq_head = (st->txq_head + 1) % st->txq_cap;
        st->txq_count--;
        if (emit)
            emit(ctx, st->txq + (size_t)slot * st->txq_stride + TXQ_HEADROOM, st->txq_len[slot],
                 &st->txq_meta[slot]);
    }
    st->txq_head = 0;
}

struct plain_emit { synack_emit_fn emit; void *ctx; };
static void plain_emit(void *ctx, uint8_t *pkt, size_t len, const struct tx_meta *m)
{
    const struct plain_emit *pe = ctx;
    (void)m;
    if (pe->emit) pe->emit(pe->ctx, pkt, len);
}

void synack_poll(struct synack_stack *st, synack_time_us now, synack_emit_fn emit, void *ctx)
{
    struct plain_emit pe = { emit, ctx };
    synack__poll_meta(st, now, plain_emit, &pe);
}

void synack__poll_meta(struct synack_stack *st, synack_time_us now, synack__emit_meta_fn emit,
                       void *ctx)
{
    if (now > st->now) st->now = now;
    synack__timers_run(st, st->now);
    /* Connections with something to send. tcp_output stops when the queue is full; we drain
     * it to the caller and go on, so a large window is sent in one poll. */
    while (st->dirty_head >= 0) {
        struct tcb *t = &st->tcbs[st->dirty_head];
        st->dirty_head = t->dnext;
        t->in_dirty = 0;
        t->dnext = -1;
        if (t->kind != SK_TCP) continue;
        synack__tcp_output(st, t);
        if (st->txq_count == st->txq_cap) {
            tx_drain(st, emit, ctx);
            if (!t->in_dirty) synack__tcp_output(st, t);
        }
    }
    tx_drain(st, emit, ctx);
}

synack_time_us synack_poll_at(struct synack_stack *st)
{
    if (st->txq_count || st->dirty_head >= 0) return st->now;
    {
        synack_time_us d = synack__syncache_next(st);
        if (st->heap_len && st->tcbs[st->heap[0]].deadline < d) d = st->tcbs[st->heap[0]].deadline;
        return d;
    }
}

/* ---- tracing ---- */

void synack__trace_seg(struct synack_stack *st, enum synack_dir dir, uint32_t saddr, uint32_t daddr,
                       const struct tcp_view *tv)
{
    struct synack_seg_info si;
    if (!st->cfg.hooks.on_segment) return;
    memset(&si, 0, sizeof si);
    si.saddr = saddr;
    si.daddr = daddr;
    si.sport = tv->sport;
    si.dport = tv->dport;
    si.seq = tv->seq;
    si.ack = tv->ack;
    si.flags = tv->flags;
    si.window = tv->window;
    si.len = (uint32_t)tv->payload_len;
    si.has_mss = tv->opts.has_mss;
    si.mss = tv->opts.mss;
    si.has_ws = tv->opts.has_ws;
    si.ws = tv->opts.ws;
    si.sack_ok = tv->opts.sack_ok;
    si.has_ts = tv->opts.has_ts;
    si.tsval = tv->opts.tsval;
    si.tsecr = tv->opts.tsecr;
    st->cfg.hooks.on_segment(st->cfg.hooks.ctx, st->now, dir, &si);
}

/* ---- small utilities ---- */

char *synack_ip_str(uint32_t a, char *buf)
{
    char *p = buf;
    for (int i = 3; i >= 0; i--) {
        unsigned v = (a >> (8 * i)) & 0xff;
        if (v >= 100) *p++ = (char)('0' + v / 100);
        if (v >= 10) *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        if (i) *p++ = '.';
    }
    *p = 0;
    return buf;
}

int synack_ip_parse(const char *s, uint32_t *addr)
{
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) { v = v * 10 + (unsigned)(*s++ - '0'); digits++; }
        if (!digits || digits > 3 || v > 255) return -1;
        a = a << 8 | v;
        if (i < 3 && *s++ != '.') return -1;
    }
    if (*s) return -1;
    *addr = a;
    return 0;
}

const char *synack_state_name(int s)
{
    static const char *const names[SYNACK_NSTATES] = {
        "CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT",
        "FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT"};
    return (unsigned)s < SYNACK_NSTATES ? names[s] : "?";
}
