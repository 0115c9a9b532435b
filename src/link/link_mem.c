/* The in-memory link of link.h: joins endpoints (plain callbacks, usually stacks) in one
 * process, in virtual time, with seeded impairment.
 *
 * Call order: synack_memlink_config_default(), change fields, synack_memlink_new(); then
 * synack_memlink_attach() once per address; then, in the event loop, synack_memlink_send() for
 * every packet an endpoint emits and synack_memlink_deliver(l, now) whenever now reaches
 * synack_memlink_next(); synack_memlink_free() at the end.
 *
 * Routing: the destination address is bytes 16..19 of the IPv4 header (big-endian, compared in
 * host order with the attached addresses). It is resolved at send time: a packet shorter than
 * 20 bytes or to an address nobody attached is counted in `unroutable` (not in `lost`) and
 * dropped without consuming randomness.
 *
 * Impairment: every routable packet draws exactly five numbers from a xoshiro256** generator
 * seeded through splitmix64 from cfg->seed: loss, duplicate, reorder, jitter of the packet,
 * jitter of the copy. Drawing a fixed count keeps the decisions of later packets independent of
 * the probabilities chosen for earlier ones. Arrival = now + delay + jitter (+ reorder delay if
 * reordered; the duplicate copy is never reordered itself).
 *
 * Packets in flight sit in a binary min-heap keyed by (arrival, send sequence number): ties
 * deliver in send order and the whole schedule is a pure function of the seed and the sends.
 * `lost` counts impairment losses and packets dropped because max_queued were in flight
 * (a duplicate copy that does not fit counts as lost, not as duplicated).
 *
 * Re-entrancy: deliver pops one packet at a time and calls the endpoint with it out of the
 * heap, so input may call synack_memlink_send() (and even attach); packets it sends with
 * arrival <= now are delivered in the same deliver call, in heap order. input receives the
 * `now` given to deliver (never the earlier arrival time), so an endpoint's clock never goes
 * backwards. Calling synack_memlink_deliver() from inside input is not supported.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "synack/link.h"

struct endpoint {
    uint32_t addr;
    synack_memlink_input_fn input;
    void *ctx;
};

struct flight {
    synack_time_us arrival;
    uint64_t seq;
    uint32_t dst;
    size_t len;
    uint8_t data[];
};

struct synack_memlink {
    struct synack_memlink_config cfg;
    uint64_t rng[4];
    uint64_t next_seq;
    struct flight **heap;
    size_t nheap, capheap;
    struct endpoint *eps; /* sorted by addr */
    size_t neps, capeps;
    void (*tap)(void *ctx, synack_time_us now, const uint8_t *pkt, size_t len);
    void *tap_ctx;
    struct synack_memlink_stats stats;
    int delivering;
};

/* ---- PRNG: splitmix64 to seed xoshiro256** ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t v, int k) { return (v << k) | (v >> (64 - k)); }

static uint64_t rng_next(uint64_t s[4])
{
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform in [0, 1) with 53 bits. */
static double unit_double(uint64_t r) { return (double)(r >> 11) * (1.0 / 9007199254740992.0); }

/* Uniform in [0, span] (span >= 0); the modulo bias is below span / 2^64. */
static synack_time_us uniform_upto(uint64_t r, synack_time_us span)
{
    if (span <= 0) return 0;
    return (synack_time_us)(r % ((uint64_t)span + 1));
}

/* a + b, saturating below SYNACK_TIME_NEVER (which means "nothing in flight"). */
static synack_time_us time_add(synack_time_us a, synack_time_us b)
{
    if (b > 0 && a > SYNACK_TIME_NEVER - 1 - b) return SYNACK_TIME_NEVER - 1;
    return a + b;
}

/* ---- heap of packets in flight ---- */

static int before(const struct flight *a, const struct flight *b)
{
    return a->arrival < b->arrival || (a->arrival == b->arrival && a->seq < b->seq);
}

static void heap_push(struct synack_memlink *l, struct flight *f)
{
    size_t i = l->nheap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(f, l->heap[parent])) break;
        l->heap[i] = l->heap[parent];
        i = parent;
    }
    l->heap[i] = f;
}

static struct flight *heap_pop(struct synack_memlink *l)
{
    struct flight *top = l->heap[0], *last = l->heap[--l->nheap];
    size_t i = 0, n = l->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && before(l->heap[c + 1], l->heap[c])) c++;
        if (!before(l->heap[c], last)) break;
        l->heap[i] = l->heap[c];
        i = c;
    }
    if (n > 0) l->heap[i] = last;
    return top;
}

/* ---- endpoints ---- */

/* Index of the first endpoint with addr >= a. */
static size_t ep_lower(const struct synack_memlink *l, uint32_t a)
{
    size_t lo = 0, hi = l->neps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->eps[mid].addr < a) lo = mid + 1; else hi = mid;
    }
    return lo;
}

static const struct endpoint *ep_find(const struct synack_memlink *l, uint32_t a)
{
    size_t i = ep_lower(l, a);
    return i < l->neps && l->eps[i].addr == a ? &l->eps[i] : NULL;
}

/* ---- public API ---- */

void synack_memlink_config_default(struct synack_memlink_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->seed = 1;
    cfg->delay_us = 1000;
    cfg->max_queued = 100000;
}

struct synack_memlink *synack_memlink_new(const struct synack_memlink_config *cfg)
{
    struct synack_memlink *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->cfg = *cfg;
    if (l->cfg.delay_us < 0) l->cfg.delay_us = 0;
    if (l->cfg.jitter_us < 0) l->cfg.jitter_us = 0;
    if (l->cfg.reorder_delay_us <= 0) {
        synack_time_us d = l->cfg.delay_us;
        l->cfg.reorder_delay_us = d > SYNACK_TIME_NEVER / 4 ? SYNACK_TIME_NEVER / 4 : 3 * d;
    }
    if (l->cfg.max_queued == 0) l->cfg.max_queued = 100000;
    uint64_t x = cfg->seed;
    for (int i = 0; i < 4; i++) l->rng[i] = splitmix64(&x);
    return l;
}

void synack_memlink_free(struct synack_memlink *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->nheap; i++) free(l->heap[i]);
    free(l->heap);
    free(l->eps);
    free(l);
}

int synack_memlink_attach(struct synack_memlink *l, uint32_t addr, synack_memlink_input_fn input,
                          void *ctx)
{
    if (!input) { errno = EINVAL; return -1; }
    size_t i = ep_lower(l, addr);
    if (i < l->neps && l->eps[i].addr == addr) { errno = EEXIST; return -1; }
    if (l->neps == l->capeps) {
        size_t cap = l->capeps ? 2 * l->capeps : 8;
        struct endpoint *e = realloc(l->eps, cap * sizeof *e);
        if (!e) { errno = ENOMEM; return -1; }
        l->eps = e;
        l->capeps = cap;
    }
    memmove(&l->eps[i + 1], &l->eps[i], (l->neps - i) * sizeof *l->eps);
    l->eps[i] = (struct endpoint){ .addr = addr, .input = input, .ctx = ctx };
    l->neps++;
    return 0;
}

void synack_memlink_set_tap(struct synack_memlink *l,
                            void (*tap)(void *ctx, synack_time_us now, const uint8_t *pkt, size_t len),
                            void *ctx)
{
    l->tap = tap;
    l->tap_ctx = ctx;
}

/* Queues one copy; returns 0, or -1 if it was dropped (queue full or no memory). */
static int enqueue(struct synack_memlink *l, synack_time_us arrival, uint32_t dst,
                   const uint8_t *pkt, size_t len)
{
    if (l->nheap >= l->cfg.max_queued) return -1;
    if (l->nheap == l->capheap) {
        size_t cap = l->capheap ? 2 * l->capheap : 64;
        struct flight **h = realloc(l->heap, cap * sizeof *h);
        if (!h) return -1;
        l->heap = h;
        l->capheap = cap;
    }
    struct flight *f = malloc(sizeof *f + len);
    if (!f) return -1;
    f->arrival = arrival;
    f->seq = l->next_seq++;
    f->dst = dst;
    f->len = len;
    if (len) memcpy(f->data, pkt, len);
    heap_push(l, f);
    return 0;
}

void synack_memlink_send(struct synack_memlink *l, synack_time_us now, const uint8_t *pkt, size_t len)
{
    l->stats.sent++;
    if (l->tap) l->tap(l->tap_ctx, now, pkt, len);
    if (len < 20) { l->stats.unroutable++; return; }
    uint32_t dst = (uint32_t)pkt[16] << 24 | (uint32_t)pkt[17] << 16 | (uint32_t)pkt[18] << 8 | pkt[19];
    if (!ep_find(l, dst)) { l->stats.unroutable++; return; }

    const struct synack_memlink_config *c = &l->cfg;
    uint64_t r_loss = rng_next(l->rng), r_dup = rng_next(l->rng), r_reorder = rng_next(l->rng);
    uint64_t r_jit1 = rng_next(l->rng), r_jit2 = rng_next(l->rng);

    if (unit_double(r_loss) < c->loss) { l->stats.lost++; return; }
    synack_time_us base = time_add(now, c->delay_us);
    synack_time_us arrival = time_add(base, uniform_upto(r_jit1, c->jitter_us));
    int reorder = unit_double(r_reorder) < c->reorder;
    if (reorder) arrival = time_add(arrival, c->reorder_delay_us);
    if (enqueue(l, arrival, dst, pkt, len) < 0) { l->stats.lost++; return; }
    if (reorder) l->stats.reordered++;
    if (unit_double(r_dup) < c->dup) {
        synack_time_us arr2 = time_add(base, uniform_upto(r_jit2, c->jitter_us));
        if (enqueue(l, arr2, dst, pkt, len) < 0) l->stats.lost++;
        else l->stats.duplicated++;
    }
}

synack_time_us synack_memlink_next(const struct synack_memlink *l)
{
    return l->nheap ? l->heap[0]->arrival : SYNACK_TIME_NEVER;
}

void synack_memlink_deliver(struct synack_memlink *l, synack_time_us now)
{
    if (l->delivering) return;
    l->delivering = 1;
    while (l->nheap && l->heap[0]->arrival <= now) {
        struct flight *f = heap_pop(l);
        const struct endpoint *e = ep_find(l, f->dst);
        if (e) {
            synack_memlink_input_fn input = e->input;
            void *ctx = e->ctx;
            l->stats.delivered++;
            input(ctx, now, f->data, f->len);
        }
        free(f);
    }
    l->delivering = 0;
}

void synack_memlink_stats(const struct synack_memlink *l, struct synack_memlink_stats *out)
{
    *out = l->stats;
}
