/* libFuzzer entry point for the wire parsers (src/core/wire.h): the input is parsed as an IPv4
 * packet whose payload goes to the TCP, UDP and ICMP parsers, and the raw bytes also go
 * directly to each transport parser and to tcp_opts_parse. Successful parses are checked for
 * views that stay inside the input; an emitter round trip checks the parsed TCP options.
 * When the first input byte is odd, the rest of the input is copied and its IPv4 and
 * transport checksums are repaired first, so the fuzzer gets past the checksum checks into the
 * length and option logic. Built by `make fuzz` (build/fuzz/fuzz_wire). */
// Build:  clang -fsanitize=fuzzer,address -Iinclude -Isrc fuzz/fuzz_wire.c src/core/*.c
// or, with only the wire files:
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc fuzz/fuzz_wire.c \
//         src/core/checksum.c src/core/wire_*.c -o /tmp/fuzz_wire
// Run:    /tmp/fuzz_wire -max_total_time=60
#include <stdlib.h>
#include <string.h>
#include "core/wire.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

static int inside(const uint8_t *base, size_t len, const uint8_t *p, size_t n)
{
    return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

static void transport(const uint8_t *p, size_t n, uint32_t src, uint32_t dst)
{
    struct tcp_view t;
    struct udp_view u;
    struct icmp_view ic;
    if (tcp_parse(p, n, src, dst, &t) == WIRE_OK) {
        REQUIRE(t.doff_bytes >= TCP_HDR_MIN && t.doff_bytes <= n && t.opts.nsack <= 4);
        REQUIRE(inside(p, n, t.payload, t.payload_len) && t.payload == p + t.doff_bytes);
        /* emitted options parse back to the same values */
        uint8_t ob[40];
        struct tcp_opts back;
        size_t on = tcp_opts_emit(ob, &t.opts);
        REQUIRE(on <= 40 && on % 4 == 0);
        REQUIRE(tcp_opts_parse(ob, on, &back) == WIRE_OK);
        REQUIRE(back.has_mss == t.opts.has_mss && back.has_ws == t.opts.has_ws);
        REQUIRE(back.sack_ok == t.opts.sack_ok && back.has_ts == t.opts.has_ts);
        REQUIRE(!back.has_ts || (back.tsval == t.opts.tsval && back.tsecr == t.opts.tsecr));
        REQUIRE(back.nsack <= t.opts.nsack);
    }
    if (udp_parse(p, n, src, dst, &u) == WIRE_OK)
        REQUIRE(u.len >= UDP_HDR_LEN && u.len <= n && inside(p, n, u.payload, u.payload_len));
    if (icmp_parse(p, n, &ic) == WIRE_OK)
        REQUIRE(inside(p, n, ic.body, ic.body_len) && ic.body_len == n - ICMP_HDR_LEN);
}

/* Recomputes the IPv4 header checksum and the TCP/UDP/ICMP checksum of a copy of the input,
 * as far as the (untrusted) length fields allow. */
static void repair_checksums(uint8_t *b, size_t n)
{
    if (n < IP4_HDR_MIN)
        return;
    size_t ihl = (size_t)(b[0] & 15) * 4, tot = rd16(b + 2);
    if (ihl < IP4_HDR_MIN || ihl > n)
        return;
    wr16(b + 10, 0);
    wr16(b + 10, csum_fold(csum_partial(b, ihl, 0)));
    if (tot < ihl || tot > n)
        return;
    uint8_t *p = b + ihl;
    size_t pl = tot - ihl;
    uint32_t src = rd32(b + 12), dst = rd32(b + 16);
    if (b[9] == IP4_PROTO_TCP && pl >= TCP_HDR_MIN) {
        wr16(p + 16, 0);
        wr16(p + 16, csum_fold(csum_partial(p, pl, csum_pseudo(src, dst, IP4_PROTO_TCP,
                                                              (uint16_t)pl))));
    } else if (b[9] == IP4_PROTO_UDP && pl >= UDP_HDR_LEN) {
        size_t ul = rd16(p + 4);
        if (ul >= UDP_HDR_LEN && ul <= pl) {
            wr16(p + 6, 0);
            wr16(p + 6, csum_fold(csum_partial(p, ul, csum_pseudo(src, dst, IP4_PROTO_UDP,
                                                                  (uint16_t)ul))));
        }
    } else if (b[9] == IP4_PROTO_ICMP && pl >= ICMP_HDR_LEN) {
        wr16(p + 2, 0);
        wr16(p + 2, csum_fold(csum_partial(p, pl, 0)));
    }
}

static void parse_all(const uint8_t *data, size_t size)
{
    struct ip4_view ip;
    enum wire_err e = ip4_parse(data, size, &ip);
    if (e == WIRE_OK || e == WIRE_FRAGMENT) {
        REQUIRE(ip.ihl_bytes >= IP4_HDR_MIN && ip.total_len <= size);
        REQUIRE(inside(data, size, ip.payload, ip.payload_len));
        if (e == WIRE_OK)
            transport(ip.payload, ip.payload_len, ip.src, ip.dst);
    }
    transport(data, size, 0x0a000001u, 0x0a000002u);
    struct tcp_opts o;
    if (tcp_opts_parse(data, size, &o) == WIRE_OK)
        REQUIRE(o.nsack <= 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && (data[0] & 1)) {
        /* exact-size copy, so ASan still catches a read past the end */
        uint8_t *b = malloc(size - 1 ? size - 1 : 1);
        if (!b)
            return 0;
        memcpy(b, data + 1, size - 1);
        repair_checksums(b, size - 1);
        parse_all(b, size - 1);
        free(b);
    } else {
        parse_all(data, size);
    }
    return 0;
}
