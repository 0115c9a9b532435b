/* UDP (RFC 768) and ICMP (RFC 792) parse and emit; checksums per RFC 1071.
 *
 * UDP: the length field must be >= 8 and <= the buffer (bytes beyond it are ignored); a
 * non-zero checksum is verified over the pseudo-header and the datagram; a computed checksum of
 * zero is sent as all ones (RFC 768 "Fields"). ICMP: at least the 8-byte header; the checksum
 * covers the whole message (RFC 792, "Checksum" of each message type). */
#include <string.h>
#include "core/wire.h"

enum wire_err udp_parse(const uint8_t *dgram, size_t len, uint32_t src, uint32_t dst,
                        struct udp_view *out)
{
    if (len < UDP_HDR_LEN)
        return WIRE_SHORT;
    uint16_t ulen = rd16(dgram + 4);
    if (ulen < UDP_HDR_LEN)
        return WIRE_LEN;
    if (ulen > len)
        return WIRE_SHORT;
    /* RFC 768: an all-zero checksum field means the sender did not compute one. */
    if (rd16(dgram + 6) != 0) {
        uint32_t sum = csum_pseudo(src, dst, IP4_PROTO_UDP, ulen);
        if (csum_fold(csum_partial(dgram, ulen, sum)) != 0)
            return WIRE_CHECKSUM;
    }
    out->sport = rd16(dgram);
    out->dport = rd16(dgram + 2);
    out->len = ulen;
    out->payload = dgram + UDP_HDR_LEN;
    out->payload_len = (size_t)ulen - UDP_HDR_LEN;
    return WIRE_OK;
}

/* The caller guarantees 8 + payload_len <= 65535. */
size_t udp_emit(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                const uint8_t *payload, size_t payload_len)
{
    size_t total = UDP_HDR_LEN + payload_len;
    if (payload_len && payload != buf + UDP_HDR_LEN)
        memmove(buf + UDP_HDR_LEN, payload, payload_len);
    wr16(buf, sport);
    wr16(buf + 2, dport);
    wr16(buf + 4, (uint16_t)total);
    wr16(buf + 6, 0);
    uint16_t c = csum_fold(csum_partial(buf, total, csum_pseudo(src, dst, IP4_PROTO_UDP,
                                                                (uint16_t)total)));
    wr16(buf + 6, c ? c : 0xffff);
    return total;
}

enum wire_err icmp_parse(const uint8_t *msg, size_t len, struct icmp_view *out)
{
    if (len < ICMP_HDR_LEN)
        return WIRE_SHORT;
    if (csum_fold(csum_partial(msg, len, 0)) != 0)
        return WIRE_CHECKSUM;
    out->type = msg[0];
    out->code = msg[1];
    out->id = rd16(msg + 4);             /* echo / echo reply (RFC 792 "Echo") */
    out->seq = rd16(msg + 6);
    out->rest = rd32(msg + 4);
    out->body = msg + ICMP_HDR_LEN;
    out->body_len = len - ICMP_HDR_LEN;
    return WIRE_OK;
}

size_t icmp_emit(uint8_t *buf, uint8_t type, uint8_t code, uint32_t rest,
                 const uint8_t *body, size_t body_len)
{
    if (body_len && body != buf + ICMP_HDR_LEN)
        memmove(buf + ICMP_HDR_LEN, body, body_len);
    buf[0] = type;
    buf[1] = code;
    wr16(buf + 2, 0);
    wr32(buf + 4, rest);
    wr16(buf + 2, csum_fold(csum_partial(buf, ICMP_HDR_LEN + body_len, 0)));
    return ICMP_HDR_LEN + body_len;
}
