/* The Ethernet layer in virtual time (src/core/eth.c): framing, ARP (RFC 826), the neighbour
 * cache (resolution, REACHABLE -> STALE -> unicast polls, failure), its bounds (entries, held
 * packets, ARP floods), replies to the source MAC of the frame they answer (a spoofed SYN
 * flood never touches the cache), routing by prefix and gateway, several interfaces, and every
 * bad frame dropped with its counter. The last case joins two stacks by a simulated wire and
 * runs a connection through ARP, data and teardown. */
#include <errno.h>
#include <stdlib.h>
#include "synack/eth.h"
#include "synack/socket.h"
#include "core/wire.h"
#include "../harness/test.h"

#define ADDR 0x0a4d0a02u      /* 10.77.10.2: the stack */
#define PEER 0x0a4d0a01u      /* 10.77.10.1: a host on the link */
#define GW 0x0a4d0afeu        /* 10.77.10.254 */
#define OFFLINK 0x0a4e0005u   /* 10.78.0.5 */
#define S 1000000LL
#define MAXF 4096

static const uint8_t MAC0[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t MAC1[6] = { 0x02, 0, 0, 0, 1, 0x02 };
static const uint8_t PMAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t GMAC[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct frame { int ifindex; size_t len; uint8_t b[1600]; };

struct ex {
    struct synack_stack *st;
    struct synack_eth *e;
    synack_time_us now;
    struct frame *f;
    unsigned n;
};

static void cap(void *ctx, int ifindex, const uint8_t *frame, size_t len)
{
    struct ex *x = ctx;
    if (x->n == MAXF || len > sizeof x->f[0].b) return;
    x->f[x->n].ifindex = ifindex;
    x->f[x->n].len = len;
    memcpy(x->f[x->n].b, frame, len);
    x->n++;
}

static void ex_poll(struct ex *x) { synack_eth_poll(x->e, x->now, cap, x); }

static int ex_init(struct ex *x, const struct synack_eth_config *ec, int nifs)
{
    struct synack_config cfg;
    struct synack_eth_config d;
    memset(x, 0, sizeof *x);
    synack_config_default(&cfg);
    cfg.addr = ADDR;
    cfg.rcvbuf_bytes = cfg.sndbuf_bytes = 16384;
    memset(cfg.secret, 7, sizeof cfg.secret);
    x->now = 10 * S;
    x->f = calloc(MAXF, sizeof *x->f);
    if (!x->f || synack_stack_new(&cfg, &x->st) < 0) return -1;
    synack_set_now(x->st, x->now);
    if (!ec) { synack_eth_config_default(&d); ec = &d; }
    if (synack_eth_new(x->st, ec, &x->e) < 0) return -1;
    if (synack_eth_add_if(x->e, MAC0, 24) != 0) return -1;
    if (nifs > 1 && synack_eth_add_if(x->e, MAC1, 24) != 1) return -1;
    ex_poll(x);             /* the announcements */
    x->n = 0;
    return 0;
}

static void ex_free(struct ex *x)
{
    synack_eth_free(x->e);
    synack_stack_free(x->st);
    free(x->f);
}

static uint64_t C(struct ex *x, enum synack_counter c) { return synack_counter_get(x->st, c); }

static size_t eth_hdr(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    wr16(f + 12, type);
    return 14;
}

static size_t arp_frame(uint8_t *f, const uint8_t *dst, const uint8_t *sha, uint16_t op, uint32_t spa,
                        const uint8_t *tha, uint32_t tpa)
{
    size_t o = eth_hdr(f, dst, sha, 0x0806);
    uint8_t *a = f + o;
    wr16(a, 1); wr16(a + 2, 0x0800); a[4] = 6; a[5] = 4; wr16(a + 6, op);
    memcpy(a + 8, sha, 6); wr32(a + 14, spa); memcpy(a + 18, tha, 6); wr32(a + 24, tpa);
    memset(f + o + 28, 0, 18);
    return 60;
}

/* A TCP segment from src:sport to the stack's port in a frame from smac to dmac. */
static size_t tcp_frame(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, uint32_t src,
                        uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
    struct tcp_opts o;
    size_t n;
    memset(&o, 0, sizeof o);
    if (flags & SYNACK_SYN) { o.has_mss = 1; o.mss = 1460; }
    eth_hdr(f, dmac, smac, 0x0800);
    n = tcp_emit(f + 34, src, ADDR, sport, dport, seq, ack, flags, 65535, &o, NULL, 0);
    ip4_emit(f + 14, src, ADDR, IP4_PROTO_TCP, (uint16_t)n, 1, 64);
    return 34 + n;
}

static void in(struct ex *x, int i, const uint8_t *f, size_t len) { synack_eth_input(x->e, x->now, i, f, len); }

static int is_arp(const struct frame *f, uint16_t op)
{ return f->len >= 42 && rd16(f->b + 12) == 0x0806 && rd16(f->b + 20) == op; }
static int is_ip(const struct frame *f) { return f->len >= 34 && rd16(f->b + 12) == 0x0800; }
static int tcp_flags(const struct frame *f) { return f->b[14 + 20 + 13]; }

static int listen_on(struct ex *x, uint16_t port)
{
    int l = synack_socket(x->st, SYNACK_SOCK_STREAM);
    if (l < 0 || synack_bind(x->st, l, ADDR, port) < 0 || synack_listen(x->st, l, 16) < 0) return -1;
    return l;
}

TEST(eth_announce_at_start)
{
    struct ex x;
    struct synack_config cfg;
    struct synack_eth_config ec;
    synack_config_default(&cfg);
    cfg.addr = ADDR;
    memset(&x, 0, sizeof x);
    x.f = calloc(MAXF, sizeof *x.f);
    CHECK(synack_stack_new(&cfg, &x.st) == 0);
    synack_eth_config_default(&ec);
    CHECK(synack_eth_new(x.st, &ec, &x.e) == 0);
    CHECK_EQ(synack_eth_add_if(x.e, MAC0, 24), 0);
    CHECK(synack_eth_poll_at(x.e) <= 0);     /* the announcement is due now */
    ex_poll(&x);
    /* RFC 5227 §3: a broadcast request whose sender and target are both our address. */
    CHECK_EQ(x.n, 1);
    CHECK(is_arp(&x.f[0], 1));
    CHECK(!memcmp(x.f[0].b, BCAST, 6) && !memcmp(x.f[0].b + 6, MAC0, 6));
    CHECK(!memcmp(x.f[0].b + 22, MAC0, 6));
    CHECK_EQ(rd32(x.f[0].b + 28), ADDR);
    CHECK_EQ(rd32(x.f[0].b + 38), ADDR);
    CHECK_EQ(x.f[0].len, 60);                 /* padded to the minimum frame */
    /* Bad interfaces are refused. */
    CHECK(synack_eth_add_if(x.e, BCAST, 24) < 0);
    CHECK(synack_eth_add_if(x.e, MAC1, 0) < 0);
    CHECK(synack_eth_add_if(x.e, MAC1, 33) < 0);
    ex_free(&x);
}

TEST(eth_arp_request_gets_reply_and_learns_sender)
{
    struct ex x;
    uint8_t f[64];
    uint8_t mac[6];
    int ifi = -1;
    CHECK(ex_init(&x, NULL, 1) == 0);
    in(&x, 0, f, arp_frame(f, BCAST, PMAC, 1, PEER, (const uint8_t[6]){0}, ADDR));
    ex_poll(&x);
    CHECK_EQ(x.n, 1);
    CHECK(is_arp(&x.f[0], 2));
    CHECK(!memcmp(x.f[0].b, PMAC, 6));         /* to the requester, unicast */
    CHECK(!memcmp(x.f[0].b + 22, MAC0, 6));    /* sha: our MAC */
    CHECK_EQ(rd32(x.f[0].b + 28), ADDR);
    CHECK(!memcmp(x.f[0].b + 32, PMAC, 6));
    CHECK_EQ(rd32(x.f[0].b + 38), PEER);
    CHECK_EQ(C(&x, SYNACK_C_arp_replies_sent), 1);
    /* RFC 826: "I am the target": the sender is added. */
    CHECK_EQ(synack_eth_neigh_lookup(x.e, PEER, mac, &ifi), SYNACK_NEIGH_REACHABLE);
    CHECK(!memcmp(mac, PMAC, 6) && ifi == 0);
    /* A request for another address is not answered and adds nothing. */
    in(&x, 0, f, arp_frame(f, BCAST, GMAC, 1, GW, (const uint8_t[6]){0}, PEER));
    ex_poll(&x);
    CHECK_EQ(x.n, 1);
    CHECK_EQ(C(&x, SYNACK_C_arp_drop_not_ours), 1);
    CHECK_EQ(synack_eth_neigh_lookup(x.e, GW, NULL, NULL), 0);
    /* ... but it updates an entry we hold (the merge rule): PEER moved to a new MAC. */
    in(&x, 0, f, arp_frame(f, BCAST, GMAC, 1, PEER, (const uint8_t[6]){0}, GW));
    CHECK_EQ(synack_eth_neigh_lookup(x.e, PEER, mac, NULL), SYNACK_NEIGH_REACHABLE);
    CHECK(!memcmp(mac, GMAC, 6));
    /* An unsolicited reply creates no entry (Linux's arp_accept=0). */
    in(&x, 0, f, arp_frame(f, MAC0, GMAC, 2, GW, MAC0, ADDR));
    CHECK_EQ(synack_eth_neigh_lookup(x.e, GW, NULL, NULL), 0);
    /* An RFC 5227 probe (sender 0.0.0.0) for our address is answered, not learnt. */
    x.n = 0;
    in(&x, 0, f, arp_frame(f, BCAST, GMAC, 1, 0, (const uint8_t[6]){0}, ADDR));
    ex_poll(&x);
    CHECK_EQ(x.n, 1);
    CHECK(is_arp(&x.f[0], 2) && !memcmp(x.f[0].b, GMAC, 6));
    struct synack_eth_stats es;
    synack_eth_stats(x.e, &es);
    CHECK_EQ(es.neigh_used, 1);
    ex_free(&x);
}

/* The seed's attack: SYNs from spoofed sources. Each SYN-ACK goes to the frame's source MAC on
 * its interface; no ARP request is made and the neighbour cache stays empty. */
TEST(eth_spoofed_syn_flood_never_touches_neighbour_cache)
{
    struct ex x;
    uint8_t f[128];
    struct synack_eth_stats es;
    CHECK(ex_init(&x, NULL, 1) == 0);
    CHECK(listen_on(&x, 80) >= 0);
    for (unsigned k = 0; k < 2000; k++) {
        uint32_t src = 0x0a4e0000u | (k + 1);      /* 10.78/16, off-link, no gateway */
        in(&x, 0, f, tcp_frame(f, MAC0, PMAC, src, (uint16_t)(1024 + k), 80, k * 7919u, 0, SYNACK_SYN));
        if (k % 100 == 99) ex_poll(&x);
    }
    ex_poll(&x);
    CHECK_EQ(C(&x, SYNACK_C_tcp_syn_in), 2000);
    unsigned synacks = 0;
    for (unsigned k = 0; k < x.n; k++) {
        CHECK(is_ip(&x.f[k]));
        CHECK(!memcmp(x.f[k].b, PMAC, 6) && !memcmp(x.f[k].b + 6, MAC0, 6));
        CHECK_EQ(tcp_flags(&x.f[k]), SYNACK_SYN | SYNACK_ACK);
        synacks++;
    }
    CHECK_EQ(synacks, 2000);
    CHECK_EQ(C(&x, SYNACK_C_arp_requests_sent), 1);    /* the announcement only */
    synack_eth_stats(x.e, &es);
    CHECK_EQ(es.neigh_used, 0);
    CHECK_EQ(C(&x, SYNACK_C_eth_drop_no_route), 0);
    /* The SYN-ACK retransmissions of the half-open entries have no frame to answer: they are
     * routed, and 10.78/16 is off-link with no gateway, so they die here, counted. */
    x.n = 0;
    x.now += 1100000;
    ex_poll(&x);
    CHECK(C(&x, SYNACK_C_tcp_synack_rexmit) > 0);
    CHECK_EQ(C(&x, SYNACK_C_eth_drop_no_route), C(&x, SYNACK_C_tcp_synack_rexmit));
    CHECK_EQ(x.n, 0);
    ex_free(&x);
}

/* Active open to an on-link host: the SYN waits for ARP; the reply releases it. */
TEST(eth_resolution_holds_then_sends)
{
    struct ex x;
    uint8_t f[64];
    CHECK(ex_init(&x, NULL, 1) == 0);
    int h = synack_socket(x.st, SYNACK_SOCK_STREAM);
    CHECK(h >= 0);
    CHECK(synack_connect(x.st, h, PEER, 9000) == 0 || errno == EINPROGRESS);
    ex_poll(&x);
    CHECK_EQ(x.n, 1);                           /* the request, not the SYN */
    CHECK(is_arp(&x.f[0], 1) && !memcmp(x.f[0].b, BCAST, 6));
    CHECK_EQ(rd32(x.f[0].b + 38), PEER);
    CHECK_EQ(synack_eth_neigh_lookup(x.e, PEER, NULL, NULL), SYNACK_NEIGH_INCOMPLETE);
    struct synack_eth_stats es;
    synack_eth_stats(x.e, &es);
    CHECK_EQ(es.pending, 1);
    /* The reply: the SYN goes out at the next poll, to the MAC learnt. */
    x.n = 0;
    x.now += 1000;
    in(&x, 0, f, arp_frame(f, MAC0, PMAC, 2, PEER, MAC0, ADDR));
    CHECK(synack_eth_poll_at(x.e) <= x.now);
    ex_poll(&x);
    CHECK_EQ(x.n, 1);
    CHECK(is_ip(&x.f[0]) && !memcmp(x.f[0].b, PMAC, 6));
    CHECK_EQ(tcp_flags(&x.f[0]), SYNACK_SYN);
    CHECK_EQ(C(&x, SYNACK_C_arp_resolved), 1);
    synack_eth_stats(x.e, &es);
    CHECK_EQ(es.pending, 0);
    ex_free(&x);
}

/* No reply: max_probes requests one probe interval apart (RFC 1122 §2.3.2.1: at most one a
 * second), then the entry and its packets go. The queue per neighbour is bounded. */
TEST(eth_resolution_fails_after_max_probes_and_queue_is_bounded)
{
    struct ex x;
    struct synack_eth_config ec;
    synack_eth_config_default(&ec);
    ec.pending_per_entry = 3;
    CHECK(ex_init(&x, &ec, 1) == 0);
    int u = synack_socket(x.st, SYNACK_SOCK_DGRAM);
    CHECK(u >= 0);
    for (int k = 0; k < 10; k++) CHECK(synack_sendto(x.st, u, "hello", 5, PEER, 7) == 5);
    ex_poll(&x);
    CHECK_EQ(x.n, 1);                           /* one request, however many packets */
    struct synack_eth_stats es;
    synack_eth_stats(x.e, &es);
    CHECK_EQ(es.pending, ec.pending_per_entry);
    CHECK_EQ(C(&x, SYNACK_C_arp_pending_drop), 10 - ec.pending_per_entry);
    for (int k = 0; k < 10; k++) {
        synack_time_us at = synack_eth_poll_at(x.e);
        if (at == SYNACK_TIME_NEVER) break;
        CHECK(at >= x.now);
        x.now = at;
        ex_poll(&x);
    }
    unsigned reqs = 0;
    for (unsigned k = 0; k < x.n; k++) reqs += is_arp(&x.f[k], 1);
    CHECK_EQ(reqs, ec.max_probes);
    CHECK_EQ(x.n, ec.max_probes);
    CHECK_EQ(synack_eth_neigh_lookup(x.e, PEER, NULL, NULL), 0);
    CHECK_EQ(C(&x, SYNACK_C_arp_unresolved_drop), ec.pending_per_entry);
    synack_eth_stats(x.e, &es);
    CHECK_EQ(es.pending, 0);
    CHECK_EQ(es.neigh_used, 0);
    synack_close(x.st, u);
    ex_free(&x);
}

/* REACHABLE for reachable_us, then STALE: still used, polled by unicast; unanswered polls
 * drop it and the next packet resolves afresh by broadcast. */
TEST(eth_entry_goes_stale_and_is_polled_by_unicast)
{
    struct ex x;
    uint8_t f[64];
    struct synack_eth_config ec;
    synack_eth_config_default(&ec);
    CHECK(ex_init(&x, &ec, 1) == 0);
    in(&x, 0, f, arp_frame(f, BCAST, PMAC, 1, PEER, (const uint8_t[6]){0}, ADDR));
    ex_poll(&x);
    x.n = 0;
    int u = synack_socket(x.st, SYNACK_SOCK_DGRAM);
    CHECK(synack_sendto(x.st, u, "a", 1, PEER, 7) == 1);
    ex_poll(&x);
    CHECK_EQ(x.n, 1);
    CHECK(is_ip(&x.f[0]) && !memcmp(x.f[0].b, PMAC, 6));   /* straight out, no ARP */
    x.now += ec.reachable_us;
    synack_set_now(x.st, x.now);
    CHECK_EQ(synack_eth_neigh_lookup(x.e, PEER, NULL, NULL), SYNACK_NEIGH_STALE);
    x.n = 0;
    CHECK(synack_sendto(x.st, u, "b", 1, PEER, 7) == 1);
    ex_poll(&x);
    CHECK_EQ(x.n, 2);                           /* the packet, and a unicast poll */
    CHECK(is_arp(&x.f[0], 1) || is_arp(&x.f[1], 1));
    const struct frame *req = is_arp(&x.f[0], 1) ? &x.f[0] : &x.f[1];
    CHECK(!memcmp(req->b, PMAC, 6));            /* unicast, not broadcast */
    /* Unanswered polls, one per interval while in use. */
    for (unsigned k = 1; k < ec.max_probes; k++) {
        x.now += ec.probe_interval_us;
        CHECK(synack_sendto(x.st, u, "c", 1, PEER, 7) == 1);
        ex_poll(&x);
    }
    x.now += ec.probe_interval_us;
    x.n = 0;
    CHECK(synack_sendto(x.st, u, "d", 1, PEER, 7) == 1);
    ex_poll(&x);
    CHECK_EQ(x.n, 1);                           /* resolved afresh: a broadcast request */
    CHECK(is_arp(&x.f[0], 1) && !memcmp(x.f[0].b, BCAST, 6));
    CHECK_EQ(synack_eth_neigh_lookup(x.e, PEER, NULL, NULL), SYNACK_NEIGH_INCOMPLETE);
    /* A reply confirms it again. */
    in(&x, 0, f, arp_frame(f, MAC0, PMAC, 2, PEER, MAC0, ADDR));
    CHECK_EQ(synack_eth_neigh_lookup(x.e, PEER, NULL, NULL), SYNACK_NEIGH_REACHABLE);
    synack_close(x.st, u);
    ex_free(&x);
}

/* An ARP flood from thousands of on-link senders: the cache keeps its size, the least recently
 * used entries go first, the control queue bounds what one poll sends. */
TEST(eth_arp_flood_keeps_cache_bounded)
{
    struct ex x;
    uint8_t f[64];
    struct synack_eth_config ec;
    struct synack_eth_stats es;
    synack_eth_config_default(&ec);
    ec.neigh_entries = 64;
    ec.ctl_queue = 32;
    CHECK(ex_init(&x, &ec, 1) == 0);
    /* Prefix /24 gives 253 other hosts; /16 would be more, but 253 > 64 is enough. */
    for (unsigned k = 0; k < 10000; k++) {
        uint8_t mac[6] = { 0x02, 1, 2, 3, (uint8_t)(k >> 8), (uint8_t)k };
        uint32_t ip = 0x0a4d0a00u | (3 + k % 250);
        in(&x, 0, f, arp_frame(f, BCAST, mac, 1, ip, (const uint8_t[6]){0}, ADDR));
        if (k % 1000 == 999) ex_poll(&x);
    }
    synack_eth_stats(x.e, &es);
    CHECK_EQ(es.neigh_used, 64);
    CHECK(C(&x, SYNACK_C_neigh_evicted) > 0);
    CHECK(C(&x, SYNACK_C_arp_ctl_drop) > 0);
    CHECK(x.n <= 10 * ec.ctl_queue);
    /* The most recent senders are the ones kept. */
    CHECK_EQ(synack_eth_neigh_lookup(x.e, 0x0a4d0a00u | (3 + 9999 % 250), NULL, NULL),
             SYNACK_NEIGH_REACHABLE);
    ex_free(&x);
}

TEST(eth_bad_frames_dropped_with_counters)
{
    struct ex x;
    uint8_t f[128], g[128];
    size_t n;
    CHECK(ex_init(&x, NULL, 1) == 0);
    CHECK(listen_on(&x, 80) >= 0);
    n = tcp_frame(f, MAC0, PMAC, PEER, 5000, 80, 1, 0, SYNACK_SYN);
    in(&x, 0, f, 13);
    CHECK_EQ(C(&x, SYNACK_C_eth_drop_short), 1);
    in(&x, 0, NULL, 0);
    CHECK_EQ(C(&x, SYNACK_C_eth_drop_short), 2);
    in(&x, 3, f, n);
    CHECK_EQ(C(&x, SYNACK_C_eth_drop_bad_if), 1);
    in(&x, -1, f, n);
    CHECK_EQ(C(&x, SYNACK_C_eth_drop_bad_if), 2);
    memcpy(g, f, n); memcpy(g + 6, BCAST, 6);                  /* broadcast source */
    in(&x, 0, g, n);
    memcpy(g + 6, (const uint8_t[6]){0x01, 0, 0x5e, 0, 0, 1}, 6); /* multicast source */
    in(&x, 0, g, n);
    memcpy(g + 6, MAC0, 6);                                    /* our own MAC as source */
    in(&x, 0, g, n);
    CHECK_EQ(C(&x, SYNACK_C_eth_drop_bad_src), 3);
    memcpy(g, f, n); memcpy(g, GMAC, 6);                       /* someone else's MAC */
    in(&x, 0, g, n);
    memcpy(g, (const uint8_t[6]){0x33, 0x33, 0, 0, 0, 1}, 6);  /* IPv6 multicast */
    in(&x, 0, g, n);
    CHECK_EQ(C(&x, SYNACK_C_eth_drop_not_ours), 2);
    memcpy(g, f, n); wr16(g + 12, 0x86dd);                     /* IPv6 */
    in(&x, 0, g, n);
    wr16(g + 12, 0x8100);                                      /* a VLAN tag */
    in(&x, 0, g, n);
    CHECK_EQ(C(&x, SYNACK_C_eth_drop_type), 2);
    memcpy(g, f, n); memcpy(g, BCAST, 6);                      /* unicast IP, broadcast frame */
    in(&x, 0, g, n);
    CHECK_EQ(C(&x, SYNACK_C_eth_drop_bcast_ip), 1);
    /* Malformed ARP, one field at a time. */
    static const size_t offs[] = { 14, 16, 18, 19, 20 };
    for (unsigned k = 0; k < 5; k++) {
        arp_frame(g, BCAST, PMAC, 1, PEER, (const uint8_t[6]){0}, ADDR);
        g[offs[k] + 1] ^= 0x40;
        in(&x, 0, g, 60);
    }
    arp_frame(g, BCAST, PMAC, 1, PEER, (const uint8_t[6]){0}, ADDR);
    in(&x, 0, g, 14 + 27);                                     /* truncated */
    arp_frame(g, BCAST, PMAC, 1, 0x0a4d0aff, (const uint8_t[6]){0}, ADDR); /* from broadcast */
    in(&x, 0, g, 60);
    arp_frame(g, BCAST, PMAC, 1, 0x7f000001, (const uint8_t[6]){0}, ADDR); /* from loopback */
    in(&x, 0, g, 60);
    arp_frame(g, BCAST, PMAC, 1, OFFLINK, (const uint8_t[6]){0}, ADDR);    /* off-link */
    in(&x, 0, g, 60);
    arp_frame(g, BCAST, PMAC, 1, PEER, (const uint8_t[6]){0}, ADDR);
    memcpy(g + 22, BCAST, 6);                                  /* sha broadcast */
    in(&x, 0, g, 60);
    CHECK_EQ(C(&x, SYNACK_C_arp_drop_malformed), 10);
    arp_frame(g, BCAST, PMAC, 1, ADDR, (const uint8_t[6]){0}, ADDR);       /* claims our IP */
    in(&x, 0, g, 60);
    CHECK_EQ(C(&x, SYNACK_C_arp_drop_conflict), 1);
    ex_poll(&x);
    CHECK_EQ(x.n, 0);                           /* nothing answered any of these */
    struct synack_eth_stats es;
    synack_eth_stats(x.e, &es);
    CHECK_EQ(es.neigh_used, 0);
    /* The good frame is answered, with padding after the IP packet tolerated. */
    memset(f + n, 0xee, 8);
    in(&x, 0, f, n + 8);
    ex_poll(&x);
    CHECK_EQ(x.n, 1);
    CHECK_EQ(tcp_flags(&x.f[0]), SYNACK_SYN | SYNACK_ACK);
    ex_free(&x);
}

TEST(eth_routes_off_link_through_gateway)
{
    struct ex x;
    uint8_t f[64];
    struct synack_eth_config ec;
    synack_eth_config_default(&ec);
    ec.gateway = GW;
    CHECK(ex_init(&x, &ec, 1) == 0);
    int u = synack_socket(x.st, SYNACK_SOCK_DGRAM);
    CHECK(synack_sendto(x.st, u, "x", 1, OFFLINK, 7) == 1);
    ex_poll(&x);
    CHECK_EQ(x.n, 1);
    CHECK(is_arp(&x.f[0], 1));
    CHECK_EQ(rd32(x.f[0].b + 38), GW);           /* resolves the gateway, not the host */
    in(&x, 0, f, arp_frame(f, MAC0, GMAC, 2, GW, MAC0, ADDR));
    x.n = 0;
    ex_poll(&x);
    CHECK_EQ(x.n, 1);
    CHECK(is_ip(&x.f[0]) && !memcmp(x.f[0].b, GMAC, 6));
    CHECK_EQ(rd32(x.f[0].b + 14 + 16), OFFLINK);
    synack_close(x.st, u);
    ex_free(&x);
    /* Without a gateway the packet has no route. */
    CHECK(ex_init(&x, NULL, 1) == 0);
    u = synack_socket(x.st, SYNACK_SOCK_DGRAM);
    CHECK(synack_sendto(x.st, u, "x", 1, OFFLINK, 7) == 1);
    ex_poll(&x);
    CHECK_EQ(x.n, 0);
    CHECK_EQ(C(&x, SYNACK_C_eth_drop_no_route), 1);
    synack_close(x.st, u);
    ex_free(&x);
}

/* Two interfaces: a reply leaves by the interface its question came in on. */
TEST(eth_reply_on_arrival_interface)
{
    struct ex x;
    uint8_t f[128];
    CHECK(ex_init(&x, NULL, 2) == 0);
    CHECK(listen_on(&x, 80) >= 0);
    in(&x, 1, f, tcp_frame(f, MAC1, GMAC, PEER, 5001, 80, 1, 0, SYNACK_SYN));
    in(&x, 0, f, tcp_frame(f, MAC0, PMAC, PEER, 5002, 80, 1, 0, SYNACK_SYN));
    in(&x, 1, f, arp_frame(f, BCAST, GMAC, 1, PEER + 5, (const uint8_t[6]){0}, ADDR));
    ex_poll(&x);
    CHECK_EQ(x.n, 3);
    for (unsigned k = 0; k < x.n; k++) {
        const struct frame *fr = &x.f[k];
        if (is_arp(fr, 2)) {
            CHECK_EQ(fr->ifindex, 1);
            CHECK(!memcmp(fr->b + 6, MAC1, 6) && !memcmp(fr->b + 22, MAC1, 6));
            continue;
        }
        uint16_t dport = rd16(fr->b + 34 + 2);
        CHECK_EQ(fr->ifindex, dport == 5001 ? 1 : 0);
        CHECK(!memcmp(fr->b, dport == 5001 ? GMAC : PMAC, 6));
        CHECK(!memcmp(fr->b + 6, dport == 5001 ? MAC1 : MAC0, 6));
    }
    /* ICMP echo is answered the same way. */
    x.n = 0;
    {
        uint8_t icmp[16];
        size_t m = icmp_emit(icmp, ICMP_ECHO, 0, 0x12340001u, (const uint8_t *)"ping", 4);
        eth_hdr(f, MAC1, GMAC, 0x0800);
        ip4_emit(f + 14, OFFLINK, ADDR, IP4_PROTO_ICMP, (uint16_t)m, 9, 64);
        memcpy(f + 34, icmp, m);
        in(&x, 1, f, 34 + m);
        ex_poll(&x);
        CHECK_EQ(x.n, 1);                       /* off-link source: still answered by MAC */
        CHECK_EQ(x.f[0].ifindex, 1);
        CHECK(!memcmp(x.f[0].b, GMAC, 6));
        CHECK_EQ(x.f[0].b[34], ICMP_ECHO_REPLY);
    }
    ex_free(&x);
}

/* Two stacks on a simulated wire: a client resolves the server by ARP, connects, sends 100 kB,
 * the server echoes nothing and both close; every byte arrives in order. */
struct wire { struct ex *a, *b; };
static void wire_emit_a(void *ctx, int i, const uint8_t *f, size_t len)
{
    struct wire *w = ctx;
    (void)i;
    synack_eth_input(w->b->e, w->b->now, 0, f, len);
}
static void wire_emit_b(void *ctx, int i, const uint8_t *f, size_t len)
{
    struct wire *w = ctx;
    (void)i;
    synack_eth_input(w->a->e, w->a->now, 0, f, len);
}

TEST(eth_two_stacks_connect_transfer_close)
{
    struct ex a, b;
    struct synack_config cfg;
    struct synack_eth_config ec;
    struct wire w = { &a, &b };
    static uint8_t data[100000], got[100000];
    size_t sent = 0, rcvd = 0;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    synack_config_default(&cfg);
    cfg.rcvbuf_bytes = cfg.sndbuf_bytes = 32768;
    synack_eth_config_default(&ec);
    cfg.addr = ADDR;
    memset(cfg.secret, 1, 16);
    CHECK(synack_stack_new(&cfg, &a.st) == 0 && synack_eth_new(a.st, &ec, &a.e) == 0);
    cfg.addr = PEER;
    memset(cfg.secret, 2, 16);
    CHECK(synack_stack_new(&cfg, &b.st) == 0 && synack_eth_new(b.st, &ec, &b.e) == 0);
    CHECK(synack_eth_add_if(a.e, MAC0, 24) == 0 && synack_eth_add_if(b.e, PMAC, 24) == 0);
    for (size_t k = 0; k < sizeof data; k++) data[k] = (uint8_t)(k * 131 + 7);
    int l = listen_on(&a, 80);
    CHECK(l >= 0);
    int c = synack_socket(b.st, SYNACK_SOCK_STREAM);
    a.now = b.now = 10 * S;
    synack_set_now(b.st, b.now);
    CHECK(synack_connect(b.st, c, ADDR, 80) == 0 || errno == EINPROGRESS);
    int s = -1, closed_c = 0;
    for (int step = 0; step < 200000; step++) {
        synack_eth_poll(b.e, b.now, wire_emit_b, &w);
        synack_eth_poll(a.e, a.now, wire_emit_a, &w);
        if (s < 0) s = synack_accept(a.st, l, NULL, NULL);
        if (sent < sizeof data) {
            ssize_t k = synack_send(b.st, c, data + sent, sizeof data - sent);
            if (k > 0) sent += (size_t)k;
            if (sent == sizeof data) synack_shutdown(b.st, c, SYNACK_SHUT_WR);
        }
        if (s >= 0) {
            ssize_t k = synack_recv(a.st, s, got + rcvd, sizeof got - rcvd);
            if (k > 0) rcvd += (size_t)k;
            if (k == 0 && !closed_c) { synack_close(a.st, s); closed_c = 1; }
        }
        if (closed_c && rcvd == sizeof data) break;
        synack_time_us t = synack_eth_poll_at(a.e), u = synack_eth_poll_at(b.e);
        if (u < t) t = u;
        if (t > a.now + 1000) t = a.now + 1000;
        if (t < a.now) t = a.now;
        a.now = b.now = t + 1;
    }
    CHECK_EQ(rcvd, sizeof data);
    CHECK(!memcmp(got, data, sizeof data));
    /* One ARP exchange each way at most (the server learnt the client from its request). */
    CHECK_EQ(synack_counter_get(b.st, SYNACK_C_arp_requests_sent), 2);  /* announcement + 1 */
    CHECK_EQ(synack_counter_get(a.st, SYNACK_C_arp_requests_sent), 1);  /* announcement only */
    synack_close(b.st, c);
    synack_close(a.st, l);
    synack_eth_free(a.e); synack_eth_free(b.e);
    synack_stack_free(a.st); synack_stack_free(b.st);
}

/* A connection's later output (data sent after the handshake, not in answer to a frame) goes
 * where its peer's acceptable segments come from, like a route cache: no ARP for a client that
 * never asked for ours (it had our MAC already). */
TEST(eth_connection_output_follows_peer_mac)
{
    struct ex x;
    uint8_t f[128];
    CHECK(ex_init(&x, NULL, 1) == 0);
    int l = listen_on(&x, 80);
    CHECK(l >= 0);
    in(&x, 0, f, tcp_frame(f, MAC0, PMAC, PEER, 5000, 80, 100, 0, SYNACK_SYN));
    ex_poll(&x);
    CHECK_EQ(x.n, 1);
    uint32_t iss = rd32(x.f[0].b + 34 + 4);
    in(&x, 0, f, tcp_frame(f, MAC0, PMAC, PEER, 5000, 80, 101, iss + 1, SYNACK_ACK));
    int h = synack_accept(x.st, l, NULL, NULL);
    CHECK(h >= 0);
    x.n = 0;
    x.now += 1000;
    synack_set_now(x.st, x.now);
    CHECK(synack_send(x.st, h, "hello", 5) == 5);
    ex_poll(&x);
    CHECK_EQ(x.n, 1);
    CHECK(is_ip(&x.f[0]) && !memcmp(x.f[0].b, PMAC, 6));
    CHECK_EQ(C(&x, SYNACK_C_arp_requests_sent), 1);          /* the announcement only */
    struct synack_eth_stats es;
    synack_eth_stats(x.e, &es);
    CHECK_EQ(es.neigh_used, 0);
    ex_free(&x);
}
