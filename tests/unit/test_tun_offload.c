/* Unit tests of the TUN offload helpers (include/synack/tun.h, src/link/link_tun.c): the
 * transmit coalescer (synack_tun_gso_add/_finish) and the receive side (synack_tun_vnet_rx:
 * checksum completion, GSO super-packets delivered whole, hostile virtio headers dropped).
 * Reference checksums come from the core's own RFC 1071 code (src/core/checksum.c), and a
 * coalesced super-packet is resegmented here the way the kernel's tcp_gso_segment() does
 * (id + i, seq + i * gso_size, PSH/FIN on the last segment only) and compared byte for byte
 * with the segments that went in. */
#include "../harness/test.h"

#include <stdlib.h>

#include "core/wire.h"
#include "synack/tun.h"

#define SRC 0x0a4d3202u /* 10.77.50.2 */
#define DST 0x0a4d3201u
#define TF_FIN 0x01
#define TF_SYN 0x02
#define TF_RST 0x04
#define TF_PSH 0x08
#define TF_ACK 0x10
#define TF_URG 0x20
#define TF_ECE 0x40
#define TF_CWR 0x80
#define H SYNACK_TUN_VNET_HLEN

struct segspec {
    uint32_t src, dst;
    uint16_t sport, dport, id, win;
    uint32_t seq, ack;
    uint8_t flags, tos, ttl;
    const uint8_t *opt;
    size_t optlen;              /* multiple of 4 */
    size_t payload;
    uint16_t frag;              /* flags+offset field; default DF */
    int no_df;
};

static const uint8_t TS_OPT[12] = { 1, 1, 8, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0 };

static void defaults(struct segspec *s)
{
    memset(s, 0, sizeof *s);
    s->src = SRC;
    s->dst = DST;
    s->sport = 40000;
    s->dport = 5001;
    s->id = 100;
    s->win = 502;
    s->seq = 0xfffff000u; /* wraps during the longer runs */
    s->ack = 12345;
    s->flags = TF_ACK;
    s->ttl = 64;
    s->opt = TS_OPT;
    s->optlen = sizeof TS_OPT;
    s->payload = 1000;
}

/* Payload byte at stream offset (seq) k: the payload is a function of the sequence number. */
static uint8_t pbyte(uint32_t k) { return (uint8_t)(k * 7u + (k >> 8)); }

/* Builds a TCP/IPv4 segment with full, correct checksums. Returns its length. */
static size_t mkseg(uint8_t *b, const struct segspec *s)
{
    size_t thl = 20 + s->optlen, len = 20 + thl + s->payload;
    memset(b, 0, 20 + thl);
    b[0] = 0x45;
    b[1] = s->tos;
    wr16(b + 2, (uint16_t)len);
    wr16(b + 4, s->id);
    wr16(b + 6, s->frag ? s->frag : (s->no_df ? 0 : 0x4000));
    b[8] = s->ttl;
    b[9] = 6;
    wr32(b + 12, s->src);
    wr32(b + 16, s->dst);
    wr16(b + 10, csum_fold(csum_partial(b, 20, 0)));
    uint8_t *t = b + 20;
    wr16(t, s->sport);
    wr16(t + 2, s->dport);
    wr32(t + 4, s->seq);
    wr32(t + 8, s->ack);
    t[12] = (uint8_t)((thl / 4) << 4);
    t[13] = s->flags;
    wr16(t + 14, s->win);
    if (s->optlen)
        memcpy(t + 20, s->opt, s->optlen);
    for (size_t i = 0; i < s->payload; i++)
        t[thl + i] = pbyte(s->seq + (uint32_t)i);
    uint32_t sum = csum_pseudo(s->src, s->dst, 6, (uint16_t)(thl + s->payload));
    wr16(t + 16, csum_fold(csum_partial(t, thl + s->payload, sum)));
    return len;
}

static int ip_ok(const uint8_t *p) { return csum_fold(csum_partial(p, (p[0] & 15) * 4u, 0)) == 0; }

static int tcp_ok(const uint8_t *p, size_t len)
{
    size_t ihl = (p[0] & 15) * 4u;
    uint32_t sum = csum_pseudo(rd32(p + 12), rd32(p + 16), 6, (uint16_t)(len - ihl));
    return csum_fold(csum_partial(p + ihl, len - ihl, sum)) == 0;
}

static struct synack_tun_gso *new_gso(void)
{
    struct synack_tun_gso *g = calloc(1, sizeof *g);
    if (!g)
        abort();
    return g;
}

/* Resegments super-packet sp (virtio header h) as tcp_gso_segment() would and compares
 * segment i with want[i] (wlen[i] bytes). */
static void check_reseg(const uint8_t *h, const uint8_t *sp, size_t splen, uint8_t **want,
                        const size_t *wlen, unsigned nseg)
{
    size_t ihl = (sp[0] & 15) * 4u, hlen = ihl + (sp[ihl + 12] >> 4) * 4u;
    size_t mss = (size_t)(h[4] | h[5] << 8);
    CHECK_EQ(h[2] | h[3] << 8, hlen);
    size_t data = splen - hlen, off = 0;
    CHECK_EQ((data + mss - 1) / mss, nseg);
    uint8_t seg[2048];
    for (unsigned i = 0; i < nseg; i++, off += mss) {
        size_t pl = data - off < mss ? data - off : mss, len = hlen + pl;
        CHECK(len <= sizeof seg);
        memcpy(seg, sp, hlen);
        memcpy(seg + hlen, sp + hlen + off, pl);
        wr16(seg + 2, (uint16_t)len);
        wr16(seg + 4, (uint16_t)(rd16(sp + 4) + i));
        wr16(seg + 10, 0);
        wr16(seg + 10, csum_fold(csum_partial(seg, ihl, 0)));
        uint8_t *t = seg + ihl;
        wr32(t + 4, rd32(sp + ihl + 4) + (uint32_t)off);
        if (i + 1 < nseg)
            t[13] &= (uint8_t)~(TF_PSH | TF_FIN);
        wr16(t + 16, 0);
        uint32_t sum = csum_pseudo(rd32(seg + 12), rd32(seg + 16), 6, (uint16_t)(len - ihl));
        wr16(t + 16, csum_fold(csum_partial(t, len - ihl, sum)));
        CHECK_EQ(len, wlen[i]);
        CHECK_MSG(memcmp(seg, want[i], len) == 0, "segment %u differs after resegmentation", i);
    }
}

/* Coalesces n segments of size `size` (the last `last` bytes, with last_flags added) and
 * checks the super-packet: header, IP fields, pseudo-header sum, resegmentation. */
static void run_coalesce(unsigned n, size_t size, size_t last, uint8_t last_flags)
{
    struct synack_tun_gso *g = new_gso();
    uint8_t *segs[64];
    size_t lens[64];
    struct segspec s;
    defaults(&s);
    uint32_t seq0 = s.seq;
    size_t total_payload = 0;
    for (unsigned i = 0; i < n; i++) {
        segs[i] = malloc(2048);
        s.payload = i + 1 == n ? last : size;
        s.flags = (uint8_t)(TF_ACK | (i + 1 == n ? last_flags : 0));
        lens[i] = mkseg(segs[i], &s);
        int r = synack_tun_gso_add(g, segs[i], lens[i]);
        if (r != SYNACK_TUN_GSO_ADDED) {
            test_fail(__FILE__, __LINE__, "segment %u not added: %d", i, r);
            goto out;
        }
        s.seq += (uint32_t)s.payload;
        s.id++;
        total_payload += s.payload;
    }
    if (g->nseg != n) {
        test_fail(__FILE__, __LINE__, "nseg %u != %u", g->nseg, n);
        goto out;
    }
    const uint8_t *out;
    unsigned nseg;
    size_t hlen = 20 + 20 + sizeof TS_OPT;
    size_t w = synack_tun_gso_finish(g, &out, &nseg);
    if (w != H + hlen + total_payload || nseg != n) {
        test_fail(__FILE__, __LINE__, "finish: %zu bytes, %u segments", w, nseg);
        goto out;
    }
    const uint8_t *sp = out + H;
    size_t splen = w - H;
    if (n == 1) { /* alone: unchanged, zero header */
        static const uint8_t z[H];
        if (memcmp(out, z, H) || memcmp(sp, segs[0], lens[0]))
            test_fail(__FILE__, __LINE__, "a single segment is not written as it came");
        goto out;
    }
    /* virtio header (little-endian fields) */
    if (out[0] != 1 || out[1] != 1 || (size_t)(out[2] | out[3] << 8) != hlen ||
        (size_t)(out[4] | out[5] << 8) != size || (out[6] | out[7] << 8) != 20 ||
        (out[8] | out[9] << 8) != 16) {
        test_fail(__FILE__, __LINE__, "virtio header %02x %02x hdr_len %u gso %u start %u off %u",
                  out[0], out[1], out[2] | out[3] << 8, out[4] | out[5] << 8,
                  out[6] | out[7] << 8, out[8] | out[9] << 8);
        goto out;
    }
    if (rd16(sp + 2) != splen || !ip_ok(sp) || rd16(sp + 4) != 100 ||
        rd32(sp + 24) != seq0 || sp[33] != (TF_ACK | last_flags)) {
        test_fail(__FILE__, __LINE__, "super-packet IP/TCP header");
        goto out;
    }
    /* TCP checksum field: the pseudo-header sum, not inverted */
    uint16_t ps = (uint16_t)~csum_fold(csum_pseudo(SRC, DST, 6, (uint16_t)(splen - 20)));
    if (rd16(sp + 36) != ps) {
        test_fail(__FILE__, __LINE__, "TCP check field %04x, want pseudo sum %04x", rd16(sp + 36), ps);
        goto out;
    }
    for (size_t k = 0; k < total_payload; k++)
        if (sp[hlen + k] != pbyte(seq0 + (uint32_t)k)) {
            test_fail(__FILE__, __LINE__, "payload byte %zu", k);
            goto out;
        }
    check_reseg(out, sp, splen, segs, lens, n);
    CHECK_OK();
    /* As the receive side sees it (a GSO packet from the kernel): completed, valid, whole. */
    uint8_t *rx = malloc(w);
    memcpy(rx, out, w);
    size_t len = 0;
    int r = synack_tun_vnet_rx(rx, w, &len);
    if (r != 1 || len != splen || !tcp_ok(rx + H, len) || !ip_ok(rx + H))
        test_fail(__FILE__, __LINE__, "vnet_rx of the super-packet: r=%d len=%zu", r, len);
    free(rx);
out:
    for (unsigned i = 0; i < n; i++)
        free(segs[i]);
    free(g);
}

TEST(tun_offload_coalesce_n_segments)
{
    run_coalesce(10, 1000, 1000, 0);
    CHECK_OK();
    run_coalesce(10, 1000, 500, TF_PSH); /* short last with PSH */
    CHECK_OK();
    run_coalesce(2, 1448, 1448, TF_FIN | TF_PSH);
    CHECK_OK();
    run_coalesce(45, 1448, 1, 0); /* 45*1448 - 1447 + 52 = 63749 bytes, seq wraps */
    CHECK_OK();
    run_coalesce(1, 1000, 1000, 0); /* one segment: unchanged, zero header */
}

TEST(tun_offload_total_limit)
{
    struct synack_tun_gso *g = new_gso();
    uint8_t seg[2048];
    struct segspec s;
    defaults(&s);
    s.payload = 1448;
    unsigned added = 0;
    int r;
    for (;;) {
        size_t len = mkseg(seg, &s);
        r = synack_tun_gso_add(g, seg, len);
        if (r != SYNACK_TUN_GSO_ADDED)
            break;
        added++;
        s.seq += 1448;
    }
    size_t len = g->len;
    free(g);
    CHECK_EQ(r, SYNACK_TUN_GSO_SIZE);
    CHECK_EQ(added, (65535 - 52) / 1448); /* 45 */
    CHECK(len <= 65535 && len + 1448 > 65535);
}

/* Starts g with two segments (seq s0..), then offers a third built from m; expects want and
 * g unchanged. */
static void refuse(struct segspec *m, int want, const char *what)
{
    struct synack_tun_gso *g = new_gso();
    uint8_t seg[2048];
    struct segspec s;
    defaults(&s);
    for (int i = 0; i < 2; i++) {
        size_t len = mkseg(seg, &s);
        if (synack_tun_gso_add(g, seg, len) != SYNACK_TUN_GSO_ADDED) {
            test_fail(__FILE__, __LINE__, "%s: setup", what);
            free(g);
            return;
        }
        s.seq += (uint32_t)s.payload;
        s.id++;
    }
    struct synack_tun_gso before = *g;
    size_t len = mkseg(seg, m);
    int r = synack_tun_gso_add(g, seg, len);
    int same = g->len == before.len && g->nseg == before.nseg &&
               g->next_seq == before.next_seq && g->closed == before.closed &&
               memcmp(g->buf, before.buf, H + before.len) == 0;
    free(g);
    CHECK_MSG(r == want, "%s: got %d, want %d", what, r, want);
    CHECK_MSG(same || want == SYNACK_TUN_GSO_ADDED,
              "%s: refused packet changed the pending super-packet", what);
}

/* The segment that would be third in refuse(). */
static void third(struct segspec *m)
{
    defaults(m);
    m->seq += 2000;
    m->id += 2;
}

TEST(tun_offload_refusals)
{
    static const uint8_t TS2[12] = { 1, 1, 8, 10, 0, 0, 0x10, 1, 0, 0, 0x20, 0 };
    static const uint8_t SACKP[12] = { 1, 1, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1 };
    struct segspec m;
    third(&m); refuse(&m, SYNACK_TUN_GSO_ADDED, "control"); CHECK_OK();
    third(&m); m.dport++; refuse(&m, SYNACK_TUN_GSO_FLOW, "dport"); CHECK_OK();
    third(&m); m.sport++; refuse(&m, SYNACK_TUN_GSO_FLOW, "sport"); CHECK_OK();
    third(&m); m.dst++; refuse(&m, SYNACK_TUN_GSO_FLOW, "dst"); CHECK_OK();
    third(&m); m.src++; refuse(&m, SYNACK_TUN_GSO_FLOW, "src"); CHECK_OK();
    third(&m); m.seq += 1; refuse(&m, SYNACK_TUN_GSO_SEQ, "seq gap"); CHECK_OK();
    third(&m); m.seq -= 1000; refuse(&m, SYNACK_TUN_GSO_SEQ, "seq repeat"); CHECK_OK();
    third(&m); m.ttl = 63; refuse(&m, SYNACK_TUN_GSO_IP_HDR, "ttl"); CHECK_OK();
    third(&m); m.tos = 3; refuse(&m, SYNACK_TUN_GSO_IP_HDR, "tos/ecn"); CHECK_OK();
    third(&m); m.no_df = 1; refuse(&m, SYNACK_TUN_GSO_IP_HDR, "df"); CHECK_OK();
    third(&m); m.ack++; refuse(&m, SYNACK_TUN_GSO_TCP_HDR, "ack"); CHECK_OK();
    third(&m); m.win++; refuse(&m, SYNACK_TUN_GSO_TCP_HDR, "window"); CHECK_OK();
    third(&m); m.flags |= TF_ECE; refuse(&m, SYNACK_TUN_GSO_TCP_HDR, "ece"); CHECK_OK();
    third(&m); m.opt = TS2; refuse(&m, SYNACK_TUN_GSO_OPTIONS, "timestamp"); CHECK_OK();
    third(&m); m.opt = SACKP; refuse(&m, SYNACK_TUN_GSO_OPTIONS, "option kind"); CHECK_OK();
    third(&m); m.optlen = 0; refuse(&m, SYNACK_TUN_GSO_TCP_HDR, "no options (data offset)"); CHECK_OK();
    third(&m); m.payload = 1001; refuse(&m, SYNACK_TUN_GSO_SIZE, "larger payload"); CHECK_OK();
    third(&m); m.flags |= TF_SYN; refuse(&m, SYNACK_TUN_GSO_CTL, "syn"); CHECK_OK();
    third(&m); m.flags |= TF_RST; refuse(&m, SYNACK_TUN_GSO_CTL, "rst"); CHECK_OK();
    third(&m); m.flags |= TF_URG; refuse(&m, SYNACK_TUN_GSO_CTL, "urg"); CHECK_OK();
    third(&m); m.flags |= TF_CWR; refuse(&m, SYNACK_TUN_GSO_CTL, "cwr"); CHECK_OK();
    third(&m); m.payload = 0; refuse(&m, SYNACK_TUN_GSO_NO_DATA, "pure ack"); CHECK_OK();
    third(&m); m.payload = 0; m.flags |= TF_FIN; refuse(&m, SYNACK_TUN_GSO_NO_DATA, "bare fin"); CHECK_OK();
    third(&m); m.frag = 0x2000; refuse(&m, SYNACK_TUN_GSO_NOT_TCP4, "fragment (MF)"); CHECK_OK();
    third(&m); m.frag = 0x0010; refuse(&m, SYNACK_TUN_GSO_NOT_TCP4, "fragment (offset)"); CHECK_OK();
}

TEST(tun_offload_closed_and_malformed)
{
    struct synack_tun_gso *g = new_gso();
    uint8_t seg[2048];
    struct segspec s;
    defaults(&s);
    /* a short segment ends the super-packet */
    s.payload = 500;
    size_t len = mkseg(seg, &s);
    CHECK_EQ(synack_tun_gso_add(g, seg, len), SYNACK_TUN_GSO_ADDED);
    s.payload = 1000;
    s.seq += 500;
    s.payload = 500;
    len = mkseg(seg, &s);
    CHECK_EQ(synack_tun_gso_add(g, seg, len), SYNACK_TUN_GSO_ADDED); /* same size: joins */
    s.seq += 500;
    s.payload = 499;
    len = mkseg(seg, &s);
    CHECK_EQ(synack_tun_gso_add(g, seg, len), SYNACK_TUN_GSO_ADDED); /* shorter: last */
    s.seq += 499;
    s.payload = 499;
    len = mkseg(seg, &s);
    CHECK_EQ(synack_tun_gso_add(g, seg, len), SYNACK_TUN_GSO_CLOSED);
    const uint8_t *out;
    unsigned nseg;
    CHECK_EQ(synack_tun_gso_finish(g, &out, &nseg), H + 52 + 1499);
    CHECK_EQ(nseg, 3);
    CHECK_EQ(synack_tun_gso_finish(g, &out, &nseg), 0); /* emptied */
    CHECK_EQ(nseg, 0);
    /* PSH on the first: nothing may follow */
    defaults(&s);
    s.flags |= TF_PSH;
    len = mkseg(seg, &s);
    CHECK_EQ(synack_tun_gso_add(g, seg, len), SYNACK_TUN_GSO_ADDED);
    s.flags = TF_ACK;
    s.seq += 1000;
    len = mkseg(seg, &s);
    CHECK_EQ(synack_tun_gso_add(g, seg, len), SYNACK_TUN_GSO_CLOSED);
    synack_tun_gso_finish(g, &out, &nseg);
    /* malformed packets never start one */
    defaults(&s);
    len = mkseg(seg, &s);
    CHECK_EQ(synack_tun_gso_add(g, seg, len - 1), SYNACK_TUN_GSO_NOT_TCP4);  /* total length lies */
    CHECK_EQ(synack_tun_gso_add(g, seg, 39), SYNACK_TUN_GSO_NOT_TCP4);
    CHECK_EQ(synack_tun_gso_add(g, seg, 0), SYNACK_TUN_GSO_NOT_TCP4);
    seg[9] = 17;
    CHECK_EQ(synack_tun_gso_add(g, seg, len), SYNACK_TUN_GSO_NOT_TCP4);     /* UDP */
    seg[9] = 6;
    seg[0] = 0x65;
    CHECK_EQ(synack_tun_gso_add(g, seg, len), SYNACK_TUN_GSO_NOT_TCP4);     /* version 6 */
    seg[0] = 0x44;
    CHECK_EQ(synack_tun_gso_add(g, seg, len), SYNACK_TUN_GSO_NOT_TCP4);     /* IHL 4 */
    seg[0] = 0x4f;
    CHECK_EQ(synack_tun_gso_add(g, seg, 60), SYNACK_TUN_GSO_NOT_TCP4);      /* IHL past */
    seg[0] = 0x45;
    seg[32] = 0xf0;                                                          /* doff 60 bytes */
    CHECK_EQ(synack_tun_gso_add(g, seg, 70), SYNACK_TUN_GSO_NOT_TCP4);
    seg[32] = 0x40;                                                          /* doff 16 */
    CHECK_EQ(synack_tun_gso_add(g, seg, len), SYNACK_TUN_GSO_NOT_TCP4);
    CHECK_EQ(g->nseg, 0);
    free(g);
}

/* Puts pkt (len bytes) behind a virtio header in b. */
static size_t vnet(uint8_t *b, uint8_t flags, uint8_t gso_type, unsigned gso_size,
                   unsigned cstart, unsigned coff, const uint8_t *pkt, size_t len)
{
    memset(b, 0, H);
    b[0] = flags;
    b[1] = gso_type;
    b[4] = (uint8_t)gso_size;
    b[5] = (uint8_t)(gso_size >> 8);
    b[6] = (uint8_t)cstart;
    b[7] = (uint8_t)(cstart >> 8);
    b[8] = (uint8_t)coff;
    b[9] = (uint8_t)(coff >> 8);
    memmove(b + H, pkt, len);
    return H + len;
}

/* Replaces a segment's TCP checksum with the pseudo-header sum, as the kernel leaves it for
 * CHECKSUM_PARTIAL. */
static void make_partial(uint8_t *p, size_t len)
{
    size_t ihl = (p[0] & 15) * 4u;
    uint16_t ps = (uint16_t)~csum_fold(csum_pseudo(rd32(p + 12), rd32(p + 16), p[9],
                                                    (uint16_t)(len - ihl)));
    wr16(p + ihl + (p[9] == 6 ? 16 : 6), ps);
}

TEST(tun_offload_csum_completion)
{
    uint8_t seg[2048], b[2100], want[2048];
    struct segspec s;
    uint32_t rng = 12345;
    for (int it = 0; it < 500; it++) {
        defaults(&s);
        rng = rng * 1103515245u + 12345u;
        s.payload = (rng >> 8) % 1461; /* odd lengths too, 0 included */
        s.seq = rng;
        s.optlen = (rng >> 4) & 1 ? 12 : 0;
        size_t len = mkseg(seg, &s);
        memcpy(want, seg, len);
        make_partial(seg, len);
        size_t n = vnet(b, 1, 0, 0, 20, 16, seg, len), out = 0;
        CHECK_EQ(synack_tun_vnet_rx(b, n, &out), 0);
        CHECK_EQ(out, len);
        CHECK_MSG(memcmp(b + H, want, len) == 0, "completed checksum %04x, want %04x (payload %zu)",
                  rd16(b + H + 36), rd16(want + 36), s.payload);
    }
    /* UDP at an odd-looking offset: IPv4 with 4 bytes of options (csum_start 24) */
    uint8_t u[64];
    memset(u, 0, sizeof u);
    u[0] = 0x46;
    wr16(u + 2, 24 + 8 + 13);
    u[8] = 64;
    u[9] = 17;
    wr32(u + 12, SRC);
    wr32(u + 16, DST);
    u[20] = 1; /* NOP options */
    u[21] = 1;
    u[22] = 1;
    u[23] = 0;
    wr16(u + 10, csum_fold(csum_partial(u, 24, 0)));
    wr16(u + 24, 53);
    wr16(u + 26, 5353);
    wr16(u + 28, 8 + 13);
    memcpy(u + 32, "hello, world!", 13);
    size_t ulen = 24 + 8 + 13;
    make_partial(u, ulen);
    size_t n = vnet(b, 1, 0, 0, 24, 6, u, ulen), out;
    CHECK_EQ(synack_tun_vnet_rx(b, n, &out), 0);
    uint32_t sum = csum_pseudo(SRC, DST, 17, 8 + 13);
    CHECK_EQ(csum_fold(csum_partial(b + H + 24, 8 + 13, sum)), 0);
    CHECK(rd16(b + H + 30) != 0);
    /* no flags: passed as it is, even with a bad checksum (the stack checks) */
    defaults(&s);
    size_t len = mkseg(seg, &s);
    seg[len - 1] ^= 0xff;
    memcpy(want, seg, len);
    n = vnet(b, 0, 0, 0, 0, 0, seg, len);
    CHECK_EQ(synack_tun_vnet_rx(b, n, &out), 0);
    CHECK(out == len && memcmp(b + H, want, len) == 0);
    n = vnet(b, 2 /* DATA_VALID */, 0, 0, 0, 0, seg, len);
    CHECK_EQ(synack_tun_vnet_rx(b, n, &out), 0);
}

/* A GSO super-packet as the kernel hands it over: 40 segments' worth in one read. */
static size_t mk_gso(uint8_t *b, size_t payload)
{
    static uint8_t p[70000];
    struct segspec s;
    defaults(&s);
    s.payload = payload;
    size_t len = mkseg(p, &s);
    make_partial(p, len);
    return vnet(b, 1, 1, 1448, 20, 16, p, len);
}

TEST(tun_offload_gso_rx_whole)
{
    static uint8_t b[H + 65535 + 16];
    size_t n = mk_gso(b, 65535 - 52), out = 0;
    CHECK_EQ(synack_tun_vnet_rx(b, n, &out), 1);
    CHECK_EQ(out, 65535);
    CHECK(ip_ok(b + H) && tcp_ok(b + H, out));
    /* a wrong IP header checksum is fixed */
    n = mk_gso(b, 20000);
    b[H + 10] ^= 0x55;
    CHECK_EQ(synack_tun_vnet_rx(b, n, &out), 1);
    CHECK(ip_ok(b + H) && tcp_ok(b + H, out));
    /* ECN flag on a TCPV4 packet is fine */
    n = mk_gso(b, 20000);
    b[1] = 0x81;
    CHECK_EQ(synack_tun_vnet_rx(b, n, &out), 1);
}

/* vnet_rx must drop (-1) and must not touch anything past n. */
static void hostile(uint8_t *b, size_t n, const char *what)
{
    uint8_t canary[32];
    memset(canary, 0xa5, sizeof canary);
    memcpy(b + n, canary, sizeof canary);
    size_t out = 77;
    int r = synack_tun_vnet_rx(b, n, &out);
    CHECK_MSG(r == -1, "%s: not dropped (r=%d)", what, r);
    CHECK_MSG(out == 77, "%s: len_out written", what);
    CHECK_MSG(memcmp(b + n, canary, sizeof canary) == 0, "%s: wrote past the packet", what);
}

TEST(tun_offload_hostile_headers)
{
    static uint8_t b[H + 65535 + 64];
    uint8_t seg[2048];
    struct segspec s;
    defaults(&s);
    size_t len = mkseg(seg, &s), n;
    n = vnet(b, 1, 0, 0, 20, 16, seg, len); hostile(b, 0, "empty"); CHECK_OK();
    n = vnet(b, 1, 0, 0, 20, 16, seg, len); hostile(b, 9, "short header"); CHECK_OK();
    n = vnet(b, 0, 0, 0, 0, 0, seg, len); hostile(b, H, "header only"); CHECK_OK();
    n = vnet(b, 1, 0, 0, (unsigned)len, 0, seg, len); hostile(b, n, "csum_start = len"); CHECK_OK();
    n = vnet(b, 1, 0, 0, 0xffff, 0xffff, seg, len); hostile(b, n, "csum_start/offset 0xffff"); CHECK_OK();
    n = vnet(b, 1, 0, 0, (unsigned)len - 2, 1, seg, len); hostile(b, n, "field one byte past"); CHECK_OK();
    n = vnet(b, 1, 0, 0, 20, (unsigned)len - 21, seg, len); hostile(b, n, "offset past"); CHECK_OK();
    n = vnet(b, 1, 0, 0, 1, 0xfffe, seg, len); hostile(b, n, "start+offset overflow"); CHECK_OK();
    n = vnet(b, 0x04, 0, 0, 0, 0, seg, len); hostile(b, n, "RSC_INFO flag"); CHECK_OK();
    n = vnet(b, 0x80, 0, 0, 0, 0, seg, len); hostile(b, n, "unknown flag"); CHECK_OK();
    n = vnet(b, 1, 3, 1000, 20, 6, seg, len); hostile(b, n, "GSO UDP"); CHECK_OK();
    n = vnet(b, 1, 4, 1000, 20, 16, seg, len); hostile(b, n, "GSO TCPV6"); CHECK_OK();
    n = vnet(b, 1, 5, 1000, 20, 16, seg, len); hostile(b, n, "GSO UDP_L4"); CHECK_OK();
    n = vnet(b, 0, 0x80, 0, 0, 0, seg, len); hostile(b, n, "ECN without GSO"); CHECK_OK();
    n = vnet(b, 1, 1, 0, 20, 16, seg, len); hostile(b, n, "gso_size 0"); CHECK_OK();
    n = vnet(b, 0, 1, 1000, 0, 0, seg, len); hostile(b, n, "GSO without NEEDS_CSUM"); CHECK_OK();
    n = vnet(b, 1, 1, 1000, 24, 16, seg, len); hostile(b, n, "GSO csum_start != ihl"); CHECK_OK();
    n = vnet(b, 1, 1, 1000, 20, 6, seg, len); hostile(b, n, "GSO csum_offset != 16"); CHECK_OK();
    n = vnet(b, 1, 1, 1000, 20, 16, seg, len); wr16(b + H + 2, (uint16_t)(len + 100));
    hostile(b, n, "GSO total length > packet"); CHECK_OK();
    n = vnet(b, 1, 1, 1000, 20, 16, seg, len); wr16(b + H + 2, (uint16_t)(len - 100));
    hostile(b, n, "GSO total length < packet"); CHECK_OK();
    n = vnet(b, 1, 1, 1000, 20, 16, seg, len); wr16(b + H + 2, 0);
    hostile(b, n, "GSO total length 0 (BIG TCP)"); CHECK_OK();
    n = vnet(b, 1, 1, 1000, 20, 16, seg, len); b[H + 0] = 0x4f;
    hostile(b, n, "GSO IHL 60"); CHECK_OK();
    n = vnet(b, 1, 1, 1000, 20, 16, seg, len); b[H + 9] = 17;
    hostile(b, n, "GSO not TCP"); CHECK_OK();
    n = vnet(b, 1, 1, 1000, 20, 16, seg, len); b[H + 6] = 0x20;
    hostile(b, n, "GSO fragment"); CHECK_OK();
    n = vnet(b, 1, 1, 1000, 20, 16, seg, 40); wr16(b + H + 2, 40); b[H + 32] = 0xf0;
    hostile(b, n, "GSO data offset past"); CHECK_OK();
    n = vnet(b, 1, 1, 1000, 20, 16, seg, 39); wr16(b + H + 2, 39);
    hostile(b, n, "GSO shorter than 40"); CHECK_OK();
}

/* Random headers over random bytes: never a crash (ASan/UBSan runs of make test), never a
 * write past n, and whatever is accepted is inside the buffer. */
TEST(tun_offload_random_headers)
{
    static uint8_t b[H + 2048 + 32];
    struct synack_tun_gso *g = new_gso();
    uint32_t rng = 99;
    for (int it = 0; it < 20000; it++) {
        rng = rng * 1103515245u + 12345u;
        size_t n = (rng >> 8) % 2048;
        for (size_t i = 0; i < n; i++) {
            rng = rng * 1103515245u + 12345u;
            b[i] = (uint8_t)(rng >> 16);
        }
        if (n > 12 && (it & 1)) { /* plausible IPv4 TCP with a plausible header */
            b[H] = 0x45;
            b[H + 9] = 6;
            wr16(b + H + 2, (uint16_t)(n - H));
            b[0] &= 3;
            b[1] &= 0x81;
        }
        memset(b + n, 0x5a, 32);
        size_t out = 0;
        int r = synack_tun_vnet_rx(b, n, &out);
        if (r >= 0)
            CHECK(out == n - H);
        for (int i = 0; i < 32; i++)
            CHECK(b[n + i] == 0x5a);
        if (n >= H && synack_tun_gso_add(g, b + H, n - H) == SYNACK_TUN_GSO_ADDED && g->nseg > 3) {
            const uint8_t *o;
            CHECK(synack_tun_gso_finish(g, &o, NULL) <= H + 65535);
        }
    }
    free(g);
}
