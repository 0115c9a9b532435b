/* SYN flood throughput on one core, inside the process (no device): pre-built spoofed SYNs
 * (random sources in 10.78.0.0/16, random ports and ISNs, Linux-like options: MSS, SACK, TS,
 * WS) fed with synack_input, SYN-ACKs drained by synack_poll every 256 SYNs with a counting
 * emit callback. Scenarios:
 *   auto, cache full   the listener's half-open share is filled first, so every SYN gets a
 *                      cookie (the goal: >= 5 million SYN/s per core)
 *   always             every SYN gets a cookie by configuration
 *   off, cache full    every SYN is dropped (the floor: parsing and lookup only)
 * and same-run references for the fixed per-packet work: ip4_parse + tcp_parse of one SYN
 * (two checksums), and building one SYN-ACK with tcp_emit + ip4_emit.
 *
 * Usage: syn_flood_bench [SYNs per scenario]   (default 10,000,000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/stack.h"
#include "synack/socket.h"

#define NPKT 65536
#define PKT_MAX 80
#define SRV 0x0a4d0002u
#define PORT 80
#define BATCH 256

static uint8_t pkts[NPKT][PKT_MAX];
static uint16_t lens[NPKT];
static volatile uint64_t sink;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t build_syn(uint8_t *buf, uint64_t *seed)
{
    uint64_t r = rnd(seed);
    struct tcp_opts o;
    size_t n;
    memset(&o, 0, sizeof o);
    o.has_mss = 1; o.mss = 1460;
    o.sack_ok = 1;
    o.has_ts = 1; o.tsval = (uint32_t)(r >> 7);
    o.has_ws = 1; o.ws = 7;
    n = tcp_emit(buf + IP4_HDR_MIN, 0x0a4e0000u | (uint32_t)(r & 0xffff), SRV,
                 (uint16_t)(1024 + (r >> 16) % 60000), PORT, (uint32_t)(r >> 32), 0, SYNACK_SYN,
                 64240, &o, NULL, 0);
    ip4_emit(buf, 0x0a4e0000u | (uint32_t)(r & 0xffff), SRV, IP4_PROTO_TCP, (uint16_t)n, (uint16_t)r, 64);
    return IP4_HDR_MIN + n;
}

struct counter { uint64_t pkts, synacks, bytes; };

static void count_emit(void *ctx, const uint8_t *pkt, size_t len)
{
    struct counter *c = ctx;
    c->pkts++;
    c->bytes += len;
    if ((pkt[IP4_HDR_MIN + 13] & (SYNACK_SYN | SYNACK_ACK)) == (SYNACK_SYN | SYNACK_ACK)) c->synacks++;
}

struct result { double secs; uint64_t syns, out, synacks, cookies, dropped, half_open; };

static uint64_t cnt(struct synack_stack *st, enum synack_counter c) { return synack_counter_get(st, c); }

/* One scenario: a fresh server stack in `mode`, its listener's half-open share filled first
 * when `fill`; then `total` SYNs from the pre-built set, a poll every BATCH. */
static int scenario(int mode, int fill, uint64_t total, struct result *res)
{
    struct synack_config cfg;
    struct synack_stack *st;
    struct synack_mem_stats m;
    struct counter c = {0, 0, 0}, discard = {0, 0, 0};
    synack_time_us now = 1000LL * 16000000 + 1000000;   /* early in a cookie period */
    uint64_t seed = 0xf111, cookies0, dropped0;
    double t0;
    int ls;
    synack_config_default(&cfg);
    cfg.addr = SRV;
    cfg.syncookies = mode;
    cfg.max_sockets = 64;
    cfg.max_buffers = 8;
    for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(i * 17 + 9);
    if (synack_stack_new(&cfg, &st)) return -1;
    synack_set_now(st, now);
    ls = synack_socket(st, SYNACK_SOCK_STREAM);
    if (ls < 0 || synack_bind(st, ls, 0, PORT) || synack_listen(st, ls, 128)) return -1;
    if (fill) {            /* other sources than the measured set: a different seed */
        uint8_t p[PKT_MAX];
        for (int i = 0; i < 100000; i++) {
            synack_mem_stats(st, &m);
            if (m.half_open >= cfg.syn_backlog) break;
            synack_input(st, now, p, build_syn(p, &seed));
            if (i % BATCH == BATCH - 1) synack_poll(st, now, count_emit, &discard);
        }
        synack_poll(st, now, count_emit, &discard);
        synack_mem_stats(st, &m);
        if (m.half_open < cfg.syn_backlog) return -1;
    }
    for (int i = 0; i < NPKT; i++) {    /* warm-up: caches, branch predictors, CPU clock */
        synack_input(st, now, pkts[i], lens[i]);
        if (i % BATCH == BATCH - 1) synack_poll(st, now, count_emit, &discard);
    }
    synack_poll(st, now, count_emit, &discard);
    cookies0 = cnt(st, SYNACK_C_tcp_syncookies_sent);
    dropped0 = cnt(st, SYNACK_C_tcp_syn_dropped);
    t0 = now_s();
    for (uint64_t i = 0; i < total;) {
        for (int k = 0; k < BATCH && i < total; k++, i++) {
            unsigned j = (unsigned)(i & (NPKT - 1));
            synack_input(st, now, pkts[j], lens[j]);
        }
        synack_poll(st, now, count_emit, &c);
        now++;
    }
    res->secs = now_s() - t0;
    res->syns = total;
    res->out = c.pkts;
    res->synacks = c.synacks;
    res->cookies = cnt(st, SYNACK_C_tcp_syncookies_sent) - cookies0;
    res->dropped = cnt(st, SYNACK_C_tcp_syn_dropped) - dropped0;
    synack_mem_stats(st, &m);
    res->half_open = m.half_open;
    synack_stack_free(st);
    return 0;
}

/* References: the parse of one SYN, and the build of one SYN-ACK with options. */
static double ref_parse(uint64_t total)
{
    uint64_t acc = 0;
    double t0 = now_s();
    for (uint64_t i = 0; i < total; i++) {
        unsigned j = (unsigned)(i & (NPKT - 1));
        struct ip4_view ip;
        struct tcp_view tv;
        if (ip4_parse(pkts[j], lens[j], &ip) == WIRE_OK &&
            tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, &tv) == WIRE_OK)
            acc += tv.seq + tv.opts.tsval;
    }
    sink += acc;
    return (now_s() - t0) * 1e9 / (double)total;
}

static double ref_emit(uint64_t total)
{
    static uint8_t out[BATCH][128];
    uint64_t acc = 0;
    struct tcp_opts o;
    double t0;
    memset(&o, 0, sizeof o);
    o.has_mss = 1; o.mss = 1460; o.has_ws = 1; o.ws = 1; o.sack_ok = 1;
    o.has_ts = 1; o.tsecr = 12345;
    t0 = now_s();
    for (uint64_t i = 0; i < total; i++) {
        uint8_t *p = out[i & (BATCH - 1)];
        size_t n;
        o.tsval = (uint32_t)i;
        n = tcp_emit(p + IP4_HDR_MIN, SRV, 0x0a4e0000u | (uint32_t)(i & 0xffff), PORT,
                     (uint16_t)(1024 + (i & 0x7fff)), (uint32_t)(i * 2654435761u), (uint32_t)i + 1,
                     SYNACK_SYN | SYNACK_ACK, 65535, &o, NULL, 0);
        ip4_emit(p, SRV, 0x0a4e0000u | (uint32_t)(i & 0xffff), IP4_PROTO_TCP, (uint16_t)n, (uint16_t)i, 64);
        acc += p[IP4_HDR_MIN + 16];
    }
    sink += acc;
    return (now_s() - t0) * 1e9 / (double)total;
}

int main(int argc, char **argv)
{
    static const struct { const char *name; int mode, fill; } sc[] = {
        {"auto, cache full (cookies)", SYNACK_SYNCOOKIES_AUTO, 1},
        {"always (cookies)", SYNACK_SYNCOOKIES_ALWAYS, 0},
        {"off, cache full (drops)", SYNACK_SYNCOOKIES_OFF, 1},
    };
    uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000000;
    uint64_t seed = 0x5ee0;
    double parse_ns, emit_ns, auto_rate = 0;
    int fail = 0;
    if (total < 100000 || total > 200000000) total = 5000000;
    for (int i = 0; i < NPKT; i++) lens[i] = (uint16_t)build_syn(pkts[i], &seed);
    printf("syn_flood_bench: %llu SYNs per scenario from %d pre-built spoofed SYNs (%u bytes, "
           "MSS+SACK+TS+WS), poll every %d, one core\n", (unsigned long long)total, NPKT, lens[0], BATCH);
    for (size_t k = 0; k < sizeof sc / sizeof sc[0]; k++) {
        struct result r;
        int cookie_mode = sc[k].mode != SYNACK_SYNCOOKIES_OFF;
        if (scenario(sc[k].mode, sc[k].fill, total, &r)) { fprintf(stderr, "%s: setup failed\n", sc[k].name); return 1; }
        printf("  %-28s %7.2f M SYN/s  %6.1f ns/SYN   out: %llu SYN-ACKs (%llu cookies), %llu dropped, "
               "half_open %llu\n", sc[k].name, (double)r.syns / r.secs / 1e6, r.secs * 1e9 / (double)r.syns,
               (unsigned long long)r.synacks, (unsigned long long)r.cookies, (unsigned long long)r.dropped,
               (unsigned long long)r.half_open);
        if (k == 0) auto_rate = (double)r.syns / r.secs;
        /* Sanity: cookie modes answer every SYN with a cookie; off mode drops every SYN. */
        if (cookie_mode && (r.synacks != r.syns || r.cookies != r.syns)) fail = 1;
        if (!cookie_mode && (r.out != 0 || r.dropped != r.syns)) fail = 1;
    }
    parse_ns = ref_parse(total);
    emit_ns = ref_emit(total);
    printf("  reference: ip4_parse+tcp_parse of a SYN      %6.1f ns\n", parse_ns);
    printf("  reference: tcp_emit+ip4_emit of a SYN-ACK    %6.1f ns\n", emit_ns);
    printf("  goal: >= 5 M SYN/s per core in auto mode with the cache full: %s (%.2f M SYN/s)\n",
           auto_rate >= 5e6 ? "met" : "NOT met", auto_rate / 1e6);
    if (fail) { fprintf(stderr, "syn_flood_bench: unexpected SYN-ACK or drop counts\n"); return 1; }
    return 0;
}
