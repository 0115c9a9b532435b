/* IPv4 header parse and emit (RFC 791 §3.1; checksum RFC 1071; RFC 1122 §3.2.1).
 *
 * Parsing validates every length once, in this order: buffer >= 20 bytes, version 4 and
 * IHL >= 5, IHL*4 <= buffer, IHL*4 <= total length <= buffer (bytes past the total length are
 * link-layer padding and ignored), header checksum, then fragments. Reassembly is not
 * supported, so any fragment (MF set or offset != 0) is reported as WIRE_FRAGMENT. IP options
 * are checked for form (RFC 791 §3.1: EOL, NOP, or type-length-value with 2 <= length <= what
 * is left; a malformed list is WIRE_BAD_OPTION) and otherwise not interpreted (RFC 1122
 * §3.2.1.8 permits ignoring them), except that a source route (LSRR, SSRR) is reported in
 * srcroute, for the caller to drop as RFC 7126 §4.3-4.4 advises. */
#include "core/wire.h"
#include "core/mutants.h"

enum { IP4_DF = 0x4000, IP4_MF = 0x2000, IP4_OFFSET_MASK = 0x1fff };

enum wire_err ip4_parse(const uint8_t *buf, size_t len, struct ip4_view *out)
{
    if (len < IP4_HDR_MIN)
        return WIRE_SHORT;
    unsigned version = buf[0] >> 4, ihl = (unsigned)(buf[0] & 0x0f) * 4;
    if (version != 4 || ihl < IP4_HDR_MIN)
        return WIRE_VERSION;
    if (ihl > len)
        return WIRE_SHORT;
    uint16_t total = rd16(buf + 2);
    if (total < ihl)
        return WIRE_LEN;
    if (total > len)
        return WIRE_LEN;    /* the header claims more than the frame holds */
    /* RFC 791 §3.1 "Header Checksum": the sum over the header, checksum field included,
     * is zero. */
    if (csum_fold(csum_partial(buf, ihl, 0)) != 0)
        return WIRE_CHECKSUM;
    out->srcroute = 0;
    for (unsigned o = IP4_HDR_MIN; o < ihl;) {
        uint8_t type = buf[o];
        if (type == 0) break;                       /* end of option list */
        if (type == 1) { o++; continue; }           /* no operation */
        if (o + 1 >= ihl || buf[o + 1] < 2 || buf[o + 1] > ihl - o) { if (MUTANT_OFF(ip_option_check)) break; return WIRE_BAD_OPTION; }
        if (type == 131 || type == 137) out->srcroute = 1;  /* LSRR, SSRR */
        o += buf[o + 1];
    }

    out->ihl_bytes = (uint8_t)ihl;
    out->tos = buf[1];
    out->total_len = total;
    out->id = rd16(buf + 4);
    out->frag = rd16(buf + 6);
    out->ttl = buf[8];
    out->proto = buf[9];
    out->src = rd32(buf + 12);
    out->dst = rd32(buf + 16);
    out->payload = buf + ihl;
    out->payload_len = (size_t)total - ihl;
    /* RFC 791 §3.2 "Fragmentation and Reassembly": a datagram is a fragment when MF is set
     * or the fragment offset is non-zero. */
    if ((out->frag & IP4_MF) || (out->frag & IP4_OFFSET_MASK))
        return WIRE_FRAGMENT;
    return WIRE_OK;
}

/* The caller guarantees 20 + payload_len <= 65535 (RFC 791 total length is 16 bits). */
size_t ip4_emit(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, uint16_t payload_len,
                uint16_t id, uint8_t ttl)
{
    buf[0] = 0x45;                       /* version 4, IHL 5 */
    buf[1] = 0;                          /* TOS / DSCP+ECN */
    wr16(buf + 2, (uint16_t)(IP4_HDR_MIN + payload_len));
    wr16(buf + 4, id);
    wr16(buf + 6, IP4_DF);               /* DF, offset 0 (RFC 791 §3.1 "Flags") */
    buf[8] = ttl;
    buf[9] = proto;
    wr16(buf + 10, 0);
    wr32(buf + 12, src);
    wr32(buf + 16, dst);
    wr16(buf + 10, csum_fold(csum_partial(buf, IP4_HDR_MIN, 0)));
    return IP4_HDR_MIN;
}
