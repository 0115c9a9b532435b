/* Wire formats: IPv4, ICMP, UDP, TCP and TCP options. Stateless, allocation-free parsers that
 * validate every length once (the one boundary for untrusted bytes); after a successful parse
 * the returned views can be read without further checks. Emitters write into a caller buffer.
 * All multi-byte fields in the parsed structs are in host byte order.
 *
 * RFCs: 791 (IPv4), 792 (ICMP), 768 (UDP), 9293 §3.1-3.2 (TCP header, options),
 *       7323 (window scale, timestamps), 2018 (SACK), 1071 (checksum). */
#ifndef SYNACK_CORE_WIRE_H
#define SYNACK_CORE_WIRE_H
#include <stddef.h>
#include <stdint.h>

enum { IP4_PROTO_ICMP = 1, IP4_PROTO_TCP = 6, IP4_PROTO_UDP = 17 };
enum { IP4_HDR_MIN = 20, TCP_HDR_MIN = 20, UDP_HDR_LEN = 8, ICMP_HDR_LEN = 8 };

/* Result of a parse: 0 = ok, otherwise the reason (maps to a counter). */
enum wire_err {
    WIRE_OK = 0,
    WIRE_SHORT,        /* buffer shorter than the header says */
    WIRE_VERSION,      /* IPv4: version != 4 or IHL < 5 */
    WIRE_LEN,          /* length fields inconsistent */
    WIRE_CHECKSUM,     /* checksum mismatch */
    WIRE_FRAGMENT,     /* IPv4: MF set or offset != 0 */
    WIRE_BAD_OPTION    /* IPv4 or TCP: malformed option (bad length, runs past the header) */
};

struct ip4_view {
    uint8_t ihl_bytes;     /* header length */
    uint8_t tos, ttl, proto;
    uint16_t total_len;    /* from the header, <= buffer length */
    uint16_t id, frag;     /* frag = flags|offset field */
    uint32_t src, dst;
    uint8_t srcroute;      /* a loose or strict source route option is present */
    const uint8_t *payload;
    size_t payload_len;    /* total_len - ihl_bytes (trailing link padding ignored) */
};
/* Validates version, IHL, total length (<= len), header checksum, and rejects fragments
 * (after the other checks, so WIRE_FRAGMENT means a well-formed fragment). */
enum wire_err ip4_parse(const uint8_t *buf, size_t len, struct ip4_view *out);
/* Writes a 20-byte header (no options) with checksum; returns 20. DF set, given TTL. */
size_t ip4_emit(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, uint16_t payload_len,
                uint16_t id, uint8_t ttl);

struct tcp_opts {
    uint8_t has_mss, has_ws, sack_ok, has_ts;
    uint16_t mss;
    uint8_t ws;            /* shift count as received (caller clamps to 14, RFC 7323 §2.3) */
    uint32_t tsval, tsecr;
    uint8_t nsack;         /* SACK blocks present (0..4) */
    uint32_t sack[4][2];   /* left, right edges */
    uint8_t has_fo;        /* RFC 7413 Fast Open option: fo_len 0 is a cookie request */
    uint8_t fo_len;        /* cookie length, 4..16 and even */
    uint8_t fo_cookie[16];
};
/* Parses the option bytes; unknown options with a valid length are skipped; EOL ends the list.
 * Returns WIRE_BAD_OPTION on a length byte < 2 (except NOP/EOL), a length that runs past
 * the end, or a known option with the wrong length. */
enum wire_err tcp_opts_parse(const uint8_t *opt, size_t len, struct tcp_opts *out);
/* Writes options (MSS, WS, SACK-permitted, TS, SACK blocks when set in o) padded with NOPs to a
 * multiple of 4; returns the byte count (<= 40). Layout follows Linux's so captures look
 * familiar: MSS, SACK-permitted+TS (or NOP NOP TS), NOP WS. */
size_t tcp_opts_emit(uint8_t *buf, const struct tcp_opts *o);

struct tcp_view {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t doff_bytes;    /* header length including options */
    uint8_t flags;         /* FIN SYN RST PSH ACK URG ECE CWR */
    uint16_t window, urgent;
    struct tcp_opts opts;
    const uint8_t *payload;
    size_t payload_len;
};
/* Validates data offset (>= 20, <= len), the checksum over the pseudo-header (src, dst),
 * and the options. */
enum wire_err tcp_parse(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst,
                        struct tcp_view *out);
/* Writes a TCP header with options and copies payload after it, computes the checksum.
 * Returns the segment length (header + options + payload). */
size_t tcp_emit(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window,
                const struct tcp_opts *opts, const uint8_t *payload, size_t payload_len);

struct udp_view {
    uint16_t sport, dport, len;
    const uint8_t *payload;
    size_t payload_len;
};
/* Validates the length field (>= 8, <= len) and the checksum when it is non-zero. */
enum wire_err udp_parse(const uint8_t *dgram, size_t len, uint32_t src, uint32_t dst,
                        struct udp_view *out);
size_t udp_emit(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                const uint8_t *payload, size_t payload_len);

struct icmp_view {
    uint8_t type, code;
    uint16_t id, seq;      /* echo only */
    uint32_t rest;         /* bytes 4..7 */
    const uint8_t *body;   /* after the 8-byte header */
    size_t body_len;
};
enum { ICMP_ECHO_REPLY = 0, ICMP_DEST_UNREACH = 3, ICMP_ECHO = 8, ICMP_TIME_EXCEEDED = 11 };
enum { ICMP_CODE_PROTO_UNREACH = 2, ICMP_CODE_PORT_UNREACH = 3 };
/* Validates length (>= 8) and checksum. */
enum wire_err icmp_parse(const uint8_t *msg, size_t len, struct icmp_view *out);
/* Writes type, code, rest-of-header and body, with checksum; returns 8 + body_len. */
size_t icmp_emit(uint8_t *buf, uint8_t type, uint8_t code, uint32_t rest,
                 const uint8_t *body, size_t body_len);

/* RFC 1071 Internet checksum helpers. csum_partial adds bytes to a 32-bit running sum
 * (odd lengths padded with zero); csum_fold folds and complements. */
uint32_t csum_partial(const uint8_t *buf, size_t len, uint32_t sum);
uint16_t csum_fold(uint32_t sum);
uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* Big-endian accessors. */
static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p)
{ return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wr32(uint8_t *p, uint32_t v)
{ p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }
#endif
