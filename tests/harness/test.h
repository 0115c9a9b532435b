/* A very small test framework: TEST(name) { ... } registers a case; CHECK* macros record a
 * failure with file:line and end the case. tests/harness/main.c runs every case (or those whose
 * name contains argv[1]) and prints "unit: N passed, N failed". */
#ifndef SYNACK_TEST_H
#define SYNACK_TEST_H
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <inttypes.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
extern int test_failed; /* set by test_fail for the running case */

#define TEST(name)                                                           \
    static void test_##name(void);                                           \
    __attribute__((constructor)) static void test_reg_##name(void)           \
    { test_register(#name, test_##name); }                                   \
    static void test_##name(void)

#define CHECK(c) do { if (!(c)) { test_fail(__FILE__, __LINE__, "%s", #c); return; } } while (0)
#define CHECK_MSG(c, ...) do { if (!(c)) { test_fail(__FILE__, __LINE__, __VA_ARGS__); return; } } while (0)
#define CHECK_EQ(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b);                 \
    if (a_ != b_) { test_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, #b, a_, b_); \
    return; } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b);                                   \
    if (strcmp(a_, b_)) { test_fail(__FILE__, __LINE__, "%s == %s (\"%s\" != \"%s\")", #a, #b, a_, b_); \
    return; } } while (0)
/* Use inside helpers that return void to propagate a failure to the caller's case. */
#define CHECK_OK() do { if (test_failed) return; } while (0)
#endif
