/* libFuzzer target for the Ethernet layer (src/core/eth.c): a stack with two interfaces, a
 * listener, a UDP socket sending to on-link, off-link and gateway destinations, fed frames
 * and time steps from the fuzzer's bytes. Each record: 1 byte of flags (bit 0: time step of
 * up to 65 s from the next 2 bytes; bit 1: the frame goes to interface 1; bit 2: make it an
 * ARP message from the next bytes, with a sender inside the prefix; bit 3: a UDP send to an
 * address from the next 4 bytes), 2 bytes of length, then the bytes. Checks: no crash, no
 * sanitizer report, every frame sent is from our MAC on its interface, at least an Ethernet and IPv4 header long
 * (short frames are not padded: veth, TAP and AF_XDP take them) and no larger than MTU + 14, and the
 * neighbour cache and held-packet queue stay within their bounds.
 *
 * Build and run: `make fuzz` builds build/fuzz/fuzz_eth; `make fuzz-smoke` runs it briefly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "synack/eth.h"
#include "synack/socket.h"
#include "core/wire.h"

#define US 0x0a4d0a02u
#define GW 0x0a4d0a01u

static const uint8_t MAC0[6] = { 0x02, 0, 0, 0, 0, 2 }, MAC1[6] = { 0x02, 0, 0, 0, 1, 2 };

static void check(void *ctx, int i, const uint8_t *f, size_t n)
{
    (void)ctx;
    if (i < 0 || i > 1 || n < 14 + 20 || n > 1514 || (f[6] & 1)) __builtin_trap();
    if (memcmp(f + 6, i ? MAC1 : MAC0, 6)) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct synack_config cfg;
    struct synack_eth_config ec;
    struct synack_stack *st;
    struct synack_eth *e;
    struct synack_eth_stats es;
    synack_time_us now = 1000000;
    uint8_t fr[1600];
    size_t off = 0;
    synack_config_default(&cfg);
    cfg.addr = US;
    cfg.max_sockets = 32;
    cfg.max_buffers = 8;
    cfg.rcvbuf_bytes = cfg.sndbuf_bytes = 8192;
    synack_eth_config_default(&ec);
    ec.neigh_entries = 8;
    ec.pending_max = 6;
    ec.ctl_queue = 8;
    if (size && (data[0] & 0x80)) ec.gateway = GW;
    if (synack_stack_new(&cfg, &st)) return 0;
    if (synack_eth_new(st, &ec, &e)) { synack_stack_free(st); return 0; }
    synack_eth_add_if(e, MAC0, 24);
    synack_eth_add_if(e, MAC1, 28);
    int l = synack_socket(st, SYNACK_SOCK_STREAM);
    synack_bind(st, l, 0, 80);
    synack_listen(st, l, 4);
    int u = synack_socket(st, SYNACK_SOCK_DGRAM);
    while (off + 3 <= size) {
        uint8_t fl = data[off];
        size_t len = (size_t)(data[off + 1] << 8 | data[off + 2]) % sizeof fr;
        const uint8_t *d;
        off += 3;
        if (len > size - off) len = size - off;
        d = data + off;
        if (fl & 1 && len >= 2) now += (synack_time_us)(d[0] << 8 | d[1]) * 1000;
        if (fl & 4 && len >= 12) {
            /* ARP with a plausible sender (on-link), fuzzed op, target and MACs */
            memset(fr, 0, 60);
            memcpy(fr, d[0] & 1 ? MAC0 : (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 6);
            memcpy(fr + 6, d + 2, 6);
            fr[12] = 8; fr[13] = 6;
            wr16(fr + 14, 1); wr16(fr + 16, 0x0800); fr[18] = 6; fr[19] = 4;
            wr16(fr + 20, (uint16_t)(d[1] & 3));
            memcpy(fr + 22, d + 2, 6);
            wr32(fr + 28, 0x0a4d0a00u | d[8]);
            wr32(fr + 38, d[9] & 1 ? US : 0x0a4d0a00u | d[10]);
            synack_eth_input(e, now, fl & 2 ? 1 : 0, fr, 60);
        } else {
            synack_eth_input(e, now, fl & 2 ? 1 : 0, d, len);
        }
        if (fl & 8 && len >= 4) synack_sendto(st, u, d, len > 1400 ? 1400 : len, rd32(d), 7);
        synack_eth_poll(e, now, check, NULL);
        synack_eth_stats(e, &es);
        if (es.neigh_used > ec.neigh_entries || es.pending > ec.pending_max) __builtin_trap();
        off += len;
    }
    synack_close(st, u);
    synack_close(st, l);
    for (int i = 0; i < 64; i++) {
        synack_time_us t = synack_eth_poll_at(e);
        if (t == SYNACK_TIME_NEVER) break;
        now = t > now ? t : now + 1;
        synack_eth_poll(e, now, check, NULL);
    }
    synack_eth_stats(e, &es);
    if (es.pending) __builtin_trap();     /* everything held was sent or dropped */
    synack_eth_free(e);
    synack_stack_free(st);
    return 0;
}
