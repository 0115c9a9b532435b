#include "test.h"
#include <stdarg.h>
#include <stdlib.h>

#define MAX_TESTS 4096
static struct { const char *name; test_fn fn; } tests[MAX_TESTS];
static int ntests;
int test_failed;
static const char *current;

void test_register(const char *name, test_fn fn)
{
    if (ntests < MAX_TESTS) { tests[ntests].name = name; tests[ntests].fn = fn; ntests++; }
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s (%s:%d): ", current, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    test_failed = 1;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, list = argc > 1 && !strcmp(argv[1], "--list");
    qsort(tests, ntests, sizeof tests[0], cmp);
    for (int i = 0; i < ntests; i++) {
        if (list) { puts(tests[i].name); continue; }
        if (argc > 1 && !strstr(tests[i].name, argv[1])) continue;
        current = tests[i].name;
        test_failed = 0;
        tests[i].fn();
        if (test_failed) failed++; else passed++;
        if (getenv("TEST_VERBOSE")) fprintf(stderr, "%s %s\n", test_failed ? "FAIL" : "ok  ", current);
    }
    if (!list) printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
