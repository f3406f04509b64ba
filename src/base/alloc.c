/* alloc.c: allocation wrapper with fault injection (see alloc.h for the OOM policy). */
#include "base/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown = -1;

static int should_fail(void)
{
    long v = atomic_load(&fail_countdown);
    while (v >= 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &v, v - 1))
            return v == 0;
    }
    return 0;
}

void ct_alloc_fail_after(long n)
{
    atomic_store(&fail_countdown, n);
}

void *ct_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *ct_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *ct_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
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
