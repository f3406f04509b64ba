/* fares.h: the sandbox's filed fares, exchange rates and the through-fare rule.
 *
 * Booking classes (world.h SB_NCLASSES): index 0..5 economy Y B M H Q V, 6..7 business J C,
 * 8..9 premium economy W E, 10..11 first F A (the order keeps the indices of the first
 * eight, which stored bookings and feeds carry), each a fixed share of the market's Y fare
 * (the class ladder, cheapest last in each cabin):
 *
 *     class     Y    B    M    H    Q    V  |  J    C  |  W    E  |  F    A
 *     % of Y  100   80   62   48   36   26  | 320  230 | 165  130 | 520  420
 *     refund  free free  70%  70%  70%  70% | free 70% | free 70% | free 70%
 *                                                        (share of the fare refunded)
 *
 * Every carrier files every class; a cabin sells only on aircraft that have it (seats in
 * sb_aircraft; inventory.h), so a first fare on a market flown by narrow-bodies never sells.
 *
 * A carrier files one-way fares for every market it flies nonstop (the origin-destination of
 * any of its legs). The Y fare is priced in US dollars by distance, then scaled by
 * competition (how many carriers fly the airport pair nonstop: 1 -> x1.20, 2 -> x1.05,
 * 3 -> x0.95, 4 or more -> x0.88) and by a carrier-and-market factor in [0.92, 1.08) drawn
 * from the seed, converted to the carrier's currency (sb_carrier.currency) at the base rate
 * and rounded to whole units. Fares are static: they do not move with time; prices move
 * because classes open and close (inventory.h) and, for sellers in another currency,
 * because exchange rates move.
 *
 *     Y (USD) = 70 + 0.28 x km^0.93
 *
 * The itinerary rule (sb_fare_itinerary), the one thing a search engine needs to bound a
 * price from its legs: every leg of an itinerary is sold in some class at a per-passenger
 * leg amount a_i (the seller's amount for that leg's market and class). Within a slice,
 * consecutive legs whose carriers cooperate (same carrier, or both in one alliance) form
 * one ticket; a ticket of k >= 2 legs costs floor(sum(a_i) x 85 / 100) (the through fare),
 * a ticket of one leg costs a_1. A slice costs the sum of its tickets. A trip of two slices
 * (a return) whose every leg cooperates with every other, sold by one seller on one ticket,
 * costs floor((slice1 + slice2) x 90 / 100); otherwise the sum of the slices. So the rule
 * only ever lowers the sum of the legs, by known factors: for any itinerary of n legs,
 *
 *     0.85 x 0.90 x sum(a_i) - (n + 1)  <  price  <=  sum(a_i)      (minor units)
 *
 * and the exact price follows from the legs' amounts and carriers alone. The filed return
 * fare of a market (sb_fare_return) is that rule applied to out and back in one class.
 *
 * Exchange rates: units of a currency per US dollar. Each currency has a base rate; the rate
 * of a day is the base rate times exp(drift), the drift a smooth deterministic function of
 * the seed, the currency and the day (two slow waves of 2.5% and 1.2% plus a daily wiggle
 * of at most 0.2%), so rates move a little every day and the same day always has the same
 * rate. AED, QAR, SAR, BHD, OMR and JOD are pegged to the dollar and USD is 1. Amounts in
 * KWD, BHD, OMR, JOD and TND have three decimals (fils, baisa, millimes), as ISO 4217 says. */
#ifndef CT_SANDBOX_FARES_H
#define CT_SANDBOX_FARES_H

#include <stdint.h>

#include "base/status.h"
#include "sandbox/world/world.h"

/* Cabins, numbered as stored (economy and business first, as before premium economy and
 * first were added). */
#define SB_CABIN_ECONOMY  0
#define SB_CABIN_BUSINESS 1
#define SB_CABIN_PREMIUM  2 /* premium economy */
#define SB_CABIN_FIRST    3
#define SB_NCABINS        4

#define SB_THROUGH_PCT 85 /* a ticket of 2+ cooperating legs: floor(sum x 85/100) */
#define SB_RETURN_PCT  90 /* a return on one ticket: floor((out + back) x 90/100) */

#define SB_FARE_MAX_SLICE_LEGS 8 /* legs of one slice sb_fare_itinerary looks at */

typedef struct sb_class_info {
    char letter;    /* 'Y', 'B', ... */
    int cabin;      /* SB_CABIN_* */
    int pct_of_y;   /* share of the market's Y fare, percent */
    int refund_pct; /* share of the fare refunded after ticketing, percent */
} sb_class_info;

/* The class ladder entry of class index `cls` (0..SB_NCLASSES-1). */
const sb_class_info *sb_class(int cls);

/* Class index of a letter ('Y' -> 0 ... 'C' -> 7), or -1 when it is no class (not an error). */
int sb_class_parse(char letter);

/* The classes of a cabin, most expensive first: *first .. *first + *count - 1. */
void sb_cabin_classes(int cabin, int *first, int *count);

/* "economy", "business", "premium_economy", "first" (the API's words); and back: the cabin
 * of a name, or -1 when it is none (not an error). */
const char *sb_cabin_name(int cabin);
int sb_cabin_parse(const char *name);

/* ---- currencies and exchange rates ---- */

/* Number of decimal places of a currency's minor unit (ISO 4217, base/currency.h: 0 for JPY
 * and KRW, 3 for KWD, BHD, OMR, JOD and TND, else 2), or -1 when the sandbox has no rate for
 * it. */
int sb_currency_exponent(const char *code);

/* Base rate (units per US dollar) of a currency, or 0 when unknown. */
double sb_fx_base_rate(const char *code);

/* The rate of `code` on `day` (days since 1970) for world seed `seed`; 0 when unknown. */
double sb_fx_rate(uint64_t seed, const char *code, int64_t day);

/* The currencies the sandbox knows: code of index i in 0..sb_fx_count()-1. */
int sb_fx_count(void);
const char *sb_fx_code(int i);

/* Converts `minor` units of `from` at `rate_from` into `to` at `rate_to` (both units per
 * USD), rounded half away from zero to the minor unit of `to`. Unknown currencies give -1,
 * which callers carry on as "no amount" (a value, like the -1 of an unsold class). */
int64_t sb_fx_convert(int64_t minor, const char *from, double rate_from, const char *to,
                      double rate_to);

/* Formats minor units as a decimal string with the currency's exponent ("412.50", "61500").
 * Returns buf. */
char *sb_money_format(int64_t minor, const char *currency, char *buf, int len);

/* ---- filed fares ---- */

typedef struct sb_market {
    int carrier;
    int origin, dest; /* airport indices; a carrier files both directions as two markets */
    int competitors;  /* carriers flying the airport pair nonstop, this one included */
    double km;
} sb_market;

typedef struct sb_fares sb_fares;

/* Finds every carrier's markets in `w` (borrowed: must outlive the result). CT_NOMEM on
 * allocation failure. The caller owns *out (sb_fares_free). Read-only afterwards: threads
 * may share it. */
ct_status sb_fares_build(const sb_world *w, sb_fares **out);
void sb_fares_free(sb_fares *f);

/* The markets of carrier `c`, sorted by origin then destination index (*n of them; NULL
 * when none). Owned by `f`. */
const sb_market *sb_fares_markets(const sb_fares *f, int c, int *n);

/* Carrier c's market origin -> dest, or NULL when c does not fly it nonstop. */
const sb_market *sb_fares_find(const sb_fares *f, int c, int origin, int dest);

/* One-way fares of market m in every class, minor units of the carrier's currency. Each
 * class is strictly cheaper than the one above it in its cabin. */
void sb_market_fares(const sb_fares *f, const sb_market *m, int64_t out[SB_NCLASSES]);

/* The filed return fare for a one-way amount: floor(2 x oneway x 90/100). */
int64_t sb_fare_return(int64_t oneway);

/* ---- the itinerary rule ---- */

/* 1 when carriers a and b sell connections together: the same carrier, or both in one
 * alliance. */
int sb_carriers_cooperate(const sb_world *w, int a, int b);

/* One ticket of n cooperating legs: a[0] when n == 1, else floor(sum x 85/100). */
int64_t sb_fare_through(const int64_t *amounts, int n);

typedef struct sb_fare_leg {
    int carrier;    /* operating (= marketing) carrier index */
    int64_t amount; /* per-passenger amount of the leg in its class, seller's currency */
} sb_fare_leg;

/* The per-passenger price of an itinerary under the rule in the file comment. `legs` holds
 * the legs of every slice in order; slice_len[s] legs belong to slice s (nslices 1 or 2, at
 * most SB_FARE_MAX_SLICE_LEGS legs each).
 * `one_ticket` is 1 for a seller that issues one ticket for the whole trip (airlines, travel
 * agencies: the return factor applies when every leg cooperates) and 0 for a seller of
 * separate tickets (the self-transfer combiner: no return factor). */
int64_t sb_fare_itinerary(const sb_world *w, const sb_fare_leg *legs, const int *slice_len,
                          int nslices, int one_ticket);

/* The share of a fare refunded for a booking in these classes: the least refundable
 * class's refund_pct (100 when every class is flexible). */
int sb_fare_refund_pct(const int *classes, int n);

#endif
