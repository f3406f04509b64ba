/* alloc.h: the single allocation wrapper.
 *
 * Out-of-memory policy: every ct_ allocation function returns NULL on failure and the caller
 * turns that into CT_NOMEM; nothing aborts. Tests can make the Nth allocation from now fail
 * (ct_alloc_fail_after) to walk every error path, the way curl's torture mode does.
 *
 * The wrapper sits on malloc: memory from it may be released with free() as well as ct_free,
 * so memory handed to a library that frees it with free() (libmicrohttpd's free callbacks,
 * json_dumps results) stays compatible, and so does memory jansson allocated before
 * ct_alloc_install_json ran. Keep it that way. */
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

/* How many allocations have failed on the calling thread so far (injected or real). Compare
 * it before and after a library call to tell out-of-memory from bad input: jansson 2.14 leaves
 * its error empty, or even reports a syntax error, when an allocation fails while parsing. */
unsigned long ct_alloc_failed_here(void);

/* Makes jansson allocate through ct_malloc/ct_free (json_set_alloc_funcs), so fault injection
 * reaches JSON parsing and building too. Call once at process start, before any thread runs
 * (both programs' main() do, and every test through ct_test.h); calling it again is harmless.
 * Cannot fail. */
void ct_alloc_install_json(void);

#endif
