/* TCP header and options: parse and emit.
 *
 * RFC 9293 §3.1 (header format, checksum over the pseudo-header), §3.2 (options: EOL, NOP,
 * MSS), RFC 7323 §2.2 (window scale), §3.2 (timestamps), RFC 2018 §2-3 (SACK-permitted, SACK).
 *
 * Parsing checks: segment >= 20 bytes, data offset >= 5 words and within the buffer, the
 * checksum, then the options. Every option length is validated against the option area
 * before it is read; a malformed option rejects the segment (WIRE_BAD_OPTION). */
#include <string.h>
#include "core/wire.h"

enum {
    OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WS = 3, OPT_SACK_PERM = 4, OPT_SACK = 5,
    OPT_TS = 8, OPT_FASTOPEN = 34,
    OPTLEN_MSS = 4, OPTLEN_WS = 3, OPTLEN_SACK_PERM = 2, OPTLEN_TS = 10,
    OPTLEN_SACK_BASE = 2, OPTLEN_SACK_BLOCK = 8, SACK_MAX_BLOCKS = 4,
    TCP_OPT_MAX = 40           /* data offset is 4 bits: at most 60 - 20 bytes of options */
};

enum wire_err tcp_opts_parse(const uint8_t *opt, size_t len, struct tcp_opts *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    while (i < len) {
        uint8_t kind = opt[i];
        if (kind == OPT_EOL)                 /* RFC 9293 §3.2: End of Option List */
            break;
        if (kind == OPT_NOP) {               /* RFC 9293 §3.2: single-byte padding */
            i++;
            continue;
        }
        /* Every other option is kind, length (counting both), data (RFC 9293 §3.2). */
        if (len - i < 2)
            return WIRE_BAD_OPTION;
        size_t olen = opt[i + 1];
        if (olen < 2 || olen > len - i)
            return WIRE_BAD_OPTION;
        const uint8_t *d = opt + i + 2;
        switch (kind) {
        case OPT_MSS:                        /* RFC 9293 §3.2, §3.7.1 */
            if (olen != OPTLEN_MSS)
                return WIRE_BAD_OPTION;
            out->has_mss = 1;
            out->mss = rd16(d);
            break;
        case OPT_WS:                         /* RFC 7323 §2.2 */
            if (olen != OPTLEN_WS)
                return WIRE_BAD_OPTION;
            out->has_ws = 1;
            out->ws = d[0];
            break;
        case OPT_SACK_PERM:                  /* RFC 2018 §2 */
            if (olen != OPTLEN_SACK_PERM)
                return WIRE_BAD_OPTION;
            out->sack_ok = 1;
            break;
        case OPT_TS:                         /* RFC 7323 §3.2 */
            if (olen != OPTLEN_TS)
                return WIRE_BAD_OPTION;
            out->has_ts = 1;
            out->tsval = rd32(d);
            out->tsecr = rd32(d + 4);
            break;
        case OPT_SACK: {                     /* RFC 2018 §3: length 8*n + 2, n = 1..4 */
            size_t blocks = (olen - OPTLEN_SACK_BASE) / OPTLEN_SACK_BLOCK;
            if ((olen - OPTLEN_SACK_BASE) % OPTLEN_SACK_BLOCK || blocks < 1
                || blocks > SACK_MAX_BLOCKS)
                return WIRE_BAD_OPTION;
            out->nsack = (uint8_t)blocks;
            for (size_t b = 0; b < blocks; b++) {
                out->sack[b][0] = rd32(d + b * 8);
                out->sack[b][1] = rd32(d + b * 8 + 4);
            }
            break;
        }
        case OPT_FASTOPEN:                   /* RFC 7413 §4.1.1: a request, or a 4..16 byte
                                                cookie; an odd or out-of-range length is
                                                ignored like an unknown option (not fatal) */
            if (olen == 2 || (olen >= 6 && olen <= 18 && !(olen & 1))) {
                out->has_fo = 1;
                out->fo_len = (uint8_t)(olen - 2);
                memcpy(out->fo_cookie, d, olen - 2);
            }
            break;
        default:                             /* unknown: skip by its length (RFC 9293 §3.2) */
            break;
        }
        i += olen;
    }
    return WIRE_OK;
}

/* Layout as Linux writes it (every group is a multiple of 4 bytes, so no tail padding):
 *   MSS(4)
 *   SACK_PERM(2) TS(10)        when both;  NOP NOP TS(10) for TS alone;
 *   NOP NOP SACK_PERM(2)       for SACK-permitted without TS
 *   NOP WS(3)
 *   NOP NOP SACK(2+8n)         with as many of o->sack's first blocks as fit in 40 bytes
 *                              (RFC 2018 §4: the first block is the most recent one). */
size_t tcp_opts_emit(uint8_t *buf, const struct tcp_opts *o)
{
    size_t n = 0;
    if (o->has_mss) {
        buf[n++] = OPT_MSS;
        buf[n++] = OPTLEN_MSS;
        wr16(buf + n, o->mss);
        n += 2;
    }
    if (o->has_ts) {
        if (o->sack_ok) {
            buf[n++] = OPT_SACK_PERM;
            buf[n++] = OPTLEN_SACK_PERM;
        } else {
            buf[n++] = OPT_NOP;
            buf[n++] = OPT_NOP;
        }
        buf[n++] = OPT_TS;
        buf[n++] = OPTLEN_TS;
        wr32(buf + n, o->tsval);
        wr32(buf + n + 4, o->tsecr);
        n += 8;
    } else if (o->sack_ok) {
        buf[n++] = OPT_NOP;
        buf[n++] = OPT_NOP;
        buf[n++] = OPT_SACK_PERM;
        buf[n++] = OPTLEN_SACK_PERM;
    }
    if (o->has_ws) {
        buf[n++] = OPT_NOP;
        buf[n++] = OPT_WS;
        buf[n++] = OPTLEN_WS;
        buf[n++] = o->ws;
    }
    if (o->has_fo && o->fo_len <= 16 && n + 2 + o->fo_len <= TCP_OPT_MAX) {
        /* RFC 7413 §4.1.1, then NOPs to a multiple of 4 (Linux: "FO,nop,nop" for a request) */
        buf[n++] = OPT_FASTOPEN;
        buf[n++] = (uint8_t)(2 + o->fo_len);
        memcpy(buf + n, o->fo_cookie, o->fo_len);
        n += o->fo_len;
        while (n & 3) buf[n++] = OPT_NOP;
    }
    /* n <= 20 here (SYNs, which alone carry Fast Open, have no SACK blocks), so at least 2
     * blocks fit after NOP NOP SACK kind/len */
    size_t blocks = o->nsack > SACK_MAX_BLOCKS ? SACK_MAX_BLOCKS : o->nsack;
    size_t fit = (TCP_OPT_MAX - n - 4) / OPTLEN_SACK_BLOCK;
    if (blocks > fit)
        blocks = fit;
    if (blocks) {
        buf[n++] = OPT_NOP;
        buf[n++] = OPT_NOP;
        buf[n++] = OPT_SACK;
        buf[n++] = (uint8_t)(OPTLEN_SACK_BASE + blocks * OPTLEN_SACK_BLOCK);
        for (size_t b = 0; b < blocks; b++) {
            wr32(buf + n, o->sack[b][0]);
            wr32(buf + n + 4, o->sack[b][1]);
            n += 8;
        }
    }
    return n;
}

enum wire_err tcp_parse(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst,
                        struct tcp_view *out)
{
    if (len < TCP_HDR_MIN)
        return WIRE_SHORT;
    if (len > 0xffff)                       /* the pseudo-header length is 16 bits */
        return WIRE_LEN;
    size_t doff = (size_t)(seg[12] >> 4) * 4;
    if (doff < TCP_HDR_MIN)
        return WIRE_LEN;
    if (doff > len)
        return WIRE_SHORT;
    /* RFC 9293 §3.1 "Checksum": over the pseudo-header, header and data; the sum including
     * the checksum field is zero when correct. */
    uint32_t sum = csum_pseudo(src, dst, IP4_PROTO_TCP, (uint16_t)len);
    if (csum_fold(csum_partial(seg, len, sum)) != 0)
        return WIRE_CHECKSUM;
    enum wire_err e = tcp_opts_parse(seg + TCP_HDR_MIN, doff - TCP_HDR_MIN, &out->opts);
    if (e != WIRE_OK)
        return e;
    out->sport = rd16(seg);
    out->dport = rd16(seg + 2);
    out->seq = rd32(seg + 4);
    out->ack = rd32(seg + 8);
    out->doff_bytes = (uint8_t)doff;
    out->flags = seg[13];
    out->window = rd16(seg + 14);
    out->urgent = rd16(seg + 18);
    out->payload = seg + doff;
    out->payload_len = len - doff;
    return WIRE_OK;
}

/* The caller guarantees buf holds 60 + payload_len bytes and that header + payload fits the
 * 16-bit pseudo-header length. payload may already sit at its place after the header. */
size_t tcp_emit(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window,
                const struct tcp_opts *opts, const uint8_t *payload, size_t payload_len)
{
    size_t olen = opts ? tcp_opts_emit(buf + TCP_HDR_MIN, opts) : 0;
    size_t hlen = TCP_HDR_MIN + olen;
    if (payload_len && payload != buf + hlen)
        memmove(buf + hlen, payload, payload_len);
    wr16(buf, sport);
    wr16(buf + 2, dport);
    wr32(buf + 4, seq);
    wr32(buf + 8, ack);
    buf[12] = (uint8_t)((hlen / 4) << 4);   /* data offset; reserved bits zero */
    buf[13] = flags;
    wr16(buf + 14, window);
    wr16(buf + 16, 0);
    wr16(buf + 18, 0);                      /* urgent pointer: not used */
    size_t total = hlen + payload_len;
    uint32_t sum = csum_pseudo(src, dst, IP4_PROTO_TCP, (uint16_t)total);
    wr16(buf + 16, csum_fold(csum_partial(buf, total, sum)));
    return total;
}
