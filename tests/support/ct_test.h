/* ct_test.h: the includes every cmocka test needs, in the order cmocka requires, and the
 * process set-up every test shares: jansson allocates through base/alloc.h (as in both
 * programs' main()), so ct_alloc_fail_after reaches JSON parsing in every test. The set-up
 * runs as a constructor, before the test's main(); every test includes this header.
 * CT_TEST_FILTER=PATTERN runs only the tests whose names match (cmocka's `*`/`?` pattern):
 * scripts/test.sh runs the concurrent part of a long suite under ThreadSanitizer this way. */
#ifndef CT_TEST_H
#define CT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"

/* For clang-tidy's static analyzer only (scripts/tidy.sh): cmocka's assertions call functions
 * that return when the assertion holds and longjmp out of the test when it fails, which the
 * analyzer cannot see, so it goes on past a failed assert_non_null(p) and reports p's
 * dereference. Here each assertion used by the tests becomes the same test ending in abort(),
 * which the analyzer knows does not return; a build never sees these definitions. */
#ifdef __clang_analyzer__
#define ct__test_check(c) ((c) ? (void)0 : abort())
#define ct__test_int(v)   cast_to_largest_integral_type(v)
#undef assert_true
#define assert_true(c) ct__test_check(ct__test_int(c))
#undef assert_false
#define assert_false(c) ct__test_check(!ct__test_int(c))
#undef assert_non_null
#define assert_non_null(c) ct__test_check((c) != NULL)
#undef assert_null
#define assert_null(c) ct__test_check((c) == NULL)
#undef assert_int_equal
#define assert_int_equal(a, b) ct__test_check(ct__test_int(a) == ct__test_int(b))
#undef assert_int_not_equal
#define assert_int_not_equal(a, b) ct__test_check(ct__test_int(a) != ct__test_int(b))
#undef assert_ptr_equal
#define assert_ptr_equal(a, b) ct__test_check((const void *)(a) == (const void *)(b))
#undef assert_ptr_not_equal
#define assert_ptr_not_equal(a, b) ct__test_check((const void *)(a) != (const void *)(b))
#undef assert_string_equal
#define assert_string_equal(a, b) ct__test_strings(a, b, 1)
#undef assert_string_not_equal
#define assert_string_not_equal(a, b) ct__test_strings(a, b, 0)
#undef assert_memory_equal
#define assert_memory_equal(a, b, n) ct__test_check(memcmp((a), (b), (n)) == 0)
#undef assert_in_range
#define assert_in_range(v, lo, hi)                                                                 \
    ct__test_range(ct__test_int(v), ct__test_int(lo), ct__test_int(hi))
static inline void ct__test_strings(const char *a, const char *b, int equal)
{
    ct__test_check(a != NULL && b != NULL && (strcmp(a, b) == 0) == equal);
}
static inline void ct__test_range(uintmax_t v, uintmax_t lo, uintmax_t hi)
{
    ct__test_check(lo <= v && v <= hi);
}
#undef fail
#define fail() abort()
#undef fail_msg
#define fail_msg(msg, ...) (print_error("ERROR: " msg "\n", ##__VA_ARGS__), abort())
#endif

__attribute__((constructor)) static void ct_test_process_setup(void)
{
    ct_alloc_install_json();
    const char *filter = getenv("CT_TEST_FILTER");
    if (filter != NULL && filter[0] != '\0')
        cmocka_set_test_filter(filter);
}

#endif
