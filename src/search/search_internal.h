/* search_internal.h: what the search module's files share and nobody else uses. */
#ifndef CT_SEARCH_INTERNAL_H
#define CT_SEARCH_INTERNAL_H

#include "search/search.h"

/* Lower bounds of legs (ct_price_leg_bound), cached per query by leg index: an
 * open-addressing table the query owns (zero-initialise; free with ct_bound_cache_free). A
 * leg is bounded once however many partial itineraries reach it. */
typedef struct ct_bound_cache {
    uint32_t *keys; /* leg index + 1; 0 = empty */
    double *vals;
    size_t cap, len;
} ct_bound_cache;

double ct_bound_cached(ct_bound_cache *c, const ct_price_ctx *pc, const ct_timetable *tt,
                       const ct_leg *l);
void ct_bound_cache_free(ct_bound_cache *c);

#endif
