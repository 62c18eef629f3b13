/* Minimal assertion helpers for the btcommon unit tests (no framework needed).
 * Each test binary ends with check_summary(), which prints the plain
 * "N passed, N failed" line and returns the exit status for ctest. */
#ifndef BTCOMMON_CHECK_H
#define BTCOMMON_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond) do { \
    if (cond) { check_passed++; } \
    else { check_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
    if (check_a_ == check_b_) { check_passed++; } \
    else { check_failed++; fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
                                   __FILE__, __LINE__, #a, check_a_, #b, check_b_); } \
} while (0)

#define CHECK_EQ_STR(a, b) do { \
    const char *check_a_ = (a), *check_b_ = (b); \
    if (check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0) { check_passed++; } \
    else { check_failed++; fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
                                   __FILE__, __LINE__, #a, check_a_ ? check_a_ : "(null)", \
                                   check_b_ ? check_b_ : "(null)"); } \
} while (0)

static inline int check_summary(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
