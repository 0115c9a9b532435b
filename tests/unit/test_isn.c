/* SipHash-2-4 against the reference vectors, RFC 6528 ISN generation, and the POSIX platform
 * clock and entropy (src/core/siphash.c, src/platform/). */
#include <stdlib.h>
#include "../harness/test.h"
#include "core/siphash.h"
#include "core/seq.h"
#include "synack/platform.h"

/* The 64 vectors of the SipHash reference implementation (vectors.h; the paper's appendix
 * shows index 15): key 00 01 .. 0f, message of length i = bytes 00 01 .. i-1. */
static const uint64_t sip_vectors[64] = {
    0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
    0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
    0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
    0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
    0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull, 0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull,
    0xbed65cf21aa2ee98ull, 0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
    0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull, 0x2f2e6163076bcfadull,
    0xde4daaaca71dc9a5ull, 0xa6a2506687956571ull, 0xad87a3535c49ef28ull, 0x32d892fad841c342ull,
    0x7127512f72f27cceull, 0xa7f32346f95978e3ull, 0x12e0b01abb051238ull, 0x15e034d40fa197aeull,
    0x314dffbe0815a3b4ull, 0x027990f029623981ull, 0xcadcd4e59ef40c4dull, 0x9abfd8766a33735cull,
    0x0e3ea96b5304a7d0ull, 0xad0c42d6fc585992ull, 0x187306c89bc215a9ull, 0xd4a60abcf3792b95ull,
    0xf935451de4f21df2ull, 0xa9538f0419755787ull, 0xdb9acddff56ca510ull, 0xd06c98cd5c0975ebull,
    0xe612a3cb9ecba951ull, 0xc766e62cfcadaf96ull, 0xee64435a9752fe72ull, 0xa192d576b245165aull,
    0x0a8787bf8ecb74b2ull, 0x81b3e73d20b49b6full, 0x7fa8220ba3b2eceaull, 0x245731c13ca42499ull,
    0xb78dbfaf3a8d83bdull, 0xea1ad565322a1a0bull, 0x60e61c23a3795013ull, 0x6606d7e446282b93ull,
    0x6ca4ecb15c5f91e1ull, 0x9f626da15c9625f3ull, 0xe51b38608ef25f57ull, 0x958a324ceb064572ull,
};

static const uint8_t key0f[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

TEST(isn_siphash_reference_vectors)
{
    uint8_t msg[64];
    for (int i = 0; i < 64; i++) msg[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        CHECK_MSG(siphash24(key0f, msg, (size_t)i) == sip_vectors[i],
                  "vector %d: got %016" PRIx64 " want %016" PRIx64, i,
                  siphash24(key0f, msg, (size_t)i), sip_vectors[i]);
    /* the paper's appendix example: 15-byte message 00..0e */
    CHECK(siphash24(key0f, msg, 15) == 0xa129ca6149be45e5ull);
}

TEST(isn_siphash_unaligned_input)
{
    uint8_t raw[80];
    for (int off = 1; off < 8; off++) {
        for (int i = 0; i < 64; i++) raw[off + i] = (uint8_t)i;
        CHECK(siphash24(key0f, raw + off, 63) == sip_vectors[63]);
        CHECK(siphash24(key0f, raw + off, 9) == sip_vectors[9]);
    }
}

/* Known answer: with secret 00..0f, laddr 0.1.2.3, raddr 4.5.6.7, lport 0x0809, rport 0x0a0b the
 * 12-byte SipHash input is 00 01 .. 0b, i.e. reference vector 12 (0x751e8fbc860ee5fb). */
TEST(isn_known_answer)
{
    CHECK_EQ(tcp_isn_generate(key0f, 0x00010203u, 0x0809, 0x04050607u, 0x0a0b, 0),
             0x860ee5fbu);
    CHECK_EQ(tcp_isn_generate(key0f, 0x00010203u, 0x0809, 0x04050607u, 0x0a0b, 4000),
             (uint32_t)(0x860ee5fbu + 1000));
    CHECK_EQ(tcp_isn_generate(key0f, 0x00010203u, 0x0809, 0x04050607u, 0x0a0b, 4003),
             (uint32_t)(0x860ee5fbu + 1000));
    /* M wraps: now = 2^34 us gives M = 2^32 = 0 mod 2^32 */
    CHECK_EQ(tcp_isn_generate(key0f, 0x00010203u, 0x0809, 0x04050607u, 0x0a0b,
                              (int64_t)1 << 34), 0x860ee5fbu);
}

static uint64_t xs_state = 0x2545f4914f6cdd1dull;
static uint64_t xs64(void)
{
    xs_state ^= xs_state << 13;
    xs_state ^= xs_state >> 7;
    xs_state ^= xs_state << 17;
    return xs_state;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

TEST(isn_distinct_per_tuple)
{
    enum { N = 10000 };
    static uint32_t isn[N];
    uint8_t secret[16];
    for (int i = 0; i < 16; i++) secret[i] = (uint8_t)xs64();
    int64_t now = 123456789;
    for (int i = 0; i < N; i++) {
        uint64_t r = xs64();
        isn[i] = tcp_isn_generate(secret, (uint32_t)r, (uint16_t)(r >> 32), (uint32_t)xs64(),
                                  (uint16_t)(r >> 48), now);
    }
    qsort(isn, N, sizeof isn[0], cmp_u32);
    int dup = 0;
    for (int i = 1; i < N; i++) dup += isn[i] == isn[i - 1];
    CHECK_MSG(dup <= 3, "%d collisions among %d tuples", dup, N); /* expected ~0.01 */

    /* neighbouring tuples differ, and the direction matters */
    uint32_t base = tcp_isn_generate(secret, 0x0a000001, 40000, 0x0a000002, 80, now);
    CHECK(base != tcp_isn_generate(secret, 0x0a000001, 40001, 0x0a000002, 80, now));
    CHECK(base != tcp_isn_generate(secret, 0x0a000001, 40000, 0x0a000002, 81, now));
    CHECK(base != tcp_isn_generate(secret, 0x0a000003, 40000, 0x0a000002, 80, now));
    CHECK(base != tcp_isn_generate(secret, 0x0a000001, 40000, 0x0a000003, 80, now));
    CHECK(base != tcp_isn_generate(secret, 0x0a000002, 80, 0x0a000001, 40000, now));
}

TEST(isn_monotonic_in_time)
{
    uint8_t secret[16];
    for (int i = 0; i < 16; i++) secret[i] = (uint8_t)xs64();
    for (int i = 0; i < 10000; i++) {
        int64_t t1 = (int64_t)(xs64() >> 8) & ~(int64_t)3;   /* any time, incl. M wraps */
        int64_t d = (int64_t)(xs64() % 4000000000ull) & ~(int64_t)3; /* up to ~4000 s */
        uint32_t a = tcp_isn_generate(secret, 0xc0a80001, 5555, 0xc0a80002, 443, t1);
        uint32_t b = tcp_isn_generate(secret, 0xc0a80001, 5555, 0xc0a80002, 443, t1 + d);
        CHECK_EQ(b - a, (uint32_t)(d / 4));
        if (d >= 4) CHECK(seq_gt(b, a));
    }
    /* across negative times as well */
    uint32_t a = tcp_isn_generate(secret, 1, 2, 3, 4, -8);
    uint32_t b = tcp_isn_generate(secret, 1, 2, 3, 4, 8);
    CHECK_EQ(b - a, 4u);
    /* non-multiples of 4: floor(t/4) */
    a = tcp_isn_generate(secret, 1, 2, 3, 4, 1001);
    b = tcp_isn_generate(secret, 1, 2, 3, 4, 1002);
    CHECK_EQ(b - a, 0u);
    b = tcp_isn_generate(secret, 1, 2, 3, 4, 1004);
    CHECK_EQ(b - a, 1u);
}

TEST(isn_secret_changes_isn)
{
    uint8_t secret[16];
    for (int i = 0; i < 16; i++) secret[i] = (uint8_t)xs64();
    uint32_t base = tcp_isn_generate(secret, 0x0a000001, 1234, 0x0a000002, 80, 5000);
    for (int bit = 0; bit < 128; bit++) {
        uint8_t s2[16];
        memcpy(s2, secret, 16);
        s2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_MSG(tcp_isn_generate(s2, 0x0a000001, 1234, 0x0a000002, 80, 5000) != base,
                  "bit %d", bit);
    }
}

TEST(isn_platform_random)
{
    uint8_t a[32], b[32], big[4096];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK_EQ(synack_platform_random(a, sizeof a), 0);
    CHECK_EQ(synack_platform_random(b, sizeof b), 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK_EQ(synack_platform_random(big, sizeof big), 0);
    CHECK_EQ(synack_platform_random(big, 0), 0);
    int zero = 0;
    for (size_t i = 0; i < sizeof big; i++) zero += big[i] == 0;
    CHECK(zero < 100); /* expected 16 */
}

TEST(isn_platform_clock)
{
    synack_time_us t0 = synack_platform_now_us();
    CHECK(t0 > 0);
    synack_time_us prev = t0;
    for (int i = 0; i < 10000; i++) {
        synack_time_us t = synack_platform_now_us();
        CHECK(t >= prev);
        prev = t;
    }
    CHECK(prev - t0 < 10000000); /* well under 10 s */
}
