/* arena.h: memory pools (arenas) for request-scoped and load-scoped data.
 *
 * An arena hands out memory from a chain of blocks and frees it all at once with
 * ct_arena_destroy (nginx ngx_pool_t, h2o req->pool). Each HTTP request owns one: parsed input,
 * intermediate results and the response body come from it and die with it. An arena has a cap:
 * past it, allocation fails (NULL) instead of growing forever. Not thread-safe: one owner. */
#ifndef CT_BASE_ARENA_H
#define CT_BASE_ARENA_H

#include <stddef.h>

typedef struct ct_arena ct_arena;

/* Creates an arena that will hold at most `cap` bytes in total (0 = 1 GiB). NULL on OOM. */
ct_arena *ct_arena_create(size_t cap);

/* Frees every block and the arena itself. NULL is allowed. */
void ct_arena_destroy(ct_arena *a);

/* Returns `n` bytes aligned to 16, or NULL when out of memory or over the cap. */
void *ct_arena_alloc(ct_arena *a, size_t n);

/* Zeroed variant of ct_arena_alloc (count*size, overflow-checked). */
void *ct_arena_calloc(ct_arena *a, size_t count, size_t size);

/* Copies a string (or the first n bytes) into the arena, NUL-terminated. NULL on failure. */
char *ct_arena_strdup(ct_arena *a, const char *s);
char *ct_arena_strndup(ct_arena *a, const char *s, size_t n);

/* printf into the arena. NULL on failure. */
char *ct_arena_printf(ct_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bytes handed out so far (for tests and metrics). */
size_t ct_arena_used(const ct_arena *a);

#endif
