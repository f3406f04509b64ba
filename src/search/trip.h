/* trip.h: trips of 1 to 6 slices (one way, round trip, multi-city), priced together, then
 * filtered and ranked.
 *
 * Each slice is searched with the one-way engine (search.h), giving its non-dominated set.
 * Trips are the combinations of those sets whose slices follow each other in time (a slice
 * departs at least CT_TRIP_MIN_GAP minutes after the previous one arrives), priced per
 * provider as one booking: the slices' prices per the itinerary rule, and for a two-slice
 * trip sold on one ticket (an airline or agency, every leg's carrier cooperating with every
 * other) floor((slice 1 + slice 2) x 90 / 100); one fee per passenger per booking. A trip's
 * price is the lowest of those totals and of booking each slice separately at its own
 * cheapest ("separate tickets"); unknown when a slice is schedule-only. The
 * combinations that another combination dominates (every slice departing no earlier and
 * arriving no later, no more stops, no dearer, better in one) are removed.
 *
 * Exactness: a trip on the non-dominated front is, up to ties, a combination of the slices'
 * one-way sets (separate tickets, or a provider's own cheapest), of one provider's own sets
 * (the itineraries it sells, at its prices: its whole-trip price is monotone in each
 * slice's) or, for a two-slice trip at an airline or agency, of that provider's sets
 * restricted to one one-ticket group (an alliance, or a carrier in none) found at both
 * origins (the return discount is monotone too); or, when a slice is schedule-only (the
 * trip's price is then unknown whatever the others cost), of the slices' sets by times and
 * stops alone. So the slices are searched once with the query's pricing, once ignoring
 * prices, once per provider, and once per provider and shared group; every
 * combination found is priced with the full rule, duplicates merged, and the dominated ones
 * removed. The one limit: when a product of sets exceeds CT_TRIP_MAX_COMBOS, each slice keeps
 * its best-ranked itineraries so that the product fits (the result says `truncated`).
 *
 * Ranking: "best" is a score (lower is better) of price in major units + 0.25 x total
 * minutes + 50 x stops + 75 x self-transfers; unpriced trips take the highest price of the
 * set. Cheapest puts unpriced trips last; fastest is by total minutes; earliest and latest
 * by the first slice's departure. Ties are broken by price, minutes, departure, legs. */
#ifndef CT_SEARCH_TRIP_H
#define CT_SEARCH_TRIP_H

#include <stddef.h>
#include <stdint.h>

#include "search/search.h"

#define CT_TRIP_MAX_SLICES 6
#define CT_TRIP_MAX_COMBOS 4096
#define CT_TRIP_MIN_GAP    60

typedef struct ct_trip {
    int nslices;
    ct_itinerary slice[CT_TRIP_MAX_SLICES];
    int64_t price;                    /* lowest total, or CT_PRICE_UNKNOWN */
    int64_t offer[CT_MAX_PROVIDERS];  /* each provider's total, -1 where it does not sell it */
    int64_t native[CT_MAX_PROVIDERS]; /* the same in the provider's currency (minor units) */
    int64_t separate;   /* slices booked separately, each at its cheapest; -1 (one slice) */
    int stops;          /* over all slices */
    int self_transfers; /* connections between carriers that do not cooperate */
    int32_t minutes;    /* sum of the slices' durations */
    int64_t co2e_g;     /* per passenger (emissions.h ct_trips_set_co2e); 0: not computed */
    double score;       /* "best" (lower is better), set by ct_trip_rank */
} ct_trip;

typedef struct ct_trip_result {
    ct_trip *items; /* owned: free with ct_trip_result_free */
    size_t n;
    int truncated; /* 1 when slices were cut to CT_TRIP_MAX_COMBOS combinations */
} ct_trip_result;

/* Searches every slice (queries share `price`, may be NULL) and combines them. */
ct_status ct_trip_search(const ct_timetable *tt, const ct_search_query *slices, int nslices,
                         ct_trip_result *out);
void ct_trip_result_free(ct_trip_result *r);

/* Prices a trip whose slices are set (each slice's own price included): every provider's
 * offer, separate tickets, the lowest (-1: nobody sells it; CT_PRICE_UNKNOWN: a slice is
 * schedule-only), and its stops, self-transfers and minutes. */
void ct_trip_price(const ct_price_ctx *pc, ct_trip *t);

/* The cheapest priced two-slice trip combining a and b (one-way results of the two slices'
 * queries); 0 when none is priced. */
int ct_trip_cheapest_pair(const ct_search_result *a, const ct_search_result *b,
                          const ct_price_ctx *pc, ct_trip *best);

typedef enum ct_trip_sort {
    CT_SORT_BEST = 0,
    CT_SORT_CHEAPEST,
    CT_SORT_FASTEST,
    CT_SORT_EARLIEST,
    CT_SORT_LATEST,
    CT_SORT_EMISSIONS, /* lowest co2e_g first */
} ct_trip_sort;

/* Filters; a zero/empty member does not filter. Lists are timetable indices. */
typedef struct ct_trip_filters {
    unsigned stops_mask; /* bit s set: slices with s stops allowed (0 = any) */
    const uint16_t *carriers;
    int ncarriers; /* every leg's carrier in the list (ascending) */
    const uint8_t *alliances;
    int nalliances;       /* every leg's carrier in one of these alliance ids */
    int dep_from, dep_to; /* local minutes of the day, each slice's departure; -1: none */
    int arr_from, arr_to; /* the same for arrivals; a window may wrap past midnight */
    int max_minutes;      /* per slice; 0: none */
    const uint16_t *layovers;
    int nlayovers;                /* every connection at one of these airports */
    int min_layover, max_layover; /* minutes; 0: none */
    int no_self_transfer;
    int64_t max_price;  /* requested minor units; -1: none (unpriced trips fail it) */
    int64_t max_co2e_g; /* per passenger; 0: none */
} ct_trip_filters;

/* An empty filter set. */
void ct_trip_filters_init(ct_trip_filters *f);
/* 1 when the trip passes every filter. */
int ct_trip_matches(const ct_timetable *tt, const ct_price_ctx *pc, const ct_trip *t,
                    const ct_trip_filters *f);
/* Scores every trip (best) and sorts them. */
void ct_trip_rank(ct_trip *items, size_t n, const ct_price_ctx *pc, ct_trip_sort sort);
/* Minutes after local midnight of a UTC minute at an airport. */
int ct_trip_local_minute(const ct_timetable *tt, uint16_t airport, int32_t utc_min);

#endif
