#include "test.h"
#include <stdarg.h>
#include <stdlib.h>

#ifdef SYNACK_MUTANTS
/* make mutants: SYNACK_MUTANT=name switches one mechanism of src/core/mutants.h off;
 * --mutants lists them ("name<TAB>what"). */
#include "core/mutants.h"
int synack__mutant = -1;
static const char *const mutant_names[] = {
#define MUTANT_NAME_(name, what) #name,
    SYNACK_MUTANT_LIST(MUTANT_NAME_)
#undef MUTANT_NAME_
};
static const char *const mutant_whats[] = {
#define MUTANT_WHAT_(name, what) what,
    SYNACK_MUTANT_LIST(MUTANT_WHAT_)
#undef MUTANT_WHAT_
};

/* Returns 0 to go on, 1 when main should return 0 (listed), -1 on an unknown name. */
static int mutant_setup(int argc, char **argv)
{
    const char *m = getenv("SYNACK_MUTANT");
    if (argc > 1 && !strcmp(argv[1], "--mutants")) {
        for (int i = 0; i < MUT_COUNT_; i++) printf("%s\t%s\n", mutant_names[i], mutant_whats[i]);
        return 1;
    }
    if (!m || !*m) return 0;
    for (int i = 0; i < MUT_COUNT_; i++)
        if (!strcmp(m, mutant_names[i])) { synack__mutant = i; return 0; }
    fprintf(stderr, "SYNACK_MUTANT=%s: no such mechanism (--mutants lists them)\n", m);
    return -1;
}
#endif

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
#ifdef SYNACK_MUTANTS
    {
        int r = mutant_setup(argc, argv);
        if (r) return r < 0 ? 2 : 0;
    }
#endif
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
