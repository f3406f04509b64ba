/* search_internal.h: what the search module's files share and nobody else uses. */
#ifndef CT_SEARCH_INTERNAL_H
#define CT_SEARCH_INTERNAL_H

#include "search/search.h"

/* What a query needs of one leg, computed once: each provider's amount (its minor units;
 * -1 where it does not sell it or the query's restriction excludes it), the lowest converted
 * amount (ct_price_leg_bound) and whether any provider knows the leg. */
typedef struct ct_leg_facts {
    int32_t amount[CT_MAX_PROVIDERS];
    double bound;
    uint8_t known;
} ct_leg_facts;

/* Leg facts cached per query by leg index: an open-addressing table the query owns
 * (zero-initialise; free with ct_bound_cache_free). A leg's providers are read once however
 * many partial itineraries reach it. */
typedef struct ct_bound_cache {
    uint32_t *keys; /* leg index + 1; 0 = empty */
    ct_leg_facts *vals;
    size_t cap, len;
    ct_leg_facts spare; /* returned when the table cannot grow */
} ct_bound_cache;

const ct_leg_facts *ct_leg_facts_cached(ct_bound_cache *c, const ct_price_ctx *pc,
                                        const ct_timetable *tt, const ct_leg *l);
double ct_bound_cached(ct_bound_cache *c, const ct_price_ctx *pc, const ct_timetable *tt,
                       const ct_leg *l);
/* ct_price_itinerary (without the per-provider totals) from cached leg facts. */
int64_t ct_price_itinerary_cached(ct_bound_cache *cache, const ct_price_ctx *c,
                                  const ct_timetable *tt, const ct_leg *const *legs, int n);
void ct_bound_cache_free(ct_bound_cache *c);

#endif
