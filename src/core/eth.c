/* The Ethernet layer (include/synack/eth.h): Ethernet II framing, ARP and the neighbour cache.
 *
 * RFCs: 894 (IPv4 over Ethernet), 826 (ARP, its packet format and merge rule), 1122 §2.3.2
 * (ARP cache validation, flooding limits: at most one request a second per destination) and
 * §3.3.6 (unicast IP in a link-layer broadcast is discarded), 5227 §3 (announcements). The
 * neighbour states follow RFC 4861 §7.3.2's names as Linux's neighbour table does (INCOMPLETE,
 * REACHABLE, STALE), without DELAY/PROBE: a STALE entry in use is polled by unicast at once.
 *
 * Memory: every table is allocated in synack_eth_new(): the entries (an LRU list and a hash of
 * chains by address), the packets waiting for resolution (a pool of slots with the stack's
 * transmit headroom, so they are framed in place), and a ring of ARP frames to send.
 *
 * Output: synack_eth_poll() runs the stack's poll through synack__poll_meta(); each packet
 * either carries the MAC of the frame it answers (stack.c tags it) or is routed here. */
#include "synack/eth.h"
#include "stack.h"
#include "mutants.h"
#include <stdlib.h>
#include <string.h>

enum { ETH_P_IP = 0x0800, ETH_P_ARP = 0x0806 };
enum { ARP_LEN = 28, ARP_REQUEST = 1, ARP_REPLY = 2, ETH_MIN_FRAME = 60 };

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct neigh {
    uint32_t ip;
    uint8_t mac[6];
    uint8_t state;          /* 0 free, SYNACK_NEIGH_* */
    uint8_t ifindex;
    uint8_t probes;         /* requests sent since the last confirmation */
    uint8_t npending;
    int hnext;              /* hash chain */
    int lru_prev, lru_next; /* most recently used first */
    int pend_head, pend_tail;
    int plist_next, plist_prev; /* on the list of entries with packets waiting, or -2 */
    synack_time_us confirmed, next_probe;
};

struct pend { int next; uint16_t len; };

struct ifc { uint8_t mac[6]; uint32_t mask; int up; };

struct ctl { uint8_t ifindex; uint8_t frame[ETH_MIN_FRAME]; };

struct synack_eth {
    struct synack_stack *st;
    struct synack_eth_config cfg;
    struct ifc ifs[SYNACK_ETH_MAX_IFS];
    int nifs;
    uint32_t hkey;

    struct neigh *n;
    int *hash;
    uint32_t hmask;
    int lru_head, lru_tail, free_n;
    unsigned used;
    int plist;              /* entries with packets waiting (resolved ones are sent next poll) */

    struct pend *pend;
    uint8_t *pend_mem;
    size_t pend_stride;
    int free_pend;
    unsigned npend;

    struct ctl *ctl;
    unsigned ctl_head, ctl_count;

    /* the frame being emitted */
    synack_eth_emit_fn emit;
    void *emit_ctx;
    size_t bytes_reserved;
};

void synack_eth_config_default(struct synack_eth_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->neigh_entries = 256;
    cfg->pending_max = 256;
    cfg->pending_per_entry = 64;
    cfg->reachable_us = 30 * 1000000LL;
    cfg->probe_interval_us = 1000000;
    cfg->max_probes = 3;
    cfg->ctl_queue = 256;
}

static int mac_is_group(const uint8_t *m) { return m[0] & 1; }   /* multicast or broadcast */

int synack_eth_new(struct synack_stack *st, const struct synack_eth_config *cfg,
                   struct synack_eth **out)
{
    struct synack_eth *e;
    size_t hsize = 16;
    if (!st || !cfg || !out) return SYNACK_EINVAL;
    *out = NULL;
    if (cfg->neigh_entries < 1 || cfg->neigh_entries > (1u << 20) || cfg->pending_max > (1u << 16) ||
        cfg->pending_per_entry > 255 || cfg->reachable_us <= 0 || cfg->probe_interval_us <= 0 ||
        cfg->max_probes < 1 || cfg->max_probes > 255 || cfg->ctl_queue < 1 || cfg->ctl_queue > (1u << 16))
        return SYNACK_EINVAL;
    e = calloc(1, sizeof *e);
    if (!e) return SYNACK_ENOMEM;
    e->st = st;
    e->cfg = *cfg;
    while (hsize < 2 * (size_t)cfg->neigh_entries) hsize <<= 1;
    e->hmask = (uint32_t)hsize - 1;
    e->n = calloc(cfg->neigh_entries, sizeof *e->n);
    e->hash = malloc(hsize * sizeof *e->hash);
    e->pend_stride = st->txq_stride;
    e->pend = calloc(cfg->pending_max ? cfg->pending_max : 1, sizeof *e->pend);
    e->pend_mem = malloc((cfg->pending_max ? cfg->pending_max : 1) * e->pend_stride);
    e->ctl = calloc(cfg->ctl_queue, sizeof *e->ctl);
    if (!e->n || !e->hash || !e->pend || !e->pend_mem || !e->ctl) {
        synack_eth_free(e);
        return SYNACK_ENOMEM;
    }
    e->bytes_reserved = sizeof *e + cfg->neigh_entries * sizeof *e->n + hsize * sizeof *e->hash +
                        cfg->pending_max * (sizeof *e->pend + e->pend_stride) +
                        cfg->ctl_queue * sizeof *e->ctl;
    for (size_t i = 0; i < hsize; i++) e->hash[i] = -1;
    e->free_n = -1;
    for (unsigned i = cfg->neigh_entries; i-- > 0;) {
        e->n[i].hnext = e->free_n;
        e->free_n = (int)i;
    }
    e->free_pend = -1;
    for (unsigned i = cfg->pending_max; i-- > 0;) {
        e->pend[i].next = e->free_pend;
        e->free_pend = (int)i;
    }
    e->lru_head = e->lru_tail = e->plist = -1;
    memcpy(&e->hkey, st->hash_key, sizeof e->hkey);
    *out = e;
    return 0;
}

void synack_eth_free(struct synack_eth *e)
{
    if (!e) return;
    free(e->n);
    free(e->hash);
    free(e->pend);
    free(e->pend_mem);
    free(e->ctl);
    free(e);
}

void synack_eth_stats(const struct synack_eth *e, struct synack_eth_stats *out)
{
    out->neigh_used = e->used;
    out->neigh_max = e->cfg.neigh_entries;
    out->pending = e->npend;
    out->bytes_reserved = e->bytes_reserved;
}

/* ---- ARP frames (RFC 826 packet format) ---- */

/* Queues an ARP message on interface i for the next poll. */
static void arp_queue(struct synack_eth *e, int i, uint16_t op, const uint8_t *eth_dst,
                      const uint8_t *tha, uint32_t tpa)
{
    struct synack_stack *st = e->st;
    struct ctl *c;
    uint8_t *f;
    if (e->ctl_count == e->cfg.ctl_queue) { CNT(st, arp_ctl_drop); return; }
    c = &e->ctl[(e->ctl_head + e->ctl_count++) % e->cfg.ctl_queue];
    c->ifindex = (uint8_t)i;
    f = c->frame;
    memset(f, 0, sizeof c->frame);
    memcpy(f, eth_dst, 6);
    memcpy(f + 6, e->ifs[i].mac, 6);
    wr16(f + 12, ETH_P_ARP);
    f += SYNACK_ETH_HLEN;
    wr16(f, 1);                   /* htype: Ethernet */
    wr16(f + 2, ETH_P_IP);        /* ptype */
    f[4] = 6;
    f[5] = 4;
    wr16(f + 6, op);
    memcpy(f + 8, e->ifs[i].mac, 6);
    wr32(f + 14, st->cfg.addr);
    memcpy(f + 18, tha, 6);
    wr32(f + 24, tpa);
    CNT(st, eth_out);
    if (op == ARP_REQUEST) CNT(st, arp_requests_sent);
    else CNT(st, arp_replies_sent);
}

int synack_eth_add_if(struct synack_eth *e, const uint8_t mac[6], int prefix_len)
{
    static const uint8_t zero[6];
    int i;
    if (!e || !mac || prefix_len < 1 || prefix_len > 32 || mac_is_group(mac) || !memcmp(mac, zero, 6))
        return SYNACK_EINVAL;
    if (e->nifs == SYNACK_ETH_MAX_IFS) return SYNACK_ENOMEM;
    i = e->nifs++;
    memcpy(e->ifs[i].mac, mac, 6);
    e->ifs[i].mask = prefix_len == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix_len);
    e->ifs[i].up = 1;
    /* RFC 5227 §3: an announcement is a request with sender and target both our address. */
    arp_queue(e, i, ARP_REQUEST, bcast_mac, zero, e->st->cfg.addr);
    return i;
}

/* ---- the neighbour cache ---- */

static uint32_t nhash(const struct synack_eth *e, uint32_t ip)
{
    return ((ip ^ e->hkey) * 0x9e3779b1u) >> 7 & e->hmask;
}

static struct neigh *neigh_find(const struct synack_eth *e, uint32_t ip)
{
    for (int k = e->hash[nhash(e, ip)]; k >= 0; k = e->n[k].hnext)
        if (e->n[k].ip == ip) return &e->n[k];
    return NULL;
}

static void lru_unlink(struct synack_eth *e, struct neigh *n)
{
    if (n->lru_prev >= 0) e->n[n->lru_prev].lru_next = n->lru_next; else e->lru_head = n->lru_next;
    if (n->lru_next >= 0) e->n[n->lru_next].lru_prev = n->lru_prev; else e->lru_tail = n->lru_prev;
}

static void lru_front(struct synack_eth *e, struct neigh *n)
{
    int k = (int)(n - e->n);
    if (e->lru_head == k) return;
    if (n->lru_prev != -2) lru_unlink(e, n);
    n->lru_prev = -1;
    n->lru_next = e->lru_head;
    if (e->lru_head >= 0) e->n[e->lru_head].lru_prev = k; else e->lru_tail = k;
    e->lru_head = k;
}

static void plist_add(struct synack_eth *e, struct neigh *n)
{
    int k = (int)(n - e->n);
    if (n->plist_prev != -2) return;
    n->plist_prev = -1;
    n->plist_next = e->plist;
    if (e->plist >= 0) e->n[e->plist].plist_prev = k;
    e->plist = k;
}

static void plist_del(struct synack_eth *e, struct neigh *n)
{
    if (n->plist_prev == -2) return;
    if (n->plist_prev >= 0) e->n[n->plist_prev].plist_next = n->plist_next; else e->plist = n->plist_next;
    if (n->plist_next >= 0) e->n[n->plist_next].plist_prev = n->plist_prev;
    n->plist_prev = n->plist_next = -2;
}

/* Drops the packets waiting on n, counting them as never resolved. */
static void pend_drop_all(struct synack_eth *e, struct neigh *n)
{
    while (n->pend_head >= 0) {
        int p = n->pend_head;
        n->pend_head = e->pend[p].next;
        e->pend[p].next = e->free_pend;
        e->free_pend = p;
        e->npend--;
        CNT(e->st, arp_unresolved_drop);
    }
    n->pend_tail = -1;
    n->npending = 0;
    plist_del(e, n);
}

static void neigh_free(struct synack_eth *e, struct neigh *n)
{
    int k = (int)(n - e->n);
    int *pp = &e->hash[nhash(e, n->ip)];
    pend_drop_all(e, n);
    while (*pp != k) pp = &e->n[*pp].hnext;
    *pp = n->hnext;
    lru_unlink(e, n);
    n->state = 0;
    n->hnext = e->free_n;
    e->free_n = k;
    e->used--;
}

/* A new entry for ip, replacing the least recently used one when the cache is full. */
static struct neigh *neigh_new(struct synack_eth *e, uint32_t ip)
{
    struct neigh *n;
    uint32_t h;
    if (e->free_n < 0) {
        if (NEVER(e->lru_tail < 0)) return NULL;
        neigh_free(e, &e->n[e->lru_tail]);
        CNT(e->st, neigh_evicted);
    }
    n = &e->n[e->free_n];
    e->free_n = n->hnext;
    memset(n, 0, sizeof *n);
    n->ip = ip;
    n->pend_head = n->pend_tail = -1;
    n->plist_prev = n->plist_next = -2;
    n->lru_prev = n->lru_next = -2;
    h = nhash(e, ip);
    n->hnext = e->hash[h];
    e->hash[h] = (int)(n - e->n);
    lru_front(e, n);
    e->used++;
    return n;
}

/* n's MAC is now known (or confirmed) on interface i: REACHABLE; waiting packets go out at the
 * next poll. */
static void neigh_confirm(struct synack_eth *e, struct neigh *n, int i, const uint8_t *mac)
{
    synack_time_us now = e->st->now;
    if (n->state != SYNACK_NEIGH_REACHABLE || memcmp(n->mac, mac, 6) || n->ifindex != i)
        CNT(e->st, arp_resolved);
    memcpy(n->mac, mac, 6);
    n->ifindex = (uint8_t)i;
    n->state = SYNACK_NEIGH_REACHABLE;
    n->confirmed = now;
    n->probes = 0;
    n->next_probe = now;
    if (n->npending) plist_add(e, n);
}

int synack_eth_neigh_lookup(const struct synack_eth *e, uint32_t addr, uint8_t mac_out[6],
                            int *ifindex_out)
{
    const struct neigh *n = neigh_find(e, addr);
    int s;
    if (!n) return 0;
    s = n->state;
    if (s == SYNACK_NEIGH_REACHABLE && e->st->now - n->confirmed >= e->cfg.reachable_us)
        s = SYNACK_NEIGH_STALE;
    if (s != SYNACK_NEIGH_INCOMPLETE) {
        if (mac_out) memcpy(mac_out, n->mac, 6);
        if (ifindex_out) *ifindex_out = n->ifindex;
    }
    return s;
}

/* ---- input ---- */

static void arp_input(struct synack_eth *e, int i, const uint8_t *a, size_t len)
{
    struct synack_stack *st = e->st;
    uint32_t spa, tpa;
    uint16_t op;
    const uint8_t *sha;
    struct neigh *n;
    CNT(st, arp_in);
    /* RFC 826: Ethernet hardware, IPv4 protocol, and their lengths; request or reply. */
    if (len < ARP_LEN || rd16(a) != 1 || rd16(a + 2) != ETH_P_IP || a[4] != 6 || a[5] != 4 ||
        ((op = rd16(a + 6)) != ARP_REQUEST && op != ARP_REPLY)) {
        CNT(st, arp_drop_malformed);
        return;
    }
    sha = a + 8;
    spa = rd32(a + 14);
    tpa = rd32(a + 24);
    if (mac_is_group(sha)) { CNT(st, arp_drop_malformed); return; }
    for (int k = 0; k < e->nifs; k++)
        if (!memcmp(sha, e->ifs[k].mac, 6)) { CNT(st, arp_drop_conflict); return; }
    if (spa == st->cfg.addr) { CNT(st, arp_drop_conflict); return; }
    {
        /* The sender must be a unicast host on this link (RFC 1122 §3.2.1.3's sources; 0 is
         * an RFC 5227 probe, answered but not learnt). */
        uint8_t a0 = (uint8_t)(spa >> 24);
        int probe = spa == 0;
        int onlink = (spa & e->ifs[i].mask) == (st->cfg.addr & e->ifs[i].mask);
        uint32_t host = spa & ~e->ifs[i].mask;
        /* On-link senders only (or the gateway), never the prefix's network or broadcast
         * address (a /31 or /32 has none). */
        if (!probe && (a0 == 0 || a0 == 127 || a0 >= 224 || (!onlink && spa != e->cfg.gateway) ||
                       (onlink && e->ifs[i].mask < 0xfffffffeu &&
                        (host == 0 || host == ~e->ifs[i].mask)))) {
            CNT(st, arp_drop_malformed);
            return;
        }
        /* RFC 826 merge rule: an entry we hold for the sender is updated by any message. */
        n = probe ? NULL : neigh_find(e, spa);
        if (tpa != st->cfg.addr) {
            if (n) neigh_confirm(e, n, i, sha);
            CNT(st, arp_drop_not_ours);
            return;
        }
        if (n) neigh_confirm(e, n, i, sha);
        else if (!probe && op == ARP_REQUEST) {
            /* "If I am the target and the entry is new, add it": the requester is about to
             * talk to us. An unsolicited reply creates nothing (Linux's arp_accept=0). */
            n = neigh_new(e, spa);
            if (n) neigh_confirm(e, n, i, sha);
        }
        if (op == ARP_REQUEST) arp_queue(e, i, ARP_REPLY, sha, sha, spa);
    }
}

void synack_eth_input(struct synack_eth *e, synack_time_us now, int ifindex, const uint8_t *f,
                      size_t len)
{
    struct synack_stack *st = e->st;
    const struct ifc *ifc;
    uint16_t type;
    if (now > st->now) st->now = now;
    CNT(st, eth_in);
    if (ifindex < 0 || ifindex >= e->nifs) { CNT(st, eth_drop_bad_if); return; }
    ifc = &e->ifs[ifindex];
    if (!f || len < SYNACK_ETH_HLEN) { CNT(st, eth_drop_short); return; }
    if (mac_is_group(f + 6) || !memcmp(f + 6, ifc->mac, 6)) { CNT(st, eth_drop_bad_src); return; }
    int bcast = !memcmp(f, bcast_mac, 6);
    if (!bcast && memcmp(f, ifc->mac, 6)) { CNT(st, eth_drop_not_ours); return; }
    type = rd16(f + 12);
    if (type == ETH_P_ARP) {
        arp_input(e, ifindex, f + SYNACK_ETH_HLEN, len - SYNACK_ETH_HLEN);
        return;
    }
    if (type != ETH_P_IP) { CNT(st, eth_drop_type); return; }
    /* RFC 1122 §3.3.6: a datagram that came in a link-layer broadcast but names no IP
     * broadcast or multicast destination is discarded (the stack has only its unicast
     * address, so every broadcast-framed datagram is). */
    if (bcast && !MUTANT_OFF(eth_bcast_ip_drop)) { CNT(st, eth_drop_bcast_ip); return; }
    st->rx_l2.valid = 1;
    st->rx_l2.ifindex = (uint8_t)ifindex;
    memcpy(st->rx_l2.mac, f + 6, 6);
    st->rx_l2.src_ip = len >= SYNACK_ETH_HLEN + 20 ? rd32(f + SYNACK_ETH_HLEN + 12) : 0;
    synack_input(st, now, f + SYNACK_ETH_HLEN, len - SYNACK_ETH_HLEN);
    st->rx_l2.valid = 0;
}

/* ---- output ---- */

/* Frames pkt (which has TXQ_HEADROOM bytes in front) to mac on interface i and emits it. */
static void frame_emit(struct synack_eth *e, int i, const uint8_t *mac, uint8_t *pkt, size_t len)
{
    uint8_t *f = pkt - SYNACK_ETH_HLEN;
    memcpy(f, mac, 6);
    memcpy(f + 6, e->ifs[i].mac, 6);
    wr16(f + 12, ETH_P_IP);
    CNT(e->st, eth_out);
    if (e->emit) e->emit(e->emit_ctx, i, f, len + SYNACK_ETH_HLEN);
}

/* Sends the request that resolves (or, STALE, re-confirms by unicast) n, if one is due. */
static void neigh_probe(struct synack_eth *e, struct neigh *n, int route_if)
{
    synack_time_us now = e->st->now;
    if (now < n->next_probe) return;
    n->next_probe = now + e->cfg.probe_interval_us;
    n->probes++;
    if (n->state == SYNACK_NEIGH_INCOMPLETE) {
        static const uint8_t zero[6];
        arp_queue(e, route_if, ARP_REQUEST, bcast_mac, zero, n->ip);
    } else {
        arp_queue(e, n->ifindex, ARP_REQUEST, n->mac, n->mac, n->ip);
    }
}

/* The interface and next hop for dst; -1 when there is no route. */
static int route(const struct synack_eth *e, uint32_t dst, uint32_t *next_hop)
{
    uint32_t self = e->st->cfg.addr;
    for (int i = 0; i < e->nifs; i++)
        if ((dst & e->ifs[i].mask) == (self & e->ifs[i].mask)) { *next_hop = dst; return i; }
    if (e->cfg.gateway)
        for (int i = 0; i < e->nifs; i++)
            if ((e->cfg.gateway & e->ifs[i].mask) == (self & e->ifs[i].mask)) {
                *next_hop = e->cfg.gateway;
                return i;
            }
    return -1;
}

static void emit_ip(void *ctx, uint8_t *pkt, size_t len, const struct tx_meta *m)
{
    struct synack_eth *e = ctx;
    struct synack_stack *st = e->st;
    synack_time_us now = st->now;
    uint32_t hop;
    int i;
    struct neigh *n;
    if (m->has_mac && m->ifindex < e->nifs) { frame_emit(e, m->ifindex, m->mac, pkt, len); return; }
    i = route(e, rd32(pkt + 16), &hop);
    if (i < 0) { CNT(st, eth_drop_no_route); return; }
    n = neigh_find(e, hop);
    if (n && n->state != SYNACK_NEIGH_INCOMPLETE) {
        lru_front(e, n);
        if (now - n->confirmed >= e->cfg.reachable_us) {
            /* STALE: still used; polled by unicast, and dropped when the polls go unanswered
             * (the next packet then resolves it afresh). */
            if (n->probes >= e->cfg.max_probes && now >= n->next_probe) {
                neigh_free(e, n);
                n = NULL;
            } else {
                n->state = SYNACK_NEIGH_STALE;
                neigh_probe(e, n, i);
            }
        }
        if (n) {
            /* Packets still waiting for this neighbour go first, to keep the order. */
            if (n->npending) plist_add(e, n);
            else { frame_emit(e, n->ifindex, n->mac, pkt, len); return; }
        }
    }
    if (!n) {
        n = neigh_new(e, hop);
        if (!n) { CNT(st, arp_pending_drop); return; }
        n->state = SYNACK_NEIGH_INCOMPLETE;
        n->next_probe = now;
    }
    lru_front(e, n);
    /* Hold the packet (RFC 1122 §2.3.2.2: at least one per destination; the newest are kept
     * when the queue is full, so a retransmission replaces what it repeats). */
    if (n->npending >= e->cfg.pending_per_entry && n->pend_head >= 0) {
        int p = n->pend_head;
        n->pend_head = e->pend[p].next;
        if (n->pend_head < 0) n->pend_tail = -1;
        e->pend[p].next = e->free_pend;
        e->free_pend = p;
        e->npend--;
        n->npending--;
        CNT(st, arp_pending_drop);
    }
    if (e->free_pend < 0 || e->cfg.pending_per_entry == 0) {
        CNT(st, arp_pending_drop);
    } else {
        int p = e->free_pend;
        e->free_pend = e->pend[p].next;
        e->pend[p].next = -1;
        e->pend[p].len = (uint16_t)len;
        memcpy(e->pend_mem + (size_t)p * e->pend_stride + TXQ_HEADROOM, pkt, len);
        if (n->pend_tail >= 0) e->pend[n->pend_tail].next = p; else n->pend_head = p;
        n->pend_tail = p;
        n->npending++;
        e->npend++;
        plist_add(e, n);
    }
    if (n->state == SYNACK_NEIGH_INCOMPLETE) neigh_probe(e, n, i);
}

/* Entries with packets waiting: send them once resolved, probe the others, fail those whose
 * probes all went unanswered. */
static void pending_run(struct synack_eth *e)
{
    synack_time_us now = e->st->now;
    for (int k = e->plist; k >= 0;) {
        struct neigh *n = &e->n[k];
        k = n->plist_next;
        if (n->state != SYNACK_NEIGH_INCOMPLETE) {
            while (n->pend_head >= 0) {
                int p = n->pend_head;
                n->pend_head = e->pend[p].next;
                e->pend[p].next = e->free_pend;
                e->free_pend = p;
                e->npend--;
                frame_emit(e, n->ifindex, n->mac,
                           e->pend_mem + (size_t)p * e->pend_stride + TXQ_HEADROOM, e->pend[p].len);
            }
            n->pend_tail = -1;
            n->npending = 0;
            plist_del(e, n);
        } else if (now >= n->next_probe) {
            uint32_t hop;
            int i;
            if (n->probes >= e->cfg.max_probes || (i = route(e, n->ip, &hop)) < 0) {
                neigh_free(e, n);
                continue;
            }
            neigh_probe(e, n, i);
        }
    }
}

static void ctl_drain(struct synack_eth *e)
{
    while (e->ctl_count) {
        struct ctl *c = &e->ctl[e->ctl_head];
        e->ctl_head = (e->ctl_head + 1) % e->cfg.ctl_queue;
        e->ctl_count--;
        if (e->emit) e->emit(e->emit_ctx, c->ifindex, c->frame, sizeof c->frame);
    }
    e->ctl_head = 0;
}

void synack_eth_poll(struct synack_eth *e, synack_time_us now, synack_eth_emit_fn emit, void *ctx)
{
    struct synack_stack *st = e->st;
    if (now > st->now) st->now = now;
    e->emit = emit;
    e->emit_ctx = ctx;
    ctl_drain(e);               /* ARP replies first: peers wait on them */
    pending_run(e);
    synack__poll_meta(st, st->now, emit_ip, e);
    ctl_drain(e);
    e->emit = NULL;
    e->emit_ctx = NULL;
}

synack_time_us synack_eth_poll_at(struct synack_eth *e)
{
    synack_time_us d = synack_poll_at(e->st);
    if (e->ctl_count) return e->st->now;
    for (int k = e->plist; k >= 0; k = e->n[k].plist_next) {
        const struct neigh *n = &e->n[k];
        synack_time_us t = n->state != SYNACK_NEIGH_INCOMPLETE ? e->st->now : n->next_probe;
        if (t < d) d = t;
    }
    return d;
}
