/* search_cache.h: the in-process cache of search answers (POST /searches, GET /calendar,
 * GET /explore), the embedded default; a shared cache (Redis) is the multi-instance one.
 *
 * An answer is stored under its request (the body, or the path and the parameters that
 * matter) with a stamp of what it was computed from: the timetable, the pricebook and the
 * pricebook's generation (ct_pricebook_generation: any price or seat change). A lookup only
 * hits with the same stamp, so an answer is never served after the data under it moved; a
 * feed sync that changes anything empties the cache in effect. Slots are direct-mapped by a
 * hash of the key (a newer answer replaces an older one in its slot), each behind its own
 * lock, so lookups contend only on equal slots. Answers over CT_SEARCH_CACHE_MAX_BODY bytes
 * are not kept. */
#ifndef CT_API_SEARCH_CACHE_H
#define CT_API_SEARCH_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"

#define CT_SEARCH_CACHE_MAX_BODY (256 * 1024)

typedef struct ct_search_cache ct_search_cache;

/* A cache of `slots` answers (rounded up to a power of two). */
ct_status ct_search_cache_new(size_t slots, ct_search_cache **out);
void ct_search_cache_free(ct_search_cache *c);

/* On a hit, *body receives a NUL-terminated copy allocated from `arena` (the request's: it
 * dies with it) and 1 is returned; 0 on a miss, or when the arena is out of room. */
int ct_search_cache_get(ct_search_cache *c, const char *key, size_t key_len, uint64_t stamp,
                        ct_arena *arena, char **body, size_t *len);
void ct_search_cache_put(ct_search_cache *c, const char *key, size_t key_len, uint64_t stamp,
                         const char *body, size_t len);

/* Hits and misses so far (for /metrics). */
void ct_search_cache_stats(ct_search_cache *c, uint64_t *hits, uint64_t *misses);

#endif
