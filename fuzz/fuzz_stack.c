/* libFuzzer target for the whole input path (lwIP's fuzz_common.c idea): one stack with a
 * listener, an established connection and a connection in SYN_SENT, fed a sequence of packets
 * and time steps taken from the fuzzer's bytes. Each record: 1 byte of flags (bit 0: time
 * step of up to 65 s from the next 2 bytes; bit 1: make the packet a TCP segment to one of the
 * known connections, with the next bytes as header fields and payload; bit 2: user calls),
 * 2 bytes of length, then the bytes. Checks: no crash, no sanitizer report, pools consistent.
 *
 * Build and run: `make fuzz` (clang, libFuzzer + ASan + UBSan) builds build/fuzz/fuzz_stack;
 * `build/fuzz/fuzz_stack -max_total_time=120`. `make fuzz-smoke` runs every target briefly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "synack/synack.h"
#include "synack/socket.h"
#include "core/wire.h"

#define US 0x0a4d0002u
#define PEER 0x0a4d0001u

static void drop(void *ctx, const uint8_t *p, size_t n) { (void)ctx; (void)p; (void)n; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct synack_config cfg;
    struct synack_stack *st;
    synack_time_us now = 1000000;
    uint8_t pkt[1600];
    char buf[4096];
    int l, c, a = -1;
    size_t off = 0;
    synack_config_default(&cfg);
    cfg.addr = US;
    cfg.max_sockets = 32;
    cfg.max_buffers = 8;
    cfg.rcvbuf_bytes = cfg.sndbuf_bytes = 8192;
    cfg.syncache_entries = 16;
    cfg.syn_backlog = 4;
    if (size && (data[0] & 0x80)) cfg.syncookies = SYNACK_SYNCOOKIES_ALWAYS;
    if (synack_stack_new(&cfg, &st)) return 0;
    l = synack_socket(st, SYNACK_SOCK_STREAM);
    synack_bind(st, l, 0, 80);
    synack_listen(st, l, 4);
    c = synack_socket(st, SYNACK_SOCK_STREAM);
    synack_connect(st, c, PEER, 9000);
    synack_poll(st, now, drop, NULL);
    while (off + 3 <= size) {
        uint8_t fl = data[off];
        size_t len = (size_t)(data[off + 1] << 8 | data[off + 2]) % sizeof pkt;
        off += 3;
        if (len > size - off) len = size - off;
        if (fl & 1 && len >= 2) now += (synack_time_us)(data[off] << 8 | data[off + 1]) * 1000;
        if (fl & 2 && len >= 14) {
            /* a TCP segment to a known 4-tuple, so that the state machine is reached */
            struct tcp_opts o;
            const uint8_t *d = data + off;
            uint16_t sport = (d[0] & 1) ? 9000 : (uint16_t)(40000 + (d[0] >> 1 & 7));
            uint16_t dport = (d[0] & 1) ? 0 : 80;
            size_t n;
            memset(&o, 0, sizeof o);
            if (d[1] & 1) { o.has_mss = 1; o.mss = (uint16_t)(d[2] << 8 | d[3]); }
            if (d[1] & 2) { o.has_ws = 1; o.ws = d[4]; }
            if (d[1] & 4) { o.has_ts = 1; o.tsval = rd32(d + 2); o.tsecr = rd32(d + 6); }
            if (d[1] & 8) o.sack_ok = 1;
            if (d[1] & 16) { o.nsack = 1; o.sack[0][0] = rd32(d + 2); o.sack[0][1] = rd32(d + 6); }
            if (dport == 0) {           /* to our SYN_SENT / connected socket */
                uint16_t lp;
                synack_getsockname(st, c, NULL, &lp);
                dport = lp;
            }
            n = tcp_emit(pkt + 20, PEER, US, sport, dport, rd32(d + 2), rd32(d + 6), d[10],
                         rd16(d + 11), &o, d + 14, len - 14 > 1400 ? 1400 : len - 14);
            ip4_emit(pkt, PEER, US, IP4_PROTO_TCP, (uint16_t)n, 1, 64);
            synack_input(st, now, pkt, 20 + n);
        } else {
            synack_input(st, now, data + off, len);     /* raw bytes as an IPv4 packet */
        }
        if (fl & 4) {                                   /* user calls */
            int na = synack_accept(st, l, NULL, NULL);
            if (na >= 0) { if (a >= 0) synack_close(st, a); a = na; }
            if (a >= 0) {
                synack_recv(st, a, buf, sizeof buf);
                synack_send(st, a, buf, (size_t)(fl >> 3) * 100);
                if (fl & 0x40) synack_shutdown(st, a, SYNACK_SHUT_WR);
            }
            synack_send(st, c, buf, 300);
            synack_recv(st, c, buf, sizeof buf);
        }
        synack_poll(st, now, drop, NULL);
        off += len;
    }
    /* Close everything and let time run out: every pool must come back to zero. */
    if (a >= 0) synack_close(st, a);
    synack_close(st, c);
    synack_close(st, l);
    for (int i = 0; i < 64; i++) {
        synack_time_us t = synack_poll_at(st);
        if (t == SYNACK_TIME_NEVER) break;
        now = t > now ? t : now + 1;
        synack_poll(st, now, drop, NULL);
    }
    {
        struct synack_mem_stats m;
        synack_mem_stats(st, &m);
        if (m.sockets_in_use || m.buffers_in_use || m.half_open) __builtin_trap();
    }
    synack_stack_free(st);
    return 0;
}
