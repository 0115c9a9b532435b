/* SipHash-2-4 (J.-P. Aumasson, D. J. Bernstein, "SipHash: a fast short-input PRF", 2012,
 * §2) and RFC 6528 §3 initial sequence numbers.
 *
 * SipHash: the 128-bit key is read as two little-endian 64-bit words k0, k1; the state
 * v0..v3 starts as k0, k1, k0, k1 xored with "somepseudorandomlygeneratedbytes". The message
 * is taken as little-endian 64-bit words, the last one padded with zeros and carrying
 * len mod 256 in its top byte. Each word m is absorbed as v3 ^= m, 2 SipRounds, v0 ^= m;
 * finalization is v2 ^= 0xff, 4 SipRounds, and the output is v0 ^ v1 ^ v2 ^ v3. */
#include "core/siphash.h"

static inline uint64_t rotl(uint64_t x, unsigned b) { return (x << b) | (x >> (64 - b)); }

static inline uint64_t ld64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

#define SIPROUND()                                                            \
    do {                                                                      \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);             \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);             \
    } while (0)

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len)
{
    const uint8_t *in = data;
    uint64_t k0 = ld64le(key), k1 = ld64le(key + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull;   /* "somepseudorandomlygeneratedbytes" */
    uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
    uint64_t v3 = k1 ^ 0x7465646279746573ull;

    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = ld64le(in + i);
        v3 ^= m;
        SIPROUND();
        SIPROUND();
        v0 ^= m;
    }
    /* Last word: the 0..7 remaining bytes, then len mod 256 in the most significant byte. */
    uint64_t m = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < (len & 7); i++)
        m |= (uint64_t)in[full + i] << (8 * i);
    v3 ^= m;
    SIPROUND();
    SIPROUND();
    v0 ^= m;

    v2 ^= 0xff;
    SIPROUND();
    SIPROUND();
    SIPROUND();
    SIPROUND();
    return v0 ^ v1 ^ v2 ^ v3;
}

/* RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey). M ticks every
 * 4 us (the RFC 9293 §3.4.1 clock); it is computed as floor(now_us / 4) mod 2^32 so it keeps
 * advancing by one per 4 us even across negative times. F is SipHash-2-4 keyed with the
 * secret over laddr, raddr, lport, rport in network byte order (12 bytes), low 32 bits. */
uint32_t tcp_isn_generate(const uint8_t secret[16], uint32_t laddr, uint16_t lport,
                          uint32_t raddr, uint16_t rport, int64_t now_us)
{
    uint8_t t[12] = {
        (uint8_t)(laddr >> 24), (uint8_t)(laddr >> 16), (uint8_t)(laddr >> 8), (uint8_t)laddr,
        (uint8_t)(raddr >> 24), (uint8_t)(raddr >> 16), (uint8_t)(raddr >> 8), (uint8_t)raddr,
        (uint8_t)(lport >> 8), (uint8_t)lport, (uint8_t)(rport >> 8), (uint8_t)rport,
    };
    uint32_t m = (uint32_t)((uint64_t)now_us >> 2);
    return m + (uint32_t)siphash24(secret, t, sizeof t);
}
