/* alloc.h: the single allocation wrapper.
 *
 * Out-of-memory policy: every ct_ allocation function returns NULL on failure and the caller
 * turns that into CT_NOMEM; nothing aborts. Tests can make the Nth allocation from now fail
 * (ct_alloc_fail_after) to walk every error path, the way curl's torture mode does. */
#ifndef CT_BASE_ALLOC_H
#define CT_BASE_ALLOC_H

#include <stddef.h>

/* Like malloc/calloc/realloc/free/strdup, but subject to fault injection. */
void *ct_malloc(size_t n);
void *ct_calloc(size_t count, size_t size);
void *ct_realloc(void *p, size_t n);
void ct_free(void *p);
char *ct_strdup(const char *s);
char *ct_strndup(const char *s, size_t n);

/* Makes the allocation `n` calls from now fail (0 = the next one); -1 disables injection.
 * Thread-safe (atomic counter). */
void ct_alloc_fail_after(long n);

#endif
