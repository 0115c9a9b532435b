/* Sequence-number arithmetic modulo 2^32 (src/core/seq.h, RFC 9293 §3.4), especially across
 * the wrap from 0xffffffff to 0. */
#include "../harness/test.h"
#include "core/seq.h"

TEST(seq_compare_basic)
{
    CHECK(seq_lt(1, 2));
    CHECK(!seq_lt(2, 1));
    CHECK(!seq_lt(5, 5));
    CHECK(seq_leq(5, 5));
    CHECK(seq_geq(5, 5));
    CHECK(!seq_gt(5, 5));
    CHECK(seq_gt(2, 1));
    CHECK(seq_geq(2, 1));
    CHECK(seq_leq(1, 2));
    CHECK_EQ(seq_diff(10, 3), 7);
    CHECK_EQ(seq_diff(3, 10), -7);
}

TEST(seq_compare_across_wrap)
{
    CHECK(seq_lt(0xffffffffu, 0));
    CHECK(seq_gt(0, 0xffffffffu));
    CHECK(seq_leq(0xffffffffu, 0));
    CHECK(seq_geq(0, 0xffffffffu));
    CHECK(!seq_lt(0, 0xffffffffu));
    CHECK(seq_lt(0xfffffff0u, 0x10));
    CHECK(seq_gt(0x10, 0xfffffff0u));
    CHECK_EQ(seq_diff(5, 0xfffffffbu), 10);
    CHECK_EQ(seq_diff(0xfffffffbu, 5), -10);
    CHECK_EQ(seq_diff(0, 0xffffffffu), 1);
    /* the largest distance that still orders correctly is 2^31 - 1 */
    CHECK(seq_lt(0x80000000u, 0xffffffffu));
    CHECK(seq_lt(0xffffffffu, 0x7ffffffeu));
    CHECK(seq_gt(0x7ffffffeu, 0xffffffffu));
    CHECK(seq_lt(0, 0x7fffffffu));
    /* exactly 2^31 apart is ambiguous: each is "before" the other (documented property) */
    CHECK(seq_lt(0, 0x80000000u) && seq_lt(0x80000000u, 0));
}

TEST(seq_minmax_across_wrap)
{
    CHECK_EQ(seq_max(0xffffffffu, 0), 0);
    CHECK_EQ(seq_min(0xffffffffu, 0), 0xffffffffu);
    CHECK_EQ(seq_max(0xfffffff0u, 0x20), 0x20);
    CHECK_EQ(seq_min(0xfffffff0u, 0x20), 0xfffffff0u);
    CHECK_EQ(seq_max(7, 7), 7);
    CHECK_EQ(seq_min(100, 200), 100);
}

TEST(seq_in_window)
{
    /* plain window [100, 200) */
    CHECK(seq_in(100, 100, 200));
    CHECK(seq_in(199, 100, 200));
    CHECK(!seq_in(200, 100, 200));
    CHECK(!seq_in(99, 100, 200));
    /* window across the wrap [0xfffffff0, 0x10) */
    uint32_t lo = 0xfffffff0u, hi = 0x10;
    CHECK(seq_in(0xfffffff0u, lo, hi));
    CHECK(seq_in(0xffffffffu, lo, hi));
    CHECK(seq_in(0, lo, hi));
    CHECK(seq_in(0xf, lo, hi));
    CHECK(!seq_in(0x10, lo, hi));
    CHECK(!seq_in(0xffffffefu, lo, hi));
    CHECK(!seq_in(0x80000000u, lo, hi));
    /* window ending exactly at the wrap */
    CHECK(seq_in(0xffffffffu, 0xffffff00u, 0));
    CHECK(!seq_in(0, 0xffffff00u, 0));
    /* empty window holds nothing */
    CHECK(!seq_in(5, 5, 5));
    CHECK(!seq_in(0, 0, 0));
    CHECK(!seq_in(0xffffffffu, 0xffffffffu, 0xffffffffu));
}

static uint64_t xs_state = 0x9e3779b97f4a7c15ull;
static uint32_t xs32(void)
{
    xs_state ^= xs_state << 13;
    xs_state ^= xs_state >> 7;
    xs_state ^= xs_state << 17;
    return (uint32_t)(xs_state >> 32);
}

TEST(seq_random_properties)
{
    for (int i = 0; i < 100000; i++) {
        uint32_t a = xs32(), d = xs32() & 0x7fffffffu;
        if (d == 0) d = 1;
        uint32_t b = a + d;
        CHECK(seq_lt(a, b));
        CHECK(seq_gt(b, a));
        CHECK(!seq_geq(a, b));
        CHECK_EQ(seq_diff(b, a), (int32_t)d);
        CHECK_EQ(seq_max(a, b), b);
        CHECK_EQ(seq_min(a, b), a);
        CHECK(seq_in(a, a, b));
        CHECK(!seq_in(b, a, b));
        CHECK(seq_in(b - 1, a, b));
        CHECK(!seq_in(a - 1, a, b));
    }
}
