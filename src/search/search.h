/* search.h: the itinerary engine: exact one-way search with prices, and pricing.
 *
 * Semantics: exactly "Search semantics" in ../shared/design/ARCHITECTURE.md. A valid
 * itinerary for (origins, destinations, local date D) has 1 to max_stops+1 dated legs; the
 * first departs an origin airport on local date D; each next leg departs where the previous
 * arrived, no earlier than the minimum connection time and no later than 24 hours after the
 * arrival; no airport is visited twice; the last arrives at a destination airport. Minimum
 * connection times, where no airport rule applies: 45 minutes when the inbound origin, the
 * connecting airport and the outbound destination are in one country, 60 otherwise, and 120
 * at a self-transfer (carriers that do not cooperate; only the combiner sells those).
 *
 * Prices (pricing.c, from the pricebook the provider feeds fill): an itinerary's price is
 * the lowest total any provider asks for it (the providers' itinerary rule, converted to the
 * requested currency); every leg must have seats for the passengers in the cabin at that
 * provider. An itinerary with a leg no provider has data for is schedule-only: valid with
 * the default connection times between any carriers, its price unknown (CT_PRICE_UNKNOWN,
 * higher than every known price). One whose legs are all known but that no provider sells
 * as a whole (say two non-cooperating carriers 70 minutes apart) is not valid. Without a
 * pricebook every itinerary is schedule-only.
 *
 * The engine returns every itinerary no other dominates (departs no earlier, arrives no
 * later, no more stops, costs no more, better in one), ties included, sorted by departure,
 * arrival, stops, price.
 *
 * Algorithm: first legs are taken latest-departure first. The legs into the destination are
 * gathered once per query from the timetable's arriving routes (ct_arrival_routes), per
 * departure airport Y into a compact array by departure with suffix minima of arrival and
 * price bound and an hour index: one-stop completions and third legs are read from there.
 * Middle legs X -> Y are gathered per first-leg arrival airport X (its departures within the
 * connection window of the first legs arriving there, towards a Y with legs into the
 * destination), each with the best any completion through it can do: the earliest arrival
 * and its own bound plus the cheapest third leg's; suffix minima of both skip a first leg's
 * whole scan when even that is pruned. For each stop count s, a staircase holds the
 * (arrival, price) points found with at most s stops (all depart no earlier than the current
 * first leg): a partial itinerary is pruned when a point arrives no later than it can and
 * costs no more than its price lower bound, better in one (the two-stop staircase is also
 * kept as the cheapest found by each 16-minute bucket, so most tests read two entries; the
 * rest search it). The loops over middle legs test in two passes: first without a branch on
 * each leg's outcome (unpredictable: a mispredicted branch cost more than the test), then
 * the survivors; the searches in sorted arrays halve with a conditional move. The bound is
 * the passengers' fare weight (ct_price_ctx.fare_weight) x
 * (the legs' lowest per-provider amounts, converted, each weighted 0.85 when it may share a
 * ticket with a neighbour (through fares lower a ticket by at most 15 %) and 1 when its
 * neighbours' carriers do not cooperate with its own) + the passengers x the lowest fee, less
 * what rounding can take. Leg amounts come from the pricebook's per-leg bound table (pricebook.h
 * "Leg bounds") when its sequence check holds over the whole search; when a writer changed prices
 * meanwhile, or a provider has no rate, the search runs again with bounds from each leg's
 * facts cached per query (same answer; both paths are tested). A destination airport may be
 * passed through (a through fare can make the longer itinerary cheaper). A final exact filter
 * removes what the pruning, which keeps ties, let through. A cheapest-only mode (calendars)
 * prunes on price alone. A thread keeps its search arrays for its next search. */
#ifndef CT_SEARCH_SEARCH_H
#define CT_SEARCH_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "fares/pricebook.h"
#include "timetable/timetable.h"

#define CT_SEARCH_MAX_LEGS     3
#define CT_SEARCH_MCT_DOMESTIC 45
#define CT_SEARCH_MCT_INTL     60
#define CT_SEARCH_MAX_CONNECT  1440

#define CT_PRICE_UNKNOWN INT64_MAX /* schedule-only: higher than every known price */

/* A query's pricing: the pricebook view, cabin, passengers and currency, with each
 * provider's conversion factor precomputed (ct_price_ctx_init). */
typedef struct ct_price_ctx {
    const ct_pb_view *view; /* NULL: schedule-only */
    ct_cabin cabin;
    int class_lo, class_hi; /* the cabin's class indices */
    int seats;              /* seats each leg needs (adults, children, infants in a seat) */
    int payers;             /* passengers: each pays the provider's fee */
    int adults;             /* passengers paying the adult fare */
    int children;           /* paying the child fare (children, infants in a seat) */
    int lap_infants;        /* paying the lap-infant fare */
    double fare_weight;     /* adults + children x 0.75 + lap_infants x 0.10 */
    char currency[4];
    int minor_digits;
    int nproviders;
    double conv[CT_MAX_PROVIDERS]; /* provider minor unit -> requested minor unit; 0: no rate */
    double max_conv;
    int64_t min_fee; /* smallest converted fee per passenger */
    /* Restrictions for trip combination (trip.c); ct_price_ctx_init clears them. With either
     * set, only itineraries that provider sells (in that one-ticket group) are priced, and
     * every other itinerary, schedule-only ones included, is invalid. */
    int only_provider; /* -1: every provider */
    int only_group;    /* 0: any; else a ct_price_group value */
    int ignore_price;  /* 1: validity as priced, but every price counts as unknown (equal) */
    /* The pricebook's leg bounds (pricebook.h) in this currency: US cents x cents_factor is
     * requested minor units. leg_bounds = 0 when some rate is missing (the table leaves
     * such providers out) or no_leg_bounds is set (tests: the per-query path alone). */
    int leg_bounds;
    int no_leg_bounds;
    double cents_factor;
} ct_price_ctx;

typedef struct ct_search_query {
    const uint16_t *origins; /* airport indices */
    int norigins;
    const uint16_t *dests;
    int ndests;
    int64_t date;              /* local departure date, days since 1970 */
    int max_stops;             /* 0..2 */
    const ct_price_ctx *price; /* NULL: schedule-only (every itinerary unpriced) */
} ct_search_query;

typedef struct ct_itinerary {
    int nlegs;
    const ct_leg *legs[CT_SEARCH_MAX_LEGS]; /* point into the timetable */
    int32_t dep, arr;                       /* UTC minutes */
    int64_t price; /* requested currency's minor units, or CT_PRICE_UNKNOWN */
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

/* The cheapest priced itinerary of the query (the shortest among equally cheap ones), by the
 * same enumeration pruned on price alone; *found = 0 when nothing is priced. */
ct_status ct_search_cheapest(const ct_timetable *tt, const ct_search_query *q, ct_itinerary *best,
                             int *found);

/* The cheapest priced itinerary of the query that flies dated leg `leg` (an index into
 * tt->legs) and costs less than `ceiling` (INT64_MAX: any), the shortest among equally
 * cheap ones, by the rules above (via.c: the itineraries through the leg are enumerated
 * directly, as its first, middle or last leg). *found = 0 when there is none. Why: after a
 * leg's price dropped, a new low of the query must use it. CT_INVALID as ct_search_oneway,
 * or for a leg out of range. */
ct_status ct_search_cheapest_via(const ct_timetable *tt, const ct_search_query *q, uint32_t leg,
                                 int64_t ceiling, ct_itinerary *best, int *found);

/* Every valid itinerary of the query that flies dated leg `leg`, priced or schedule-only
 * (those no provider sells left out), not filtered by dominance, in no order (via.c). Why:
 * after a drop on the leg, a one-way set is the non-dominated ones of these and of its old
 * members that do not fly the leg. A query without prices finds none. CT_INVALID as
 * ct_search_cheapest_via. */
ct_status ct_search_oneway_via(const ct_timetable *tt, const ct_search_query *q, uint32_t leg,
                               ct_search_result *out);

/* The minimum connection time, in minutes, between `in` and `out` at in->to. */
int ct_search_mct(const ct_timetable *tt, const ct_leg *in, const ct_leg *out);

/* 1 when `it` is a valid itinerary for `q` under the rules above. */
int ct_search_valid(const ct_timetable *tt, const ct_search_query *q, const ct_itinerary *it);

/* 1 when a dominates b (departure, arrival, stops, price). */
int ct_itinerary_dominates(const ct_itinerary *a, const ct_itinerary *b);

/* ---- pricing (pricing.c) ---- */

/* Decimal digits of a currency's minor unit (ISO 4217: base/currency.h; 0 for JPY, 3 for KWD). */
int ct_currency_minor_digits(const char *code);
/* The factor turning minor units of `from` into minor units of `to` with the snapshot's
 * rates (as the answers convert); 1 for the same currency, 0 when either rate is unknown or
 * there is no snapshot. */
double ct_price_minor_factor(const ct_pb_snapshot *s, const char *from, const char *to);
/* Prepares a query's pricing over a pricebook view (NULL view: schedule-only) for `payers`
 * adults needing `seats` seats. CT_INVALID when providers exist but none can be converted to
 * `currency` (no exchange rate). */
ct_status ct_price_ctx_init(ct_price_ctx *c, const ct_pb_view *v, ct_cabin cabin, int seats,
                            int payers, const char *currency);

/* Passenger types, as the providers price them (docs/sandbox.md "Passengers"): an adult pays
 * the itinerary's fare F (the rule above, per passenger), a child (2 to 11) and an infant
 * with a seat of its own the child fare floor(F x 75 / 100), an infant on a lap (under 2, no
 * seat) floor(F x 10 / 100); every passenger, lap infants included, pays the provider's fee. */
#define CT_CHILD_PCT  75
#define CT_INFANT_PCT 10
/* Sets the passengers of an initialised context: seats = adults + children + seat_infants. */
void ct_price_ctx_set_pax(ct_price_ctx *c, int adults, int children, int seat_infants,
                          int lap_infants);
/* Provider p's total for all passengers in its own minor units, fees included, of an adult
 * per-passenger fare `per_adult`. */
int64_t ct_price_native_total(const ct_price_ctx *c, int p, int64_t per_adult);
/* 1 when some provider has availability for this leg and sells its carrier. */
int ct_price_leg_known(const ct_price_ctx *c, const ct_leg *l);
/* The lowest per-passenger amount any provider asks for the leg, converted (a bound:
 * through fares lower it at most to 85 %); INFINITY when none. */
double ct_price_leg_bound(const ct_price_ctx *c, const ct_leg *l);
/* The one-ticket group of a carrier: its alliance id (1..255), or 256 + its index when it
 * belongs to none (it then cooperates only with itself). 0 without a pricebook. */
int ct_price_group(const ct_price_ctx *c, uint16_t carrier);
/* 1 when the carriers of consecutive legs a, b do not cooperate (a self-transfer). */
int ct_price_self_transfer(const ct_price_ctx *c, const ct_leg *a, const ct_leg *b);
/* Provider p's per-passenger price of one slice in its minor units (-1: not sold);
 * *one_ticket (may be NULL) = 1 when the slice is one ticket. */
int64_t ct_price_slice_provider(const ct_price_ctx *c, int p, const ct_leg *const *legs, int n,
                                int *one_ticket);
/* Provider p's total for all passengers, fees included, converted and rounded
 * (ct_price_native_total converted). */
int64_t ct_price_total(const ct_price_ctx *c, int p, int64_t per_adult);
/* The itinerary's price: the lowest total any provider asks (each provider's in
 * per_provider, -1 where it does not sell it; may be NULL); CT_PRICE_UNKNOWN when a leg is
 * schedule-only; -1 when every leg is known yet no provider sells the whole (invalid). */
int64_t ct_price_itinerary(const ct_price_ctx *c, const ct_leg *const *legs, int n,
                           int64_t per_provider[CT_MAX_PROVIDERS]);

#endif
