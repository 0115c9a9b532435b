/* Internet checksum (RFC 1071) and the TCP/UDP pseudo-header sum (RFC 9293 §3.1, RFC 768).
 *
 * The one's complement sum is computed over big-endian 32-bit words in a 64-bit accumulator;
 * because 2^16 == 1 (mod 2^16 - 1), folding that sum gives the same result as summing 16-bit
 * words (RFC 1071 §2(B), "parallel summation"). The accumulator cannot overflow for any
 * buffer smaller than 16 GiB. */
#include <string.h>
#include "core/wire.h"

/* Folds a 64-bit one's complement sum to 16 bits (end-around carries, RFC 1071 §2(A)). */
static uint32_t fold64(uint64_t s)
{
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    return (uint32_t)s;
}

/* Adds buf to the running sum. An odd trailing byte is treated as the high byte of a word
 * padded with zero (RFC 1071 §1), so only the last chunk of a message may have odd length.
 *
 * The words are summed in the machine's own byte order, 32 bits at a time from 64-bit loads,
 * and the folded result byte-swapped once at the end: RFC 1071 §2(B), "byte order
 * independence" (the one's complement sum of byte-swapped words is the byte-swapped sum).
 * That spares a byte swap per word on the per-segment path (every payload is summed once on
 * the way out and once on the way in). */
uint32_t csum_partial(const uint8_t *buf, size_t len, uint32_t sum)
{
    uint64_t acc = 0, a2 = 0;
    size_t i = 0;
    for (; i + 16 <= len; i += 16) {
        uint64_t w0, w1;
        memcpy(&w0, buf + i, 8);
        memcpy(&w1, buf + i + 8, 8);
        acc += (w0 & 0xffffffffu) + (w0 >> 32);
        a2 += (w1 & 0xffffffffu) + (w1 >> 32);
    }
    acc += a2;
    for (; i + 4 <= len; i += 4) {
        uint32_t w;
        memcpy(&w, buf + i, 4);
        acc += w;
    }
    for (; i + 2 <= len; i += 2) {
        uint16_t w;
        memcpy(&w, buf + i, 2);
        acc += w;
    }
    uint32_t r = fold64(acc);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    r = (r >> 8 | r << 8) & 0xffffu;
#endif
    if (i < len)
        r += (uint32_t)buf[i] << 8;
    return fold64((uint64_t)r + sum);
}

/* Folds the sum to 16 bits and complements it: the value to store in a checksum field, or,
 * when the field itself was included in the sum, 0 for a correct checksum. */
uint16_t csum_fold(uint32_t sum)
{
    return (uint16_t)~fold64(sum);
}

/* Pseudo-header sum: source, destination, zero+protocol, and the TCP/UDP length
 * (RFC 9293 §3.1 "Checksum", RFC 768 "Fields"). */
uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint64_t acc = (uint64_t)(src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu)
                   + proto + len;
    return fold64(acc);
}
