/* calendar.h: cheapest prices over dates and destinations, for calendars, date grids and
 * explore.
 *
 * - Price calendar: for each of n consecutive days, the cheapest priced itinerary of the
 *   one-way query on that day (the cheapest member of the day's non-dominated set: any
 *   itinerary dominating the cheapest costs no more, so one is always in the set).
 * - Date grid: for 7 departure days x 7 return days around a round trip, the cheapest
 *   priced trip of each pair (trip.h: return discounts and separate tickets included);
 *   cells whose return precedes the departure stay empty.
 * - Explore (explore.c): from an origin on a day, the cheapest priced itinerary to every
 *   airport with up to max_stops stops (0, 1 or 2), under the one-way engine's rules
 *   (search.h): the answer for each airport is that of ct_search_cheapest to it alone.
 *   First legs and their connections are walked once, pricing a candidate only when its
 *   lower bound beats the destination's best so far; for two stops the two-leg partials
 *   are kept per airport reached, and each third leg is priced with the cheapest partials
 *   it may follow (sliding-window minima and a segment tree of bounds) until the bound
 *   loses. Destinations reached only by schedule-only legs are left out. */
#ifndef CT_SEARCH_CALENDAR_H
#define CT_SEARCH_CALENDAR_H

#include "search/trip.h"

typedef struct ct_day_price {
    int found;         /* 0: nothing priced that day */
    ct_itinerary best; /* the cheapest */
} ct_day_price;

/* q->date is the first day; out has ndays entries. q->price is required. */
ct_status ct_calendar(const ct_timetable *tt, const ct_search_query *q, int ndays,
                      ct_day_price *out);

typedef struct ct_grid_cell {
    int found;
    ct_trip best;
} ct_grid_cell;

/* out/ret: the two slices' queries at the grid's centre dates; cells[d * 7 + r] for
 * departure centre-3+d and return centre-3+r. */
ct_status ct_date_grid(const ct_timetable *tt, const ct_search_query *out,
                       const ct_search_query *ret, ct_grid_cell cells[49]);

typedef struct ct_explore_hit {
    uint16_t airport;
    ct_itinerary best;
} ct_explore_hit;

/* Cheapest per destination from q's origins on q->date (q->dests ignored; max_stops 0..2),
 * by airport index. CT_INVALID without a pricebook or with max_stops out of range. *hits
 * is owned by the caller (ct_free). */
ct_status ct_explore(const ct_timetable *tt, const ct_search_query *q, ct_explore_hit **hits,
                     size_t *nhits);

#endif
