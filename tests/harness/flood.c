#include <string.h>
#include "flood.h"

size_t flood_craft(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                   uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window,
                   const struct tcp_opts *o, const void *payload, size_t plen)
{
    struct tcp_opts none;
    size_t n;
    if (!o) { memset(&none, 0, sizeof none); o = &none; }
    n = tcp_emit(buf + IP4_HDR_MIN, src, dst, sport, dport, seq, ack, flags, window, o, payload, plen);
    ip4_emit(buf, src, dst, IP4_PROTO_TCP, (uint16_t)n, (uint16_t)seq, 64);
    return IP4_HDR_MIN + n;
}

void flood_linux_syn_opts(struct tcp_opts *o, uint32_t tsval)
{
    memset(o, 0, sizeof *o);
    o->has_mss = 1; o->mss = 1460;
    o->sack_ok = 1;
    o->has_ts = 1; o->tsval = tsval;
    o->has_ws = 1; o->ws = 7;
}

size_t flood_spoofed_syn(uint8_t *buf, uint64_t *rng, uint32_t dst, uint16_t dport)
{
    uint64_t r = flood_rand(rng);
    uint32_t src = FLOOD_SPOOF_NET | (uint32_t)(r & 0xffff);
    uint16_t sport = (uint16_t)(1024 + (r >> 16) % 64511);
    uint32_t isn = (uint32_t)(r >> 32);
    struct tcp_opts o;
    if (r & (1u << 15)) {
        flood_linux_syn_opts(&o, isn ^ 0x5a5a5a5au);
    } else {
        memset(&o, 0, sizeof o);
        o.has_mss = 1; o.mss = 536 + (uint16_t)((r >> 48) % 1000);
    }
    return flood_craft(buf, src, dst, sport, dport, isn, 0, SYNACK_SYN, 64240, &o, NULL, 0);
}

void flood_cap_emit(void *ctx, const uint8_t *pkt, size_t len)
{
    struct flood_cap *c = ctx;
    c->total++;
    if (c->n < FLOOD_CAP_MAX && len <= sizeof c->p[0].data) {
        memcpy(c->p[c->n].data, pkt, len);
        c->p[c->n].len = len;
        c->p[c->n].at = c->now;
        c->n++;
    }
}

int flood_cap_parse(const struct flood_cap *c, int i, struct ip4_view *ip, struct tcp_view *tv)
{
    if (i < 0 || i >= c->n) return -1;
    if (ip4_parse(c->p[i].data, c->p[i].len, ip) != WIRE_OK || ip->proto != IP4_PROTO_TCP) return -1;
    return tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, tv) == WIRE_OK ? 0 : -1;
}

/* ---- the flood world ---- */

static void world_input(void *ctx, synack_time_us now, const uint8_t *pkt, size_t len)
{
    synack_input(ctx, now, pkt, len);
}

/* Client output goes on the link. */
static void cli_emit(void *ctx, const uint8_t *pkt, size_t len)
{
    struct flood_world *w = ctx;
    synack_memlink_send(w->link, w->now, pkt, len);
}

/* Server output: replies to the spoofed range vanish (counted), the rest goes on the link. */
static void srv_emit(void *ctx, const uint8_t *pkt, size_t len)
{
    struct flood_world *w = ctx;
    if (len >= 40 && (rd32(pkt + 16) & FLOOD_SPOOF_MASK) == FLOOD_SPOOF_NET) {
        size_t ihl = (size_t)(pkt[0] & 15) * 4;
        w->spoof_out++;
        if (pkt[9] == IP4_PROTO_TCP && len >= ihl + 20) {
            uint8_t f = pkt[ihl + 13];
            if ((f & (SYNACK_SYN | SYNACK_ACK)) == (SYNACK_SYN | SYNACK_ACK)) w->spoof_out_synack++;
            if (f & SYNACK_RST) w->spoof_out_rst++;
        }
        return;
    }
    synack_memlink_send(w->link, w->now, pkt, len);
}

int flood_world_init(struct flood_world *w, int ncli, uint64_t seed,
                     void (*adjust)(struct synack_config *cfg, int is_server))
{
    struct synack_memlink_config lc;
    struct synack_config cfg;
    memset(w, 0, sizeof *w);
    if (ncli < 0 || ncli > FLOOD_MAX_CLIENTS) return -1;
    w->rng = seed;
    w->now = 1000000;
    synack_memlink_config_default(&lc);
    lc.seed = seed;
    lc.delay_us = 1000;
    w->link = synack_memlink_new(&lc);
    if (!w->link) return -1;
    for (int i = -1; i < ncli; i++) {
        struct synack_stack *st;
        synack_config_default(&cfg);
        cfg.addr = i < 0 ? FLOOD_SERVER_ADDR : FLOOD_CLIENT_ADDR(i);
        for (int k = 0; k < 16; k++) cfg.secret[k] = (uint8_t)(seed * 31 + (uint64_t)k * 7 + (uint64_t)(i + 1) * 101);
        if (adjust) adjust(&cfg, i < 0);
        if (synack_stack_new(&cfg, &st)) return -1;
        if (i < 0) w->srv = st; else w->cli[w->ncli++] = st;
        if (synack_memlink_attach(w->link, cfg.addr, world_input, st) < 0) return -1;
        synack_set_now(st, w->now);
    }
    return 0;
}

void flood_world_free(struct flood_world *w)
{
    synack_memlink_free(w->link);
    synack_stack_free(w->srv);
    for (int i = 0; i < w->ncli; i++) synack_stack_free(w->cli[i]);
    memset(w, 0, sizeof *w);
}

synack_time_us flood_world_next(struct flood_world *w)
{
    synack_time_us t = synack_memlink_next(w->link), p = synack_poll_at(w->srv);
    if (p < t) t = p;
    for (int i = 0; i < w->ncli; i++) {
        p = synack_poll_at(w->cli[i]);
        if (p < t) t = p;
    }
    return t;
}

void flood_world_flush(struct flood_world *w)
{
    synack_poll(w->srv, w->now, srv_emit, w);
    for (int i = 0; i < w->ncli; i++) synack_poll(w->cli[i], w->now, cli_emit, w);
}

void flood_world_advance(struct flood_world *w, synack_time_us t)
{
    if (t > w->now) w->now = t;
    /* Bounded: each round either delivers or polls something due now. */
    for (int round = 0; round < 8 && flood_world_next(w) <= w->now; round++) {
        synack_memlink_deliver(w->link, w->now);
        if (synack_poll_at(w->srv) <= w->now) synack_poll(w->srv, w->now, srv_emit, w);
        for (int i = 0; i < w->ncli; i++)
            if (synack_poll_at(w->cli[i]) <= w->now) synack_poll(w->cli[i], w->now, cli_emit, w);
    }
}

void flood_world_spoof(struct flood_world *w, unsigned n, uint16_t dport)
{
    uint8_t pkt[128];
    for (unsigned i = 0; i < n; i++) {
        size_t len = flood_spoofed_syn(pkt, &w->rng, FLOOD_SERVER_ADDR, dport);
        synack_input(w->srv, w->now, pkt, len);
        w->spoof_in++;
    }
}
