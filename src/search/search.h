/* search.h: the itinerary engine (one-way, schedule-only for now).
 *
 * Semantics: exactly "Search semantics" in ../shared/design/ARCHITECTURE.md. A valid
 * itinerary for (origins, destinations, local date D) has 1 to max_stops+1 dated legs; the
 * first departs an origin airport on local date D; each next leg departs where the previous
 * arrived, no earlier than the minimum connection time and no later than 24 hours after the
 * arrival; no airport is visited twice; the last arrives at a destination airport. Minimum
 * connection times, where no airport rule applies: 45 minutes when the inbound origin, the
 * connecting airport and the outbound destination are in one country, 60 otherwise. Without
 * prices (schedule-only) any carriers may connect.
 *
 * The engine returns every itinerary no other dominates (departs no earlier, arrives no
 * later, no more stops, better in one), ties included, sorted by departure, then arrival.
 *
 * Algorithm: first legs are taken latest-departure first; for each, the connections out of
 * its arrival airport are scanned within the connection window (binary search into the
 * timetable's per-airport slice) and, for two stops, the legs from the second connection's
 * airport into a destination come from a per-query index cut from the timetable's arrival
 * index (airports without such legs are not tried at all). best[s] holds the earliest
 * arrival found with at most s stops among itineraries leaving no earlier; anything arriving
 * strictly later than that is dominated and pruned, partial paths included (an extension
 * only arrives later). A final exact filter removes what the pruning, which keeps ties, let
 * through. */
#ifndef CT_SEARCH_SEARCH_H
#define CT_SEARCH_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "timetable/timetable.h"

#define CT_SEARCH_MAX_LEGS     3
#define CT_SEARCH_MCT_DOMESTIC 45
#define CT_SEARCH_MCT_INTL     60
#define CT_SEARCH_MAX_CONNECT  1440

typedef struct ct_search_query {
    const uint16_t *origins; /* airport indices */
    int norigins;
    const uint16_t *dests;
    int ndests;
    int64_t date;  /* local departure date, days since 1970 */
    int max_stops; /* 0..2 */
} ct_search_query;

typedef struct ct_itinerary {
    int nlegs;
    const ct_leg *legs[CT_SEARCH_MAX_LEGS]; /* point into the timetable */
    int32_t dep, arr;                       /* UTC minutes */
} ct_itinerary;

typedef struct ct_search_result {
    ct_itinerary *items; /* owned; free with ct_search_result_free */
    size_t n;
    size_t candidates; /* itineraries considered before the final filter (for statistics) */
} ct_search_result;

/* Runs a one-way search. CT_INVALID for an empty or overlapping origin/destination set or
 * max_stops out of range. */
ct_status ct_search_oneway(const ct_timetable *tt, const ct_search_query *q, ct_search_result *out);
void ct_search_result_free(ct_search_result *r);

/* The minimum connection time, in minutes, between `in` and `out` at in->to. */
int ct_search_mct(const ct_timetable *tt, const ct_leg *in, const ct_leg *out);

/* 1 when `it` is a valid itinerary for `q` under the rules above. */
int ct_search_valid(const ct_timetable *tt, const ct_search_query *q, const ct_itinerary *it);

/* 1 when a dominates b. */
int ct_itinerary_dominates(const ct_itinerary *a, const ct_itinerary *b);

#endif
