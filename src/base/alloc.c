/* alloc.c: allocation wrapper with fault injection (see alloc.h for the OOM policy).
 *
 * One atomic countdown: each allocation decrements it while it is non-negative, and the one
 * that takes it from 0 fails. Every failure, injected or real, is also counted per thread
 * (ct_alloc_failed_here). jansson is pointed at ct_malloc/ct_free by ct_alloc_install_json,
 * so its allocations count too. */
#include "base/alloc.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown = -1;
static _Thread_local unsigned long failed_here;

static int should_fail(void)
{
    long v = atomic_load(&fail_countdown);
    while (v >= 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &v, v - 1))
            return v == 0;
    }
    return 0;
}

/* Counts a failed allocation on this thread; returns NULL for the caller to return. */
static void *failed(void)
{
    failed_here++;
    return NULL;
}

void ct_alloc_fail_after(long n)
{
    atomic_store(&fail_countdown, n);
}

unsigned long ct_alloc_failed_here(void)
{
    return failed_here;
}

void *ct_malloc(size_t n)
{
    void *p = should_fail() ? NULL : malloc(n ? n : 1);
    return p != NULL ? p : failed();
}

void *ct_calloc(size_t count, size_t size)
{
    void *p = should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
    return p != NULL ? p : failed();
}

void *ct_realloc(void *p, size_t n)
{
    void *q = should_fail() ? NULL : realloc(p, n ? n : 1);
    return q != NULL ? q : failed();
}

void ct_free(void *p)
{
    free(p);
}

char *ct_strndup(const char *s, size_t n)
{
    char *copy = ct_malloc(n + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *ct_strdup(const char *s)
{
    return ct_strndup(s, strlen(s));
}

void ct_alloc_install_json(void)
{
    json_set_alloc_funcs(ct_malloc, ct_free);
}
