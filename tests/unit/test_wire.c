/* Wire-format parsers and emitters (src/core/wire.h): hand-built packets, emitter round trips,
 * truncation at every length, hostile length fields and options, bad checksums, fragments,
 * and 100k random/mutated buffers. Inputs under test are copied into heap buffers of exactly
 * the given length so that ASan catches any read past the end. */
#include <stdlib.h>
#include "../harness/test.h"
#include "core/wire.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* Reference checksum: the textbook RFC 1071 loop over 16-bit words, written independently of
 * src/core/checksum.c. Returns the value to store in the checksum field. */
static uint16_t ref_sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i < n; i += 2) {
        s += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
        s = (s & 0xffff) + (s >> 16);
    }
    return (uint16_t)s;
}
static uint16_t ref_csum(const uint8_t *p, size_t n) { return (uint16_t)~ref_sum16(p, n, 0); }
static uint16_t ref_l4_csum(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *p, size_t n)
{
    uint8_t ph[12] = {(uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
                      (uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst,
                      0, proto, (uint8_t)(n >> 8), (uint8_t)n};
    return (uint16_t)~ref_sum16(p, n, ref_sum16(ph, 12, 0));
}
static void fix_ip_csum(uint8_t *ip)
{
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    ip[10] = ip[11] = 0;
    wr16(ip + 10, ref_csum(ip, ihl));
}
static void fix_tcp_csum(uint8_t *seg, size_t n, uint32_t src, uint32_t dst)
{
    seg[16] = seg[17] = 0;
    wr16(seg + 16, ref_l4_csum(src, dst, IP4_PROTO_TCP, seg, n));
}

/* Exact-size heap copies so ASan sees over-reads. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *d = calloc(n ? n : 1, 1);
    if (n) memcpy(d, p, n);
    return d;
}
static enum wire_err ip4_parse_exact(const uint8_t *p, size_t n, struct ip4_view *v)
{
    uint8_t *d = dup_exact(p, n);
    enum wire_err e = ip4_parse(d, n, v);
    free(d);
    return e;
}
static enum wire_err tcp_parse_exact(const uint8_t *p, size_t n, uint32_t s, uint32_t t,
                                     struct tcp_view *v)
{
    uint8_t *d = dup_exact(p, n);
    enum wire_err e = tcp_parse(d, n, s, t, v);
    free(d);
    return e;
}
static enum wire_err udp_parse_exact(const uint8_t *p, size_t n, uint32_t s, uint32_t t,
                                     struct udp_view *v)
{
    uint8_t *d = dup_exact(p, n);
    enum wire_err e = udp_parse(d, n, s, t, v);
    free(d);
    return e;
}
static enum wire_err icmp_parse_exact(const uint8_t *p, size_t n, struct icmp_view *v)
{
    uint8_t *d = dup_exact(p, n);
    enum wire_err e = icmp_parse(d, n, v);
    free(d);
    return e;
}
static enum wire_err opts_parse_exact(const uint8_t *p, size_t n, struct tcp_opts *o)
{
    uint8_t *d = dup_exact(p, n);
    enum wire_err e = tcp_opts_parse(d, n, o);
    free(d);
    return e;
}

#define A_SRC 0x0a000001u /* 10.0.0.1 */
#define A_DST 0x0a000002u /* 10.0.0.2 */

/* ---- checksum ----------------------------------------------------------------------------- */

TEST(wire_csum_rfc1071_example)
{
    /* RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (one's complement). */
    const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK_EQ(csum_partial(b, 8, 0) & 0xffff, 0xddf2);
    CHECK_EQ(csum_fold(csum_partial(b, 8, 0)), 0x220d);
    CHECK_EQ(csum_fold(0), 0xffff);
    CHECK_EQ(csum_fold(0xffff), 0);
    CHECK_EQ(csum_fold(0x1fffe), 0);                 /* end-around carry */
    CHECK_EQ(csum_partial(b, 0, 0x1234), 0x1234);
}

TEST(wire_csum_matches_reference)
{
    static uint8_t big[200003];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof big; i++) { x = x * 1103515245u + 12345u; big[i] = (uint8_t)(x >> 16); }
    for (size_t n = 0; n < 64; n++)
        CHECK_EQ(csum_fold(csum_partial(big, n, 0)), ref_csum(big, n));
    CHECK_EQ(csum_fold(csum_partial(big, sizeof big, 0)), ref_csum(big, sizeof big));
    /* all-ones data: many carries */
    memset(big, 0xff, sizeof big);
    CHECK_EQ(csum_fold(csum_partial(big, sizeof big, 0)), ref_csum(big, sizeof big));
    /* chunking at even boundaries is associative */
    uint32_t s = csum_partial(big, 1000, 0);
    s = csum_partial(big + 1000, 5002, s);
    CHECK_EQ(csum_fold(s), ref_csum(big, 6002));
    /* unaligned start */
    CHECK_EQ(csum_fold(csum_partial(big + 1, 77, 0)), ref_csum(big + 1, 77));
    /* pseudo header */
    const uint8_t seg[4] = {1, 2, 3, 4};
    CHECK_EQ(csum_fold(csum_partial(seg, 4, csum_pseudo(0xc0a80001u, 0xffffffffu, 6, 4))),
             ref_l4_csum(0xc0a80001u, 0xffffffffu, 6, seg, 4));
}

/* ---- IPv4 --------------------------------------------------------------------------------- */

/* A well-known sample header: 192.168.0.1 -> 192.168.0.199, UDP, total length 115, DF,
 * TTL 64, checksum b861 (computed by hand in many textbooks). */
static const uint8_t ip_sample[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                      0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

static void ip_sample_packet(uint8_t *buf /* >= 115 */)
{
    memcpy(buf, ip_sample, 20);
    for (int i = 20; i < 115; i++) buf[i] = (uint8_t)i;
}

TEST(wire_ip4_valid_sample)
{
    uint8_t pkt[130];
    ip_sample_packet(pkt);
    struct ip4_view v;
    CHECK_EQ(ip4_parse_exact(pkt, 115, &v), WIRE_OK);
    CHECK_EQ(v.ihl_bytes, 20);
    CHECK_EQ(v.tos, 0);
    CHECK_EQ(v.ttl, 64);
    CHECK_EQ(v.proto, IP4_PROTO_UDP);
    CHECK_EQ(v.total_len, 115);
    CHECK_EQ(v.id, 0);
    CHECK_EQ(v.frag, 0x4000);
    CHECK_EQ(v.src, 0xc0a80001u);
    CHECK_EQ(v.dst, 0xc0a800c7u);
    CHECK_EQ(v.payload_len, 95);
    CHECK(ip4_parse(pkt, 115, &v) == WIRE_OK && v.payload == pkt + 20);
    /* trailing link padding is ignored */
    for (int i = 115; i < 130; i++) pkt[i] = 0xee;
    CHECK_EQ(ip4_parse(pkt, 130, &v), WIRE_OK);
    CHECK_EQ(v.payload_len, 95);
    CHECK_EQ(v.total_len, 115);
}

TEST(wire_ip4_emit_matches_sample)
{
    uint8_t b[20];
    CHECK_EQ(ip4_emit(b, 0xc0a80001u, 0xc0a800c7u, IP4_PROTO_UDP, 95, 0, 64), 20);
    CHECK(memcmp(b, ip_sample, 20) == 0);
    uint8_t pkt[20 + 30] = {0};
    ip4_emit(pkt, A_SRC, A_DST, IP4_PROTO_TCP, 30, 0xbeef, 1);
    CHECK_EQ(ref_csum(pkt, 20), 0);
    struct ip4_view v;
    CHECK_EQ(ip4_parse_exact(pkt, sizeof pkt, &v), WIRE_OK);
    CHECK_EQ(v.id, 0xbeef);
    CHECK_EQ(v.ttl, 1);
    CHECK_EQ(v.proto, IP4_PROTO_TCP);
    CHECK_EQ(v.payload_len, 30);
    CHECK_EQ(v.src, A_SRC);
    CHECK_EQ(v.dst, A_DST);
}

TEST(wire_ip4_with_options)
{
    uint8_t pkt[32];
    memcpy(pkt, ip_sample, 20);
    pkt[0] = 0x46;                      /* IHL 6: 4 bytes of options */
    wr16(pkt + 2, 30);
    pkt[20] = 1; pkt[21] = 1; pkt[22] = 1; pkt[23] = 0; /* NOP NOP NOP EOL */
    for (int i = 24; i < 32; i++) pkt[i] = (uint8_t)(0x50 + i);
    fix_ip_csum(pkt);
    struct ip4_view v;
    CHECK_EQ(ip4_parse_exact(pkt, 30, &v), WIRE_OK);
    CHECK_EQ(v.ihl_bytes, 24);
    CHECK_EQ(v.payload_len, 6);
    CHECK(ip4_parse(pkt, 32, &v) == WIRE_OK && v.payload == pkt + 24 && v.payload[0] == 0x68);
}

TEST(wire_ip4_truncated_every_length)
{
    uint8_t pkt[115];
    ip_sample_packet(pkt);
    struct ip4_view v;
    /* Shorter than the header: WIRE_SHORT; a whole header whose total length claims more
     * than the buffer holds: WIRE_LEN (the length field is wrong for this frame). */
    size_t ihl = (size_t)(pkt[0] & 15) * 4;
    for (size_t n = 0; n < sizeof pkt; n++) {
        enum wire_err e = ip4_parse_exact(pkt, n, &v);
        CHECK_MSG(e == (n < ihl ? WIRE_SHORT : WIRE_LEN), "len %zu -> %d", n, (int)e);
    }
    CHECK_EQ(ip4_parse_exact(pkt, sizeof pkt, &v), WIRE_OK);
}

TEST(wire_ip4_hostile_lengths)
{
    uint8_t pkt[60];
    struct ip4_view v;
    /* version 6 */
    memcpy(pkt, ip_sample, 20); wr16(pkt + 2, 20); pkt[0] = 0x65; fix_ip_csum(pkt);
    CHECK_EQ(ip4_parse_exact(pkt, 20, &v), WIRE_VERSION);
    /* IHL < 5 */
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        memcpy(pkt, ip_sample, 20); wr16(pkt + 2, 20); pkt[0] = (uint8_t)(0x40 | ihl);
        CHECK_EQ(ip4_parse_exact(pkt, 20, &v), WIRE_VERSION);
    }
    /* IHL*4 > len */
    memset(pkt, 0, sizeof pkt);
    memcpy(pkt, ip_sample, 20); pkt[0] = 0x4f; wr16(pkt + 2, 60); fix_ip_csum(pkt);
    CHECK_EQ(ip4_parse_exact(pkt, 59, &v), WIRE_SHORT);
    CHECK_EQ(ip4_parse_exact(pkt, 40, &v), WIRE_SHORT);
    CHECK_EQ(ip4_parse_exact(pkt, 60, &v), WIRE_OK);        /* max IHL, full options */
    CHECK_EQ(v.payload_len, 0);
    /* total_len > len */
    memcpy(pkt, ip_sample, 20); wr16(pkt + 2, 41); fix_ip_csum(pkt);
    CHECK_EQ(ip4_parse_exact(pkt, 40, &v), WIRE_LEN);
    wr16(pkt + 2, 0xffff); fix_ip_csum(pkt);
    CHECK_EQ(ip4_parse_exact(pkt, 60, &v), WIRE_LEN);
    /* total_len < IHL*4 */
    for (uint16_t t = 0; t < 20; t++) {
        memcpy(pkt, ip_sample, 20); wr16(pkt + 2, t); fix_ip_csum(pkt);
        CHECK_EQ(ip4_parse_exact(pkt, 40, &v), WIRE_LEN);
    }
    memcpy(pkt, ip_sample, 20); pkt[0] = 0x46; wr16(pkt + 2, 22); fix_ip_csum(pkt);
    CHECK_EQ(ip4_parse_exact(pkt, 40, &v), WIRE_LEN);
    /* total_len == IHL*4: empty payload is fine */
    memcpy(pkt, ip_sample, 20); wr16(pkt + 2, 20); fix_ip_csum(pkt);
    CHECK_EQ(ip4_parse_exact(pkt, 20, &v), WIRE_OK);
    CHECK_EQ(v.payload_len, 0);
}

TEST(wire_ip4_bad_checksum)
{
    uint8_t pkt[115];
    ip_sample_packet(pkt);
    struct ip4_view v;
    for (int byte = 0; byte < 20; byte++) {
        if (byte == 0 || byte == 2 || byte == 3) continue; /* those change the lengths */
        for (int bit = 0; bit < 8; bit++) {
            uint8_t p2[115];
            memcpy(p2, pkt, sizeof p2);
            p2[byte] ^= (uint8_t)(1u << bit);
            CHECK_MSG(ip4_parse_exact(p2, sizeof p2, &v) == WIRE_CHECKSUM, "byte %d bit %d", byte, bit);
        }
    }
    /* the payload is not covered by the IP checksum */
    pkt[50] ^= 0xff;
    CHECK_EQ(ip4_parse_exact(pkt, sizeof pkt, &v), WIRE_OK);
}

TEST(wire_ip4_fragments)
{
    uint8_t pkt[115];
    struct ip4_view v;
    const uint16_t frags[] = {0x2000, 0x6000 /* DF|MF */, 0x0001, 0x1fff, 0x2001, 0x4001};
    for (size_t i = 0; i < sizeof frags / sizeof frags[0]; i++) {
        ip_sample_packet(pkt);
        wr16(pkt + 6, frags[i]);
        fix_ip_csum(pkt);
        CHECK_EQ(ip4_parse_exact(pkt, sizeof pkt, &v), WIRE_FRAGMENT);
        CHECK_EQ(v.frag, frags[i]);          /* the view is filled in for a fragment */
        CHECK_EQ(v.payload_len, 95);
    }
    /* no fragment bits: DF alone or nothing */
    ip_sample_packet(pkt); wr16(pkt + 6, 0); fix_ip_csum(pkt);
    CHECK_EQ(ip4_parse_exact(pkt, sizeof pkt, &v), WIRE_OK);
    /* fragment checks come after the checksum */
    ip_sample_packet(pkt); wr16(pkt + 6, 0x2000);
    CHECK_EQ(ip4_parse_exact(pkt, sizeof pkt, &v), WIRE_CHECKSUM);
}

/* ---- TCP options -------------------------------------------------------------------------- */

TEST(wire_tcp_opts_emit_layouts)
{
    uint8_t b[40];
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    CHECK_EQ(tcp_opts_emit(b, &o), 0);

    /* SYN with everything: MSS | SACK_PERM TS | NOP WS */
    o.has_mss = 1; o.mss = 1460; o.sack_ok = 1; o.has_ts = 1; o.tsval = 0x01020304;
    o.tsecr = 0; o.has_ws = 1; o.ws = 7;
    const uint8_t syn[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7};
    CHECK_EQ(tcp_opts_emit(b, &o), 20);
    CHECK(memcmp(b, syn, 20) == 0);

    /* TS without SACK_PERM: NOP NOP TS */
    memset(&o, 0, sizeof o);
    o.has_ts = 1; o.tsval = 0xaabbccdd; o.tsecr = 0x11223344;
    const uint8_t ts[12] = {1, 1, 8, 10, 0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x22, 0x33, 0x44};
    CHECK_EQ(tcp_opts_emit(b, &o), 12);
    CHECK(memcmp(b, ts, 12) == 0);

    /* SACK_PERM without TS: NOP NOP SACK_PERM */
    memset(&o, 0, sizeof o);
    o.sack_ok = 1;
    const uint8_t sp[4] = {1, 1, 4, 2};
    CHECK_EQ(tcp_opts_emit(b, &o), 4);
    CHECK(memcmp(b, sp, 4) == 0);

    /* MSS + NOP WS, no TS/SACK */
    memset(&o, 0, sizeof o);
    o.has_mss = 1; o.mss = 536; o.has_ws = 1; o.ws = 14;
    const uint8_t mw[8] = {2, 4, 0x02, 0x18, 1, 3, 3, 14};
    CHECK_EQ(tcp_opts_emit(b, &o), 8);
    CHECK(memcmp(b, mw, 8) == 0);

    /* TS + SACK blocks: NOP NOP TS NOP NOP SACK; only 3 blocks fit in 40 bytes */
    memset(&o, 0, sizeof o);
    o.has_ts = 1; o.tsval = 1; o.tsecr = 2; o.nsack = 4;
    for (int i = 0; i < 4; i++) { o.sack[i][0] = 0x1000u * (unsigned)(i + 1); o.sack[i][1] = 0x1000u * (unsigned)(i + 1) + 0x100; }
    CHECK_EQ(tcp_opts_emit(b, &o), 40);
    CHECK(memcmp(b, ts, 4) == 0);
    CHECK(b[12] == 1 && b[13] == 1 && b[14] == 5 && b[15] == 26);
    CHECK_EQ(rd32(b + 16), 0x1000);
    CHECK_EQ(rd32(b + 20), 0x1100);
    CHECK_EQ(rd32(b + 32), 0x3000);
    CHECK_EQ(rd32(b + 36), 0x3100);

    /* SACK blocks alone: 4 fit */
    o.has_ts = 0;
    CHECK_EQ(tcp_opts_emit(b, &o), 36);
    CHECK(b[0] == 1 && b[1] == 1 && b[2] == 5 && b[3] == 34);
    CHECK_EQ(rd32(b + 28), 0x4000);

    /* everything plus SACK blocks: 20 + 4 + 2*8 = 40 */
    o.has_mss = 1; o.mss = 1460; o.sack_ok = 1; o.has_ts = 1; o.has_ws = 1; o.ws = 7;
    CHECK_EQ(tcp_opts_emit(b, &o), 40);
    CHECK_EQ(b[23], 18);
    /* nsack out of range is clamped */
    memset(&o, 0, sizeof o);
    o.nsack = 200;
    CHECK_EQ(tcp_opts_emit(b, &o), 36);
}

TEST(wire_tcp_opts_roundtrip_all_combinations)
{
    for (int mask = 0; mask < 32; mask++) {
        for (int nsack = 0; nsack <= 4; nsack++) {
            struct tcp_opts o, p;
            memset(&o, 0, sizeof o);
            o.has_mss = mask & 1; o.mss = 1400;
            o.has_ws = (mask >> 1) & 1; o.ws = 9;
            o.sack_ok = (mask >> 2) & 1;
            o.has_ts = (mask >> 3) & 1; o.tsval = 0xdeadbeef; o.tsecr = 0xfeedface;
            o.nsack = (uint8_t)nsack;
            for (int i = 0; i < 4; i++) { o.sack[i][0] = 0xfffffff0u + (uint32_t)i * 100; o.sack[i][1] = o.sack[i][0] + 50; }
            uint8_t b[40];
            size_t n = tcp_opts_emit(b, &o);
            CHECK(n <= 40 && n % 4 == 0);
            CHECK_EQ(opts_parse_exact(b, n, &p), WIRE_OK);
            CHECK_EQ(p.has_mss, o.has_mss);
            if (o.has_mss) CHECK_EQ(p.mss, 1400);
            CHECK_EQ(p.has_ws, o.has_ws);
            if (o.has_ws) CHECK_EQ(p.ws, 9);
            CHECK_EQ(p.sack_ok, o.sack_ok);
            CHECK_EQ(p.has_ts, o.has_ts);
            if (o.has_ts) { CHECK_EQ(p.tsval, 0xdeadbeefu); CHECK_EQ(p.tsecr, 0xfeedfaceu); }
            CHECK(p.nsack <= o.nsack);
            CHECK(p.nsack == o.nsack || n > 40 - 8);  /* dropped only for lack of room */
            for (int i = 0; i < p.nsack; i++) {
                CHECK_EQ(p.sack[i][0], o.sack[i][0]);
                CHECK_EQ(p.sack[i][1], o.sack[i][1]);
            }
        }
    }
}

TEST(wire_tcp_opts_parse_valid)
{
    struct tcp_opts o;
    /* empty */
    CHECK_EQ(opts_parse_exact(NULL, 0, &o), WIRE_OK);
    CHECK(!o.has_mss && !o.has_ws && !o.sack_ok && !o.has_ts && !o.nsack);
    /* Linux-like SYN options */
    const uint8_t syn[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9, 1, 3, 3, 7};
    CHECK_EQ(opts_parse_exact(syn, 20, &o), WIRE_OK);
    CHECK(o.has_mss && o.mss == 1460 && o.sack_ok && o.has_ts && o.tsval == 7 && o.tsecr == 9);
    CHECK(o.has_ws && o.ws == 7);
    /* unknown options skipped (kind 30 MPTCP-ish len 4, kind 254 len 2), NOPs, then EOL ends */
    const uint8_t unk[16] = {30, 4, 0xff, 0xff, 254, 2, 1, 2, 4, 0x02, 0x00, 0, 0xff, 0, 2, 9};
    CHECK_EQ(opts_parse_exact(unk, 16, &o), WIRE_OK);
    CHECK(o.has_mss && o.mss == 0x200);
    CHECK(!o.has_ws);
    /* 4 SACK blocks */
    uint8_t sk[36] = {1, 1, 5, 34};
    for (int i = 0; i < 8; i++) wr32(sk + 4 + 4 * i, 0x100u * (unsigned)i);
    CHECK_EQ(opts_parse_exact(sk, 36, &o), WIRE_OK);
    CHECK_EQ(o.nsack, 4);
    CHECK_EQ(o.sack[3][1], 0x700);
    /* 1 SACK block */
    CHECK_EQ(opts_parse_exact(sk + 2, 10 + 2, &o), WIRE_BAD_OPTION); /* len 34 runs past 12 */
    sk[3] = 10;
    CHECK_EQ(opts_parse_exact(sk, 12, &o), WIRE_OK);
    CHECK_EQ(o.nsack, 1);
    /* only NOPs; only EOL; EOL followed by garbage */
    const uint8_t nops[3] = {1, 1, 1}, eol[4] = {0, 2, 0, 7};
    CHECK_EQ(opts_parse_exact(nops, 3, &o), WIRE_OK);
    CHECK_EQ(opts_parse_exact(eol, 4, &o), WIRE_OK);
    CHECK(!o.has_mss);
}

TEST(wire_tcp_opts_parse_hostile)
{
    struct tcp_opts o;
    struct { const uint8_t b[44]; size_t n; const char *what; } bad[] = {
        {{2}, 1, "kind without length byte"},
        {{1, 1, 8}, 3, "TS kind at the last byte"},
        {{30, 0, 0, 0}, 4, "unknown, length 0"},
        {{30, 1, 0, 0}, 4, "unknown, length 1"},
        {{2, 0, 0, 0}, 4, "MSS length 0"},
        {{2, 1, 0, 0}, 4, "MSS length 1"},
        {{30, 5, 0, 0}, 4, "unknown, length past end"},
        {{2, 4, 5}, 3, "MSS runs past end"},
        {{2, 3, 5, 1}, 4, "MSS length 3"},
        {{2, 5, 5, 1, 0}, 5, "MSS length 5"},
        {{3, 2, 1, 1}, 4, "WS length 2"},
        {{3, 4, 7, 0}, 4, "WS length 4"},
        {{4, 3, 0, 1}, 4, "SACK_PERM length 3"},
        {{8, 9, 0, 0, 0, 0, 0, 0, 0, 1}, 10, "TS length 9"},
        {{8, 10, 0, 0, 0, 0, 0, 0, 0}, 9, "TS past end"},
        {{5, 2, 1, 1}, 4, "SACK with no block"},
        {{5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 12, "SACK length 11"},
        {{5, 9, 0, 0, 0, 0, 0, 0, 0, 1}, 10, "SACK length 9"},
        {{5, 42}, 44, "5 SACK blocks"},
        {{5, 18, 0, 0, 0, 0, 0, 0, 0, 0}, 10, "SACK runs past end"},
        {{1, 1, 2, 4, 5, 0xb4, 30}, 7, "good MSS, then a truncated option"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(opts_parse_exact(bad[i].b, bad[i].n, &o) == WIRE_BAD_OPTION, "%s", bad[i].what);
    /* a bad option after EOL is never looked at */
    const uint8_t after_eol[4] = {0, 2, 0, 0};
    CHECK_EQ(opts_parse_exact(after_eol, 4, &o), WIRE_OK);
    /* every truncation of a valid option list either parses or is rejected, never over-reads */
    const uint8_t syn[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9, 1, 3, 3, 7};
    const size_t ok_len[] = {0, 4, 6, 16, 17, 20};
    for (size_t n = 0; n <= 20; n++) {
        int expect_ok = 0;
        for (size_t k = 0; k < sizeof ok_len / sizeof ok_len[0]; k++) expect_ok |= ok_len[k] == n;
        CHECK_MSG((opts_parse_exact(syn, n, &o) == WIRE_OK) == expect_ok, "len %zu", n);
    }
}

/* ---- TCP ---------------------------------------------------------------------------------- */

/* Hand-built SYN 10.0.0.1:12345 -> 10.0.0.2:80, seq 0x01020304, window 64240, options
 * MSS 1460, SACK_PERM, TS 1/0, NOP, WS 7, and 3 bytes of payload "abc". */
static size_t tcp_sample(uint8_t *s /* >= 43 */)
{
    const uint8_t b[43] = {
        0x30, 0x39, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
        0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
        2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        'a', 'b', 'c'};
    memcpy(s, b, sizeof b);
    fix_tcp_csum(s, sizeof b, A_SRC, A_DST);
    return sizeof b;
}

TEST(wire_tcp_parse_valid)
{
    uint8_t s[64];
    size_t n = tcp_sample(s);
    struct tcp_view v;
    CHECK_EQ(tcp_parse(s, n, A_SRC, A_DST, &v), WIRE_OK);
    CHECK_EQ(v.sport, 12345);
    CHECK_EQ(v.dport, 80);
    CHECK_EQ(v.seq, 0x01020304);
    CHECK_EQ(v.ack, 0);
    CHECK_EQ(v.doff_bytes, 40);
    CHECK_EQ(v.flags, 0x02);
    CHECK_EQ(v.window, 64240);
    CHECK_EQ(v.urgent, 0);
    CHECK(v.opts.has_mss && v.opts.mss == 1460 && v.opts.sack_ok && v.opts.has_ts);
    CHECK(v.opts.tsval == 1 && v.opts.tsecr == 0 && v.opts.has_ws && v.opts.ws == 7);
    CHECK_EQ(v.payload_len, 3);
    CHECK(v.payload == s + 40 && memcmp(v.payload, "abc", 3) == 0);
    CHECK_EQ(tcp_parse_exact(s, n, A_SRC, A_DST, &v), WIRE_OK);
    /* a bare 20-byte header: all flags, no options */
    uint8_t h[20] = {0, 1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 5, 0x50, 0xff, 0, 0, 0, 0, 0x12, 0x34};
    fix_tcp_csum(h, 20, A_SRC, A_DST);
    CHECK_EQ(tcp_parse_exact(h, 20, A_SRC, A_DST, &v), WIRE_OK);
    CHECK_EQ(v.flags, 0xff);
    CHECK_EQ(v.urgent, 0x1234);
    CHECK_EQ(v.seq, 0xffffffffu);
    CHECK_EQ(v.payload_len, 0);
    CHECK(!v.opts.has_mss && !v.opts.has_ts);
}

TEST(wire_tcp_emit_roundtrip)
{
    uint8_t payload[1001], seg[60 + 1001];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 7 + 3);
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = 1; o.tsval = 100; o.tsecr = 200; o.nsack = 2;
    o.sack[0][0] = 0xfffffff0u; o.sack[0][1] = 16; o.sack[1][0] = 1000; o.sack[1][1] = 2000;
    const size_t lens[] = {0, 1, 2, 3, 999, 1000, 1001};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t pl = lens[k];
        size_t n = tcp_emit(seg, A_SRC, A_DST, 443, 50000, 0xfffffffeu, 77, 0x18, 65535, &o,
                            payload, pl);
        CHECK_EQ(n, 20 + 12 + 20 + pl);
        CHECK_EQ(ref_l4_csum(A_SRC, A_DST, IP4_PROTO_TCP, seg, n), 0);
        struct tcp_view v;
        CHECK_EQ(tcp_parse_exact(seg, n, A_SRC, A_DST, &v), WIRE_OK);
        CHECK(v.sport == 443 && v.dport == 50000 && v.seq == 0xfffffffeu && v.ack == 77);
        CHECK(v.flags == 0x18 && v.window == 65535 && v.urgent == 0 && v.doff_bytes == 52);
        CHECK(v.opts.has_ts && v.opts.tsval == 100 && v.opts.tsecr == 200 && v.opts.nsack == 2);
        CHECK(v.opts.sack[0][0] == 0xfffffff0u && v.opts.sack[1][1] == 2000);
        CHECK_EQ(v.payload_len, pl);
        CHECK(tcp_parse(seg, n, A_SRC, A_DST, &v) == WIRE_OK && memcmp(v.payload, payload, pl) == 0);
        /* wrong pseudo-header */
        CHECK_EQ(tcp_parse_exact(seg, n, A_SRC + 1, A_DST, &v), WIRE_CHECKSUM);
        CHECK_EQ(tcp_parse_exact(seg, n, A_DST, A_SRC, &v) == WIRE_OK, 1); /* swap keeps the sum */
    }
    /* no options (NULL) and payload already in place */
    memcpy(seg + 20, payload, 100);
    size_t n = tcp_emit(seg, A_SRC, A_DST, 1, 2, 3, 4, 0x10, 5, NULL, seg + 20, 100);
    CHECK_EQ(n, 120);
    struct tcp_view v;
    CHECK_EQ(tcp_parse_exact(seg, n, A_SRC, A_DST, &v), WIRE_OK);
    CHECK(v.doff_bytes == 20 && v.payload_len == 100 && memcmp(seg + 20, payload, 100) == 0);
    /* the Linux SYN layout through tcp_emit */
    memset(&o, 0, sizeof o);
    o.has_mss = 1; o.mss = 1460; o.sack_ok = 1; o.has_ts = 1; o.tsval = 1; o.has_ws = 1; o.ws = 7;
    uint8_t ref[64];
    size_t rn = tcp_sample(ref);
    n = tcp_emit(seg, A_SRC, A_DST, 12345, 80, 0x01020304, 0, 0x02, 64240, &o,
                 (const uint8_t *)"abc", 3);
    CHECK_EQ(n, rn);
    CHECK(memcmp(seg, ref, n) == 0);
}

TEST(wire_tcp_truncated_every_length)
{
    uint8_t s[64];
    size_t n = tcp_sample(s);
    struct tcp_view v;
    for (size_t k = 0; k < n; k++) {
        enum wire_err e = tcp_parse_exact(s, k, A_SRC, A_DST, &v);
        CHECK_MSG(e == (k < 40 ? WIRE_SHORT : WIRE_CHECKSUM), "len %zu -> %d", k, (int)e);
    }
    CHECK_EQ(tcp_parse_exact(s, n, A_SRC, A_DST, &v), WIRE_OK);
}

TEST(wire_tcp_hostile)
{
    uint8_t s[64];
    struct tcp_view v;
    size_t n;
    /* data offset < 5 */
    for (uint8_t d = 0; d < 5; d++) {
        n = tcp_sample(s); s[12] = (uint8_t)(d << 4); fix_tcp_csum(s, n, A_SRC, A_DST);
        CHECK_EQ(tcp_parse_exact(s, n, A_SRC, A_DST, &v), WIRE_LEN);
    }
    /* data offset past the end */
    n = tcp_sample(s); s[12] = 0xf0; fix_tcp_csum(s, n, A_SRC, A_DST);
    CHECK_EQ(tcp_parse_exact(s, n, A_SRC, A_DST, &v), WIRE_SHORT);
    n = tcp_sample(s); fix_tcp_csum(s, 39, A_SRC, A_DST);
    CHECK_EQ(tcp_parse_exact(s, 39, A_SRC, A_DST, &v), WIRE_SHORT);
    /* data offset exactly the segment */
    n = tcp_sample(s); fix_tcp_csum(s, 40, A_SRC, A_DST);
    CHECK_EQ(tcp_parse_exact(s, 40, A_SRC, A_DST, &v), WIRE_OK);
    CHECK_EQ(v.payload_len, 0);
    /* reserved bits in byte 12 are ignored */
    n = tcp_sample(s); s[12] |= 0x0f; fix_tcp_csum(s, n, A_SRC, A_DST);
    CHECK_EQ(tcp_parse_exact(s, n, A_SRC, A_DST, &v), WIRE_OK);
    /* malformed options with a valid checksum */
    const struct { uint8_t opt[4]; const char *what; } bad[] = {
        {{2, 3, 5, 1}, "MSS len 3"}, {{30, 0, 1, 1}, "len 0"}, {{30, 1, 1, 1}, "len 1"},
        {{1, 1, 30, 3}, "len past end"}, {{1, 1, 1, 2}, "kind in last byte"},
        {{5, 4, 0, 0}, "SACK len 4"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = tcp_sample(s);
        memcpy(s + 36, bad[i].opt, 4);       /* replace the trailing NOP WS */
        fix_tcp_csum(s, n, A_SRC, A_DST);
        CHECK_MSG(tcp_parse_exact(s, n, A_SRC, A_DST, &v) == WIRE_BAD_OPTION, "%s", bad[i].what);
    }
    /* an option must not extend into the payload: MSS at offset 38 of a 40-byte header */
    n = tcp_sample(s);
    s[36] = 1; s[37] = 1; s[38] = 2; s[39] = 4;  /* "abc" follows; would be read as MSS */
    fix_tcp_csum(s, n, A_SRC, A_DST);
    CHECK_EQ(tcp_parse_exact(s, n, A_SRC, A_DST, &v), WIRE_BAD_OPTION);
    /* TCP longer than 65535 cannot be checksummed */
    static uint8_t huge[70000];
    memcpy(huge, s, 40);
    CHECK_EQ(tcp_parse(huge, sizeof huge, A_SRC, A_DST, &v), WIRE_LEN);
}

TEST(wire_tcp_bad_checksum)
{
    uint8_t s[64];
    struct tcp_view v;
    size_t n = tcp_sample(s);
    for (size_t byte = 0; byte < n; byte++) {
        if (byte == 12) continue;            /* data offset: may change the error */
        for (int bit = 0; bit < 8; bit++) {
            uint8_t c[64];
            memcpy(c, s, n);
            c[byte] ^= (uint8_t)(1u << bit);
            CHECK_MSG(tcp_parse_exact(c, n, A_SRC, A_DST, &v) == WIRE_CHECKSUM, "byte %zu bit %d", byte, bit);
        }
    }
    /* 0x0000 and 0xffff are the same in one's complement: both verify */
    n = tcp_sample(s);
    uint16_t c = rd16(s + 16);
    if (c == 0xffff || c == 0) { wr16(s + 16, c ^ 0xffff); CHECK_EQ(tcp_parse_exact(s, n, A_SRC, A_DST, &v), WIRE_OK); }
}

/* ---- UDP ---------------------------------------------------------------------------------- */

static size_t udp_sample(uint8_t *d /* >= 13 */)
{
    const uint8_t b[13] = {0x00, 0x35, 0xc3, 0x50, 0x00, 0x0d, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'};
    memcpy(d, b, sizeof b);
    wr16(d + 6, ref_l4_csum(A_SRC, A_DST, IP4_PROTO_UDP, d, sizeof b));
    return sizeof b;
}

TEST(wire_udp_parse_valid)
{
    uint8_t d[32];
    size_t n = udp_sample(d);
    struct udp_view v;
    CHECK_EQ(udp_parse_exact(d, n, A_SRC, A_DST, &v), WIRE_OK);
    CHECK(v.sport == 53 && v.dport == 50000 && v.len == 13 && v.payload_len == 5);
    CHECK(udp_parse(d, n, A_SRC, A_DST, &v) == WIRE_OK && v.payload == d + 8 && memcmp(v.payload, "hello", 5) == 0);
    /* bytes past the UDP length are ignored */
    memset(d + n, 0xab, 10);
    CHECK_EQ(udp_parse_exact(d, n + 10, A_SRC, A_DST, &v), WIRE_OK);
    CHECK_EQ(v.payload_len, 5);
    /* checksum 0: not computed, accepted whatever the data */
    wr16(d + 6, 0); d[9] ^= 0x55;
    CHECK_EQ(udp_parse_exact(d, n, A_SRC, A_DST, &v), WIRE_OK);
    /* header only */
    uint8_t h[8] = {0, 1, 0, 2, 0, 8, 0, 0};
    CHECK_EQ(udp_parse_exact(h, 8, A_SRC, A_DST, &v), WIRE_OK);
    CHECK_EQ(v.payload_len, 0);
}

TEST(wire_udp_emit_roundtrip)
{
    uint8_t buf[8 + 300], pl[300];
    for (int i = 0; i < 300; i++) pl[i] = (uint8_t)(i ^ 0x5a);
    for (size_t k = 0; k <= 300; k += 37) {
        size_t n = udp_emit(buf, A_SRC, A_DST, 1234, 5678, pl, k);
        CHECK_EQ(n, 8 + k);
        CHECK(rd16(buf + 6) != 0);
        CHECK_EQ(ref_l4_csum(A_SRC, A_DST, IP4_PROTO_UDP, buf, n), 0);
        struct udp_view v;
        CHECK_EQ(udp_parse_exact(buf, n, A_SRC, A_DST, &v), WIRE_OK);
        CHECK(v.sport == 1234 && v.dport == 5678 && v.len == n && v.payload_len == k);
        CHECK_EQ(udp_parse_exact(buf, n, A_SRC, A_DST + 1, &v), WIRE_CHECKSUM);
    }
    /* a datagram whose checksum computes to 0 is sent as 0xffff (RFC 768) */
    uint8_t w[2] = {0, 0};
    udp_emit(buf, A_SRC, A_DST, 7, 9, w, 2);
    uint16_t c = rd16(buf + 6);
    wr16(w, c);                     /* adding the old checksum as data makes the sum 0xffff */
    size_t n = udp_emit(buf, A_SRC, A_DST, 7, 9, w, 2);
    CHECK_EQ(rd16(buf + 6), 0xffff);
    struct udp_view v;
    CHECK_EQ(udp_parse_exact(buf, n, A_SRC, A_DST, &v), WIRE_OK);
}

TEST(wire_udp_hostile)
{
    uint8_t d[32];
    struct udp_view v;
    size_t n = udp_sample(d);
    for (size_t k = 0; k < n; k++)
        CHECK_MSG(udp_parse_exact(d, k, A_SRC, A_DST, &v) == WIRE_SHORT, "len %zu", k);
    for (uint16_t l = 0; l < 8; l++) {
        n = udp_sample(d); wr16(d + 4, l);
        CHECK_EQ(udp_parse_exact(d, n, A_SRC, A_DST, &v), WIRE_LEN);
    }
    n = udp_sample(d); wr16(d + 4, 14);
    CHECK_EQ(udp_parse_exact(d, n, A_SRC, A_DST, &v), WIRE_SHORT);
    n = udp_sample(d); wr16(d + 4, 0xffff);
    CHECK_EQ(udp_parse_exact(d, n, A_SRC, A_DST, &v), WIRE_SHORT);
    n = udp_sample(d); d[12] ^= 1;
    CHECK_EQ(udp_parse_exact(d, n, A_SRC, A_DST, &v), WIRE_CHECKSUM);
    n = udp_sample(d); d[0] ^= 0x80;
    CHECK_EQ(udp_parse_exact(d, n, A_SRC, A_DST, &v), WIRE_CHECKSUM);
}

/* ---- ICMP --------------------------------------------------------------------------------- */

TEST(wire_icmp_parse_emit)
{
    /* echo request id 0x1234 seq 1, body 01..20 */
    uint8_t m[40] = {8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01};
    for (int i = 0; i < 32; i++) m[8 + i] = (uint8_t)(i + 1);
    wr16(m + 2, ref_csum(m, 40));
    struct icmp_view v;
    CHECK_EQ(icmp_parse_exact(m, 40, &v), WIRE_OK);
    CHECK(v.type == ICMP_ECHO && v.code == 0 && v.id == 0x1234 && v.seq == 1);
    CHECK_EQ(v.rest, 0x12340001u);
    CHECK_EQ(v.body_len, 32);
    CHECK(icmp_parse(m, 40, &v) == WIRE_OK && v.body == m + 8);
    /* emitter reproduces it */
    uint8_t e[40];
    CHECK_EQ(icmp_emit(e, ICMP_ECHO, 0, 0x12340001u, m + 8, 32), 40);
    CHECK(memcmp(e, m, 40) == 0);
    /* odd-length body */
    CHECK_EQ(icmp_emit(e, ICMP_DEST_UNREACH, ICMP_CODE_PORT_UNREACH, 0, m, 27), 35);
    CHECK_EQ(ref_csum(e, 35), 0);
    CHECK_EQ(icmp_parse_exact(e, 35, &v), WIRE_OK);
    CHECK(v.type == 3 && v.code == 3 && v.rest == 0 && v.body_len == 27);
    /* empty body */
    CHECK_EQ(icmp_emit(e, ICMP_ECHO_REPLY, 0, 7, NULL, 0), 8);
    CHECK_EQ(icmp_parse_exact(e, 8, &v), WIRE_OK);
    CHECK(v.body_len == 0 && v.seq == 7);
    /* truncation and corruption */
    for (size_t k = 0; k < 40; k++) {
        enum wire_err r = icmp_parse_exact(m, k, &v);
        CHECK_MSG(r == (k < 8 ? WIRE_SHORT : WIRE_CHECKSUM), "len %zu -> %d", k, (int)r);
    }
    for (int byte = 0; byte < 40; byte++) {
        m[byte] ^= 0x10;
        CHECK_EQ(icmp_parse_exact(m, 40, &v), WIRE_CHECKSUM);
        m[byte] ^= 0x10;
    }
}

/* ---- whole frames ------------------------------------------------------------------------- */

TEST(wire_ip_tcp_stack_roundtrip)
{
    uint8_t f[20 + 60 + 100];
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = 1; o.mss = 1460;
    size_t tl = tcp_emit(f + 20, A_SRC, A_DST, 1000, 2000, 1, 2, 0x12, 1000, &o,
                         (const uint8_t *)"payload", 7);
    ip4_emit(f, A_SRC, A_DST, IP4_PROTO_TCP, (uint16_t)tl, 42, 64);
    struct ip4_view ip;
    struct tcp_view t;
    CHECK_EQ(ip4_parse_exact(f, 20 + tl, &ip), WIRE_OK);
    CHECK_EQ(ip4_parse(f, 20 + tl, &ip), WIRE_OK);     /* the view must point into f */
    CHECK(ip.proto == IP4_PROTO_TCP && ip.payload_len == tl);
    CHECK_EQ(tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, &t), WIRE_OK);
    CHECK(t.flags == 0x12 && t.opts.has_mss && t.opts.mss == 1460 && t.payload_len == 7);
}

/* ---- randomized --------------------------------------------------------------------------- */

static uint64_t rng = 0x853c49e6748fea9bull;
static uint64_t xorshift64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t make_seed_frame(uint8_t *f, int kind)
{
    uint8_t pl[64];
    for (int i = 0; i < 64; i++) pl[i] = (uint8_t)xorshift64();
    size_t l4 = 0;
    uint8_t proto = IP4_PROTO_TCP;
    if (kind == 0) {
        struct tcp_opts o;
        memset(&o, 0, sizeof o);
        uint64_t r = xorshift64();
        o.has_mss = r & 1; o.mss = (uint16_t)(r >> 8); o.has_ws = (r >> 1) & 1; o.ws = (uint8_t)(r >> 24);
        o.sack_ok = (r >> 2) & 1; o.has_ts = (r >> 3) & 1; o.tsval = (uint32_t)(r >> 32);
        o.nsack = (uint8_t)((r >> 4) % 5);
        for (int i = 0; i < 4; i++) { o.sack[i][0] = (uint32_t)xorshift64(); o.sack[i][1] = (uint32_t)xorshift64(); }
        l4 = tcp_emit(f + 20, A_SRC, A_DST, (uint16_t)r, (uint16_t)(r >> 16), (uint32_t)r,
                      (uint32_t)(r >> 32), (uint8_t)(r >> 40), (uint16_t)(r >> 48), &o, pl,
                      (size_t)(r >> 58));
    } else if (kind == 1) {
        proto = IP4_PROTO_UDP;
        l4 = udp_emit(f + 20, A_SRC, A_DST, 1, 2, pl, xorshift64() % 64);
    } else {
        proto = IP4_PROTO_ICMP;
        l4 = icmp_emit(f + 20, ICMP_ECHO, 0, (uint32_t)xorshift64(), pl, xorshift64() % 64);
    }
    ip4_emit(f, A_SRC, A_DST, proto, (uint16_t)l4, 1, 64);
    return 20 + l4;
}

static int parse_everything(const uint8_t *b, size_t n, int *oks)
{
    struct ip4_view ip;
    struct tcp_view t;
    struct udp_view u;
    struct icmp_view ic;
    struct tcp_opts o;
    enum wire_err e = ip4_parse(b, n, &ip);
    if (e == WIRE_OK || e == WIRE_FRAGMENT) {
        if (ip.ihl_bytes < 20 || ip.total_len > n || ip.payload != b + ip.ihl_bytes
            || ip.payload_len != (size_t)ip.total_len - ip.ihl_bytes)
            return 0;
        oks[0]++;
        if (e == WIRE_OK) {
            if (tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, &t) == WIRE_OK) {
                if (t.doff_bytes < 20 || t.doff_bytes > ip.payload_len || t.opts.nsack > 4
                    || t.payload != ip.payload + t.doff_bytes
                    || t.payload_len != ip.payload_len - t.doff_bytes)
                    return 0;
                oks[1]++;
            }
            if (udp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, &u) == WIRE_OK) {
                if (u.len < 8 || u.len > ip.payload_len || u.payload_len != (size_t)u.len - 8)
                    return 0;
                oks[2]++;
            }
            if (icmp_parse(ip.payload, ip.payload_len, &ic) == WIRE_OK) {
                if (ic.body_len != ip.payload_len - 8) return 0;
                oks[3]++;
            }
        }
    }
    if (tcp_parse(b, n, A_SRC, A_DST, &t) == WIRE_OK && t.doff_bytes > n) return 0;
    if (udp_parse(b, n, A_SRC, A_DST, &u) == WIRE_OK && u.len > n) return 0;
    (void)icmp_parse(b, n, &ic);
    if (tcp_opts_parse(b, n, &o) == WIRE_OK) {
        if (o.nsack > 4) return 0;
        oks[4]++;
    }
    return 1;
}

TEST(wire_random_and_mutated_inputs)
{
    int oks[5] = {0};
    uint8_t f[200];
    for (int iter = 0; iter < 100000; iter++) {
        size_t n;
        uint64_t r = xorshift64();
        if (r % 4 == 0) {                        /* pure random bytes */
            n = (size_t)(xorshift64() % 120);
            for (size_t i = 0; i < n; i++) f[i] = (uint8_t)xorshift64();
            if (n && (r & 16)) f[0] = (uint8_t)(0x40 | (f[0] & 15));  /* often "IPv4" */
        } else {                                 /* valid frame, then mutate */
            n = make_seed_frame(f, (int)(xorshift64() % 3));
            int flips = 1 + (int)(xorshift64() % 4);
            for (int k = 0; k < flips && n > 0; k++) {
                uint64_t m = xorshift64();
                size_t pos = (size_t)(m >> 8) % n;
                switch (m % 4) {
                case 0: f[pos] ^= (uint8_t)(1u << ((m >> 4) & 7)); break;
                case 1: f[pos] = (uint8_t)(m >> 32); break;
                case 2: f[pos] = (m >> 40) & 1 ? 0xff : 0; break;
                default: n = pos; break;        /* truncate */
                }
            }
            /* often repair the checksums so deeper code runs on the mutated headers */
            if ((r >> 8) & 1 && n >= 20 && (f[0] & 15) >= 5 && (size_t)(f[0] & 15) * 4 <= n) {
                fix_ip_csum(f);
                size_t ihl = (size_t)(f[0] & 15) * 4, tot = rd16(f + 2);
                if (f[9] == IP4_PROTO_TCP && tot >= ihl + 20 && tot <= n)
                    fix_tcp_csum(f + ihl, tot - ihl, rd32(f + 12), rd32(f + 16));
            }
        }
        uint8_t *d = dup_exact(f, n);
        int good = parse_everything(d, n, oks);
        free(d);
        CHECK_MSG(good, "iteration %d: invariant broken", iter);
    }
    /* the mix must reach the inner parsers, not just bounce off the first check */
    for (int i = 0; i < 5; i++) CHECK_MSG(oks[i] > 100, "parser %d accepted only %d", i, oks[i]);
}

/* csum_partial against the textbook loop: every length up to 2100, every start alignment,
 * random bytes and initial sums, the all-ones buffer (negative zero), and chained calls. */
TEST(wire_csum_matches_reference_every_length)
{
    static uint8_t buf[2100 + 8];
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (size_t k = 0; k < sizeof buf; k++) { r = r * 6364136223846793005ull + 1; buf[k] = (uint8_t)(r >> 56); }
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n <= 2100; n++) {
            r = r * 6364136223846793005ull + 1;
            uint32_t s0 = (uint32_t)(r >> 48);                 /* 16-bit running sum in */
            uint16_t want = ref_sum16(buf + off, n, s0);
            uint16_t got = (uint16_t)csum_partial(buf + off, n, s0);
            CHECK_MSG(got == want,
                      "off %zu len %zu sum %x: %x != %x", off, n, s0, got, want);
        }
    memset(buf, 0xff, sizeof buf);
    CHECK_EQ(csum_partial(buf, 1500, 0), ref_sum16(buf, 1500, 0));
    memset(buf, 0, sizeof buf);
    CHECK_EQ(csum_partial(buf, 1500, 0), 0);
    /* chained: even-length pieces, then an odd tail */
    for (size_t k = 0; k < sizeof buf; k++) buf[k] = (uint8_t)(k * 7 + 3);
    uint32_t s = csum_partial(buf, 64, 0);
    s = csum_partial(buf + 64, 1000, s);
    s = csum_partial(buf + 1064, 301, s);
    CHECK_EQ(s, ref_sum16(buf, 1365, 0));
}
