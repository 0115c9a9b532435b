/* SYN cookie cost: synack__cookie_generate and synack__cookie_validate in nanoseconds per call,
 * over 4096 pre-drawn 4-tuples / client ISNs / MSS values (so the inputs are not constant), with
 * same-run references: one SipHash-2-4 call over 24 bytes (what a cookie MAC hashes) and a
 * 64-byte memcpy. Validation is measured for valid cookies, for forged ones (random ISS, the
 * ACK-flood case) and for stale ones (made two periods ago).
 *
 * Usage: cookie_bench [seconds per measurement]   (default 0.4) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/stack.h"
#include "core/siphash.h"

#define N 4096
#define SRV 0x0a4d0002u

static struct { uint32_t raddr, irs, iss, forged; uint16_t rport, mss; } in[N];
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

enum op { OP_SIPHASH, OP_MEMCPY, OP_GENERATE, OP_VALID, OP_FORGED, OP_STALE };

/* Runs `rounds` passes of N calls of op; returns the calls made. */
static uint64_t run(struct synack_stack *st, enum op op, uint64_t rounds)
{
    static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static uint8_t src[N][64], dst[64];
    uint64_t acc = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        for (int i = 0; i < N; i++) {
            switch (op) {
            case OP_SIPHASH: {
                uint8_t b[24];
                memcpy(b, &in[i], 16);
                memcpy(b + 16, &r, 8);
                acc += siphash24(key, b, sizeof b);
                break;
            }
            case OP_MEMCPY:
                memcpy(dst, src[i], 64);
                acc += dst[i & 63];
                break;
            case OP_GENERATE:
                acc += synack__cookie_generate(st, SRV, in[i].raddr, 80, in[i].rport, in[i].irs,
                                               in[i].mss, NULL);
                break;
            case OP_VALID:
            case OP_STALE: {
                uint16_t mss;
                acc += (uint64_t)synack__cookie_validate(st, SRV, in[i].raddr, 80, in[i].rport, in[i].irs,
                                                         in[i].iss, &mss, NULL) + mss;
                break;
            }
            case OP_FORGED:
                acc += (uint64_t)synack__cookie_validate(st, SRV, in[i].raddr, 80, in[i].rport, in[i].irs,
                                                         in[i].forged, NULL, NULL);
                break;
            }
        }
    }
    sink += acc;
    return rounds * N;
}

/* ns per call, running for about `secs`. */
static double measure(struct synack_stack *st, enum op op, double secs)
{
    uint64_t rounds = 1, calls;
    double t0, t;
    for (;;) {                       /* calibrate: at least 20 ms per try */
        t0 = now_s();
        run(st, op, rounds);
        t = now_s() - t0;
        if (t > 0.02) break;
        rounds *= 2;
    }
    rounds = (uint64_t)((double)rounds * secs / t) + 1;
    t0 = now_s();
    calls = run(st, op, rounds);
    t = now_s() - t0;
    return t * 1e9 / (double)calls;
}

int main(int argc, char **argv)
{
    struct synack_config cfg;
    struct synack_stack *st;
    double secs = argc > 1 ? atof(argv[1]) : 0.4;
    const synack_time_us T = 1000LL * 16000000 + 3000000;   /* inside a cookie period */
    uint64_t seed = 4;
    double sip, cpy, gen, val, forged, stale;
    int bad = 0;
    if (secs <= 0 || secs > 5) secs = 0.4;
    synack_config_default(&cfg);
    cfg.addr = SRV;
    cfg.max_sockets = 16;
    cfg.max_buffers = 2;
    for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(i * 13 + 5);
    if (synack_stack_new(&cfg, &st)) { fprintf(stderr, "stack_new failed\n"); return 1; }
    /* Stale inputs: cookies made two periods before T. */
    synack_set_now(st, T - 32000000);
    for (int i = 0; i < N; i++) {
        uint64_t r = rnd(&seed), r2 = rnd(&seed);
        in[i].raddr = 0x0a4e0000u | (uint32_t)(r & 0xffff);
        in[i].rport = (uint16_t)(1024 + (r >> 16) % 60000);
        in[i].irs = (uint32_t)(r >> 32);
        in[i].mss = (uint16_t)(536 + r2 % 8500);
        in[i].forged = (uint32_t)(r2 >> 32);
    }
    {
        static uint32_t stale_iss[N];
        for (int i = 0; i < N; i++)
            stale_iss[i] = synack__cookie_generate(st, SRV, in[i].raddr, 80, in[i].rport, in[i].irs, in[i].mss, NULL);
        synack_set_now(st, T);
        (void)measure(st, OP_SIPHASH, 0.2);      /* warm-up (CPU clock ramp), not reported */
        for (int i = 0; i < N; i++)
            bad += synack__cookie_validate(st, SRV, in[i].raddr, 80, in[i].rport, in[i].irs, stale_iss[i], NULL, NULL) != -2;
        for (int i = 0; i < N; i++) in[i].iss = stale_iss[i];
        stale = measure(st, OP_STALE, secs);
    }
    for (int i = 0; i < N; i++) {
        in[i].iss = synack__cookie_generate(st, SRV, in[i].raddr, 80, in[i].rport, in[i].irs, in[i].mss, NULL);
        bad += synack__cookie_validate(st, SRV, in[i].raddr, 80, in[i].rport, in[i].irs, in[i].iss, NULL, NULL) != 0;
    }
    if (bad) { fprintf(stderr, "cookie_bench: %d inputs did not validate as expected\n", bad); return 1; }
    sip = measure(st, OP_SIPHASH, secs);
    cpy = measure(st, OP_MEMCPY, secs);
    gen = measure(st, OP_GENERATE, secs);
    val = measure(st, OP_VALID, secs);
    forged = measure(st, OP_FORGED, secs);
    printf("cookie_bench: %d distinct inputs, %.1f s per measurement\n", N, secs);
    printf("  %-36s %8.1f ns/op\n", "reference: SipHash-2-4, 24 bytes", sip);
    printf("  %-36s %8.1f ns/op\n", "reference: memcpy, 64 bytes", cpy);
    printf("  %-36s %8.1f ns/op  %5.2fx SipHash  %6.1fx memcpy  %6.1f M/s\n", "synack__cookie_generate", gen,
           gen / sip, gen / cpy, 1e3 / gen);
    printf("  %-36s %8.1f ns/op  %5.2fx SipHash  %6.1fx memcpy  %6.1f M/s\n", "synack__cookie_validate (valid)", val,
           val / sip, val / cpy, 1e3 / val);
    printf("  %-36s %8.1f ns/op  %5.2fx SipHash  %6.1fx memcpy  %6.1f M/s\n", "synack__cookie_validate (forged)", forged,
           forged / sip, forged / cpy, 1e3 / forged);
    printf("  %-36s %8.1f ns/op  %5.2fx SipHash  %6.1fx memcpy  %6.1f M/s\n", "synack__cookie_validate (stale)", stale,
           stale / sip, stale / cpy, 1e3 / stale);
    synack_stack_free(st);
    return 0;
}
