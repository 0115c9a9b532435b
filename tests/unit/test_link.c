/* Unit tests of src/link/: the in-memory link (delay, jitter, routing, loss, duplication,
 * reordering, determinism, re-entrant sends, the queue bound) and the pcap writer (file read
 * back and checked byte by byte). Endpoints are plain callbacks that record what they get; a
 * test packet is a 24-byte IPv4-looking buffer whose destination is at bytes 16..19 and whose
 * 32-bit id is at bytes 20..23. */
#include "../harness/test.h"

#include <stdlib.h>
#include <unistd.h>

#include "synack/link.h"

#define ADDR_A 0x0a000001u /* 10.0.0.1 */
#define ADDR_B 0x0a000002u
#define ADDR_C 0x0a000003u /* never attached */

struct rec { synack_time_us now; uint32_t id; uint32_t to; };

struct ep {
    uint32_t addr;
    struct rec *recs;
    size_t n, cap;
    /* for the re-entrancy test */
    struct synack_memlink *link;
    uint32_t peer;
    struct ep *trace; /* shared log of every delivery, if set */
};

static void mkpkt(uint8_t *p, uint32_t dst, uint32_t id)
{
    memset(p, 0, 24);
    p[0] = 0x45;
    p[3] = 24;
    p[8] = 64;
    p[9] = 6;
    p[16] = (uint8_t)(dst >> 24); p[17] = (uint8_t)(dst >> 16); p[18] = (uint8_t)(dst >> 8); p[19] = (uint8_t)dst;
    p[20] = (uint8_t)(id >> 24); p[21] = (uint8_t)(id >> 16); p[22] = (uint8_t)(id >> 8); p[23] = (uint8_t)id;
}

static uint32_t pkt_id(const uint8_t *p)
{
    return (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23];
}

static void send_id(struct synack_memlink *l, synack_time_us now, uint32_t dst, uint32_t id)
{
    uint8_t p[24];
    mkpkt(p, dst, id);
    synack_memlink_send(l, now, p, sizeof p);
}

static void log_rec(struct ep *e, synack_time_us now, uint32_t id, uint32_t to)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 256;
        e->recs = realloc(e->recs, e->cap * sizeof *e->recs);
        if (!e->recs) abort();
    }
    e->recs[e->n++] = (struct rec){ now, id, to };
}

static void ep_input(void *ctx, synack_time_us now, const uint8_t *pkt, size_t len)
{
    struct ep *e = ctx;
    if (len != 24) abort();
    log_rec(e, now, pkt_id(pkt), e->addr);
    if (e->trace) log_rec(e->trace, now, pkt_id(pkt), e->addr);
}

static void ep_free(struct ep *e) { free(e->recs); memset(e, 0, sizeof *e); }

/* Delivers step by step at each arrival time until nothing is in flight. */
static void drain(struct synack_memlink *l)
{
    synack_time_us t;
    while ((t = synack_memlink_next(l)) != SYNACK_TIME_NEVER) synack_memlink_deliver(l, t);
}

static struct synack_memlink *mk(const struct synack_memlink_config *c, struct ep *a, struct ep *b)
{
    struct synack_memlink *l = synack_memlink_new(c);
    if (!l) abort();
    if (a) { a->addr = ADDR_A; if (synack_memlink_attach(l, ADDR_A, ep_input, a)) abort(); }
    if (b) { b->addr = ADDR_B; if (synack_memlink_attach(l, ADDR_B, ep_input, b)) abort(); }
    return l;
}

TEST(link_defaults)
{
    struct synack_memlink_config c;
    memset(&c, 0xff, sizeof c);
    synack_memlink_config_default(&c);
    CHECK_EQ(c.seed, 1);
    CHECK(c.loss == 0 && c.dup == 0 && c.reorder == 0);
    CHECK_EQ(c.delay_us, 1000);
    CHECK_EQ(c.jitter_us, 0);
    CHECK_EQ(c.max_queued, 100000);
}

TEST(link_delay_order)
{
    struct synack_memlink_config c;
    synack_memlink_config_default(&c);
    struct ep a = {0};
    struct synack_memlink *l = mk(&c, &a, NULL);
    CHECK_EQ(synack_memlink_next(l), SYNACK_TIME_NEVER);
    send_id(l, 0, ADDR_A, 1);
    send_id(l, 10, ADDR_A, 2);
    send_id(l, 10, ADDR_A, 3);
    send_id(l, 5, ADDR_A, 4); /* sent later, arrives between 1 and 2 */
    CHECK_EQ(synack_memlink_next(l), 1000);
    synack_memlink_deliver(l, 999);
    CHECK_EQ(a.n, 0);
    synack_memlink_deliver(l, 1000);
    CHECK_EQ(a.n, 1);
    CHECK_EQ(a.recs[0].now, 1000);
    CHECK_EQ(a.recs[0].id, 1);
    CHECK_EQ(synack_memlink_next(l), 1005);
    synack_memlink_deliver(l, 1010); /* 4, then 2 and 3 in send order */
    CHECK_EQ(a.n, 4);
    CHECK_EQ(a.recs[1].id, 4);
    CHECK_EQ(a.recs[2].id, 2);
    CHECK_EQ(a.recs[3].id, 3);
    CHECK_EQ(a.recs[3].now, 1010); /* input sees the deliver time */
    CHECK_EQ(synack_memlink_next(l), SYNACK_TIME_NEVER);
    struct synack_memlink_stats s;
    synack_memlink_stats(l, &s);
    CHECK_EQ(s.sent, 4);
    CHECK_EQ(s.delivered, 4);
    CHECK_EQ(s.lost + s.duplicated + s.reordered + s.unroutable, 0);
    synack_memlink_free(l);
    ep_free(&a);
}

TEST(link_jitter)
{
    struct synack_memlink_config c;
    synack_memlink_config_default(&c);
    c.jitter_us = 500;
    struct ep a = {0};
    struct synack_memlink *l = mk(&c, &a, NULL);
    enum { N = 20000 };
    for (uint32_t i = 0; i < N; i++) send_id(l, i / 100, ADDR_A, i); /* 100 sends per us */
    drain(l);
    CHECK_EQ(a.n, N);
    synack_time_us lo = SYNACK_TIME_NEVER, hi = 0;
    long long sum = 0;
    static uint8_t seen[N];
    memset(seen, 0, sizeof seen);
    for (size_t k = 0; k < a.n; k++) {
        struct rec *r = &a.recs[k];
        CHECK(r->id < N && !seen[r->id]);
        seen[r->id] = 1;
        synack_time_us d = r->now - r->id / 100;
        CHECK_MSG(d >= 1000 && d <= 1500, "packet %u delay %lld", r->id, (long long)d);
        if (d < lo) lo = d;
        if (d > hi) hi = d;
        sum += d;
        if (k) {
            CHECK(r->now >= a.recs[k - 1].now);
            /* equal arrival times: send order (ids grow with send order) */
            if (r->now == a.recs[k - 1].now) CHECK(r->id > a.recs[k - 1].id);
        }
    }
    CHECK_EQ(lo, 1000);
    CHECK_EQ(hi, 1500);
    double mean = (double)sum / N;
    CHECK_MSG(mean > 1240 && mean < 1260, "mean delay %f", mean);
    synack_memlink_free(l);
    ep_free(&a);
}

TEST(link_routing)
{
    struct synack_memlink_config c;
    synack_memlink_config_default(&c);
    struct ep a = {0}, b = {0};
    struct synack_memlink *l = mk(&c, &a, &b);
    CHECK_EQ(synack_memlink_attach(l, ADDR_A, ep_input, &b), -1); /* taken */
    send_id(l, 0, ADDR_A, 1);
    send_id(l, 0, ADDR_B, 2);
    send_id(l, 0, ADDR_C, 3);
    send_id(l, 0, ADDR_B, 4);
    uint8_t shortp[24];
    mkpkt(shortp, ADDR_A, 5);
    synack_memlink_send(l, 0, shortp, 19);
    synack_memlink_send(l, 0, shortp, 0);
    drain(l);
    CHECK_EQ(a.n, 1);
    CHECK_EQ(a.recs[0].id, 1);
    CHECK_EQ(b.n, 2);
    CHECK_EQ(b.recs[0].id, 2);
    CHECK_EQ(b.recs[1].id, 4);
    struct synack_memlink_stats s;
    synack_memlink_stats(l, &s);
    CHECK_EQ(s.sent, 6);
    CHECK_EQ(s.delivered, 3);
    CHECK_EQ(s.unroutable, 3);
    CHECK_EQ(s.lost, 0);
    /* many endpoints: each gets only its own packets */
    struct ep many[50];
    memset(many, 0, sizeof many);
    for (int i = 49; i >= 0; i--) {
        many[i].addr = 0xc0a80000u + (uint32_t)i * 7;
        CHECK_EQ(synack_memlink_attach(l, many[i].addr, ep_input, &many[i]), 0);
    }
    for (uint32_t i = 0; i < 500; i++) send_id(l, 100, many[i % 50].addr, i);
    drain(l);
    for (int i = 0; i < 50; i++) {
        CHECK_EQ(many[i].n, 10);
        for (size_t k = 0; k < many[i].n; k++) CHECK_EQ(many[i].recs[k].id % 50, i);
        ep_free(&many[i]);
    }
    synack_memlink_free(l);
    ep_free(&a);
    ep_free(&b);
}

/* Sends n packets one per microsecond, delivering as it goes; returns the stats. */
static void run_rate(struct synack_memlink_config *c, struct ep *a, uint32_t n,
                     struct synack_memlink_stats *s)
{
    struct synack_memlink *l = mk(c, a, NULL);
    for (uint32_t i = 0; i < n; i++) {
        send_id(l, i, ADDR_A, i);
        synack_memlink_deliver(l, i);
    }
    drain(l);
    synack_memlink_stats(l, s);
    synack_memlink_free(l);
}

TEST(link_loss_rate)
{
    struct synack_memlink_config c;
    synack_memlink_config_default(&c);
    c.loss = 0.1;
    c.seed = 42;
    struct ep a = {0};
    struct synack_memlink_stats s;
    run_rate(&c, &a, 100000, &s);
    CHECK_MSG(s.lost >= 9000 && s.lost <= 11000, "lost %llu", (unsigned long long)s.lost);
    CHECK_EQ(s.delivered + s.lost, 100000);
    CHECK_EQ(a.n, s.delivered);
    CHECK_EQ(s.duplicated + s.reordered + s.unroutable, 0);
    ep_free(&a);
    /* loss 1 loses everything, loss 0 nothing */
    c.loss = 1.0;
    run_rate(&c, &a, 1000, &s);
    CHECK_EQ(s.lost, 1000);
    CHECK_EQ(a.n, 0);
    ep_free(&a);
}

TEST(link_dup_rate)
{
    struct synack_memlink_config c;
    synack_memlink_config_default(&c);
    c.dup = 0.1;
    c.jitter_us = 300;
    c.seed = 7;
    struct ep a = {0};
    struct synack_memlink_stats s;
    enum { N = 100000 };
    run_rate(&c, &a, N, &s);
    CHECK_MSG(s.duplicated >= 9000 && s.duplicated <= 11000, "dup %llu",
              (unsigned long long)s.duplicated);
    CHECK_EQ(s.delivered, N + s.duplicated);
    CHECK_EQ(s.lost, 0);
    /* every id once or twice; twins usually at different times (independent jitter) */
    static uint8_t cnt[N];
    static synack_time_us first[N];
    memset(cnt, 0, sizeof cnt);
    size_t twins = 0, same_time = 0;
    for (size_t k = 0; k < a.n; k++) {
        uint32_t id = a.recs[k].id;
        CHECK(id < N);
        if (cnt[id]++ == 0) first[id] = a.recs[k].now;
        else { twins++; if (a.recs[k].now == first[id]) same_time++; }
        CHECK(cnt[id] <= 2);
    }
    CHECK_EQ(twins, s.duplicated);
    CHECK_MSG(same_time * 20 < twins, "%zu of %zu twins at the same time", same_time, twins);
    ep_free(&a);
}

TEST(link_reorder_rate)
{
    struct synack_memlink_config c;
    synack_memlink_config_default(&c);
    c.reorder = 0.1;
    c.seed = 99;
    struct ep a = {0};
    struct synack_memlink_stats s;
    enum { N = 100000 };
    run_rate(&c, &a, N, &s);
    CHECK_MSG(s.reordered >= 9000 && s.reordered <= 11000, "reordered %llu",
              (unsigned long long)s.reordered);
    CHECK_EQ(s.delivered, N);
    /* delay is 1000, or 1000 + 3*1000 when held back; arrival order differs from send order */
    uint64_t late = 0, inversions = 0;
    for (size_t k = 0; k < a.n; k++) {
        synack_time_us d = a.recs[k].now - a.recs[k].id;
        CHECK_MSG(d == 1000 || d == 4000, "delay %lld", (long long)d);
        if (d == 4000) late++;
        if (k && a.recs[k].id < a.recs[k - 1].id) inversions++;
    }
    CHECK_EQ(late, s.reordered);
    CHECK(inversions > 0);
    ep_free(&a);
    /* explicit reorder delay */
    c.reorder = 1.0;
    c.reorder_delay_us = 250;
    run_rate(&c, &a, 100, &s);
    CHECK_EQ(s.reordered, 100);
    for (size_t k = 0; k < a.n; k++) CHECK_EQ(a.recs[k].now - a.recs[k].id, 1250);
    ep_free(&a);
}

/* One impaired run; the trace is every delivery to either endpoint in order. */
static void run_trace(uint64_t seed, struct ep *trace)
{
    struct synack_memlink_config c;
    synack_memlink_config_default(&c);
    c.seed = seed;
    c.loss = 0.05;
    c.dup = 0.05;
    c.reorder = 0.05;
    c.jitter_us = 2000;
    struct ep a = { .trace = trace }, b = { .trace = trace };
    struct synack_memlink *l = mk(&c, &a, &b);
    for (uint32_t i = 0; i < 5000; i++) {
        send_id(l, i * 3, i & 1 ? ADDR_A : ADDR_B, i);
        if (i % 7 == 0) synack_memlink_deliver(l, i * 3);
    }
    drain(l);
    synack_memlink_free(l);
    ep_free(&a);
    ep_free(&b);
}

static int same_trace(const struct ep *x, const struct ep *y)
{
    if (x->n != y->n) return 0;
    for (size_t k = 0; k < x->n; k++)
        if (x->recs[k].now != y->recs[k].now || x->recs[k].id != y->recs[k].id ||
            x->recs[k].to != y->recs[k].to)
            return 0;
    return 1;
}

TEST(link_determinism)
{
    struct ep t1 = {0}, t2 = {0}, t3 = {0};
    run_trace(1234, &t1);
    run_trace(1234, &t2);
    run_trace(1235, &t3);
    CHECK(t1.n > 4000);
    CHECK(same_trace(&t1, &t2));
    CHECK(!same_trace(&t1, &t3));
    ep_free(&t1);
    ep_free(&t2);
    ep_free(&t3);
}

/* Re-entrancy: id 1 at A makes A send 3 to B; ids 3..5 bounce to the peer as id + 1. */
static void bounce_input(void *ctx, synack_time_us now, const uint8_t *pkt, size_t len)
{
    struct ep *e = ctx;
    uint32_t id = pkt_id(pkt);
    ep_input(ctx, now, pkt, len);
    if (id == 1) send_id(e->link, now, e->peer, 3);
    else if (id >= 3 && id < 6) send_id(e->link, now, e->peer, id + 1);
}

TEST(link_reentrant_send)
{
    struct synack_memlink_config c;
    synack_memlink_config_default(&c);
    c.delay_us = 0;
    struct ep trace = {0};
    struct ep a = { .addr = ADDR_A, .peer = ADDR_B, .trace = &trace };
    struct ep b = { .addr = ADDR_B, .peer = ADDR_A, .trace = &trace };
    struct synack_memlink *l = synack_memlink_new(&c);
    CHECK(l);
    a.link = b.link = l;
    CHECK_EQ(synack_memlink_attach(l, ADDR_A, bounce_input, &a), 0);
    CHECK_EQ(synack_memlink_attach(l, ADDR_B, bounce_input, &b), 0);
    send_id(l, 0, ADDR_A, 1);
    send_id(l, 0, ADDR_B, 2);
    synack_memlink_deliver(l, 0);
    /* 3 is sent during 1's delivery, so after 2 (already due) */
    static const struct { uint32_t id, to; } want[] = {
        { 1, ADDR_A }, { 2, ADDR_B }, { 3, ADDR_B }, { 4, ADDR_A }, { 5, ADDR_B }, { 6, ADDR_A } };
    CHECK_EQ(trace.n, 6);
    for (size_t k = 0; k < 6; k++) {
        CHECK_EQ(trace.recs[k].id, want[k].id);
        CHECK_EQ(trace.recs[k].to, want[k].to);
        CHECK_EQ(trace.recs[k].now, 0);
    }
    CHECK_EQ(synack_memlink_next(l), SYNACK_TIME_NEVER);
    synack_memlink_free(l);
    ep_free(&trace);
    ep_free(&a);
    ep_free(&b);

    /* with a delay, a packet sent from input waits for a later deliver call */
    c.delay_us = 100;
    struct ep t2 = {0};
    struct ep a2 = { .addr = ADDR_A, .peer = ADDR_B, .trace = &t2 };
    struct ep b2 = { .addr = ADDR_B, .peer = ADDR_A, .trace = &t2 };
    l = synack_memlink_new(&c);
    CHECK(l);
    a2.link = b2.link = l;
    CHECK_EQ(synack_memlink_attach(l, ADDR_A, bounce_input, &a2), 0);
    CHECK_EQ(synack_memlink_attach(l, ADDR_B, bounce_input, &b2), 0);
    send_id(l, 0, ADDR_A, 1);
    synack_memlink_deliver(l, 100);
    CHECK_EQ(t2.n, 1);
    CHECK_EQ(synack_memlink_next(l), 200);
    synack_memlink_deliver(l, 250); /* 3 at B; 4 is due at 350 */
    CHECK_EQ(t2.n, 2);
    CHECK_EQ(t2.recs[1].id, 3);
    CHECK_EQ(synack_memlink_next(l), 350);
    drain(l);
    CHECK_EQ(t2.n, 5);
    CHECK_EQ(t2.recs[4].id, 6);
    CHECK_EQ(t2.recs[4].now, 550);
    synack_memlink_free(l);
    ep_free(&t2);
    ep_free(&a2);
    ep_free(&b2);
}

TEST(link_max_queued)
{
    struct synack_memlink_config c;
    synack_memlink_config_default(&c);
    c.max_queued = 10;
    struct ep a = {0};
    struct synack_memlink *l = mk(&c, &a, NULL);
    for (uint32_t i = 0; i < 15; i++) send_id(l, 0, ADDR_A, i);
    struct synack_memlink_stats s;
    synack_memlink_stats(l, &s);
    CHECK_EQ(s.lost, 5);
    drain(l);
    CHECK_EQ(a.n, 10);
    CHECK_EQ(a.recs[9].id, 9);
    /* room again once delivered */
    send_id(l, 2000, ADDR_A, 100);
    drain(l);
    CHECK_EQ(a.n, 11);
    synack_memlink_stats(l, &s);
    CHECK_EQ(s.lost, 5);
    CHECK_EQ(s.delivered, 11);
    /* free with packets still in flight (ASan checks for leaks) */
    send_id(l, 3000, ADDR_A, 101);
    synack_memlink_free(l);
    ep_free(&a);
    /* a duplicate that does not fit counts as lost */
    c.max_queued = 1;
    c.dup = 1.0;
    l = mk(&c, &a, NULL);
    send_id(l, 0, ADDR_A, 1);
    synack_memlink_stats(l, &s);
    CHECK_EQ(s.lost, 1);
    CHECK_EQ(s.duplicated, 0);
    drain(l);
    CHECK_EQ(a.n, 1);
    synack_memlink_free(l);
    ep_free(&a);
}

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) { cap *= 2; b = realloc(b, cap); }
    }
    fclose(f);
    *len = n;
    return b;
}

TEST(link_pcap)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/synack_test_link_%d.pcap", (int)getpid());
    struct synack_pcap *p = synack_pcap_open(path);
    CHECK(p);
    uint8_t p1[24], p2[24];
    mkpkt(p1, ADDR_A, 0x01020304);
    mkpkt(p2, ADDR_B, 0x0a0b0c0d);
    synack_pcap_write(p, 3 * 1000000LL + 234567, p1, sizeof p1);
    synack_pcap_write(p, -5, p2, sizeof p2);
    uint8_t *big = calloc(1, 70000);
    CHECK(big);
    big[0] = 0x45;
    synack_pcap_write(p, 1000001, big, 70000);
    free(big);
    /* as a memlink tap: every packet as sent, the unroutable one too */
    struct synack_memlink_config c;
    synack_memlink_config_default(&c);
    struct synack_memlink *l = synack_memlink_new(&c);
    CHECK(l);
    synack_memlink_set_tap(l, synack_pcap_tap, p);
    send_id(l, 7, ADDR_C, 0x11223344);
    synack_memlink_free(l);
    synack_pcap_close(p);
    synack_pcap_close(NULL);

    size_t n;
    uint8_t *b = read_all(path, &n);
    unlink(path);
    CHECK(b);
    static const uint8_t ghdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0xff, 0xff, 0, 0, 101, 0, 0, 0 };
    size_t want = 24 + 3 * (16 + 24) + 16 + 65535;
    CHECK_EQ(n, want);
    CHECK(!memcmp(b, ghdr, 24));
    const uint8_t *r = b + 24;
    CHECK_EQ(le32(r), 3);
    CHECK_EQ(le32(r + 4), 234567);
    CHECK_EQ(le32(r + 8), 24);
    CHECK_EQ(le32(r + 12), 24);
    CHECK(!memcmp(r + 16, p1, 24));
    r += 40;
    CHECK_EQ(le32(r), 0);
    CHECK_EQ(le32(r + 4), 0);
    CHECK_EQ(le32(r + 8), 24);
    CHECK(!memcmp(r + 16, p2, 24));
    r += 40;
    CHECK_EQ(le32(r), 1);
    CHECK_EQ(le32(r + 4), 1);
    CHECK_EQ(le32(r + 8), 65535);
    CHECK_EQ(le32(r + 12), 70000);
    CHECK_EQ(r[16], 0x45);
    r += 16 + 65535;
    CHECK_EQ(le32(r), 0);
    CHECK_EQ(le32(r + 4), 7);
    CHECK_EQ(le32(r + 8), 24);
    CHECK_EQ(pkt_id(r + 16), 0x11223344);
    free(b);
    CHECK(synack_pcap_open("/nonexistent-dir/x.pcap") == NULL);
}
