/* Internet checksum (RFC 1071) and the TCP/UDP pseudo-header sum (RFC 9293 §3.1, RFC 768).
 *
 * The one's complement sum is computed over big-endian 32-bit words in a 64-bit accumulator;
 * because 2^16 == 1 (mod 2^16 - 1), folding that sum gives the same result as summing 16-bit
 * words (RFC 1071 §2(B), "parallel summation"). The accumulator cannot overflow for any
 * buffer smaller than 16 GiB. */
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
 * padded with zero (RFC 1071 §1), so only the last chunk of a message may have odd length. */
uint32_t csum_partial(const uint8_t *buf, size_t len, uint32_t sum)
{
    uint64_t acc = sum;
    size_t i = 0;
    for (; i + 8 <= len; i += 8)
        acc += (uint64_t)rd32(buf + i) + rd32(buf + i + 4);
    for (; i + 2 <= len; i += 2)
        acc += rd16(buf + i);
    if (i < len)
        acc += (uint32_t)buf[i] << 8;
    return fold64(acc);
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
