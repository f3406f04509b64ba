/* history.h: route price history and the low / typical / high insight (issue 16).
 *
 * What is kept: the cheapest price of a route (the origin and destination codes as searched,
 * airports or metro areas, connections included) for a departure date and cabin, for one
 * adult, in the currency the answer was computed in, as observed over time (table
 * route_price, migration 0014). Searches and calendars note what they computed
 * (ct_history_note: in memory, no database on the search path); serve's history thread
 * writes the notes every few seconds (ct_history_flush: one transaction of upserts into
 * hourly buckets keeping the minimum), compacts hourly (ct_history_compact: hourly rows older
 * than `downsample_after_days` become one row per day, rows past `retention_days` are
 * deleted, and the ingest's leg observations (price_observation) are thinned to one row per
 * leg, provider, cabin and day and retained alike), and rebuilds the distributions
 * (ct_history_refresh).
 *
 * Insight: for a route and cabin, the observations of the last `window_days` are sorted
 * into buckets of days before departure (0-6, 7-13, 14-27, 28-59, 60+; the observation's
 * day to the departure day), each bucket's 25th and 75th percentiles (nearest rank: the
 * value at rank ceil(p * n / 100) of the sorted sample) are the typical band, kept in US
 * cents (all currencies converted with the rates the caller's function gives) in an
 * immutable table swapped in whole, so a search reads it under a read lock with one hash
 * lookup. A price below the band is low, above it high, on or inside its edges typical.
 * With fewer than `min_sample` observations in the bucket the route's observations of every
 * bucket are used (basis "any"); with fewer than that too there is no level, and the reason
 * says so (never a made-up band).
 *
 * Thread-safety: every function may be called from any thread; the flush, compaction and
 * refresh are meant for one background thread (each takes the caller's connection). */
#ifndef CT_HISTORY_HISTORY_H
#define CT_HISTORY_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "store/store.h"

#define CT_HISTORY_BUCKETS 5 /* days before departure: 0-6, 7-13, 14-27, 28-59, 60+ */

typedef struct ct_history_options {
    int downsample_after_days; /* hourly buckets older than this become days (default 30) */
    int retention_days;        /* rows older than this are deleted (default 730), -1 = kept */
    int window_days;           /* observations behind the distributions (default 365) */
    int min_sample;            /* fewer observations: no band from them (default 8) */
    size_t max_pending;        /* notes kept between flushes; more are dropped (65536) */
    int64_t (*now)(void);      /* Unix seconds; NULL = the system clock (tests: a world's) */
} ct_history_options;

typedef struct ct_history ct_history;

/* Factor turning an amount in minor units of `from` into minor units of `to` (both ISO
 * 4217), e.g. from the pricebook's rates; <= 0 when unknown (the amount is then left out). */
typedef double (*ct_history_rate_fn)(void *ctx, const char *from, const char *to);

/* A history with the options (NULL or zero fields: the defaults). Caller frees it. */
ct_status ct_history_new(const ct_history_options *opt, ct_history **out);
void ct_history_free(ct_history *h);
/* The history's clock, Unix seconds. */
int64_t ct_history_now(const ct_history *h);
/* The options in force (defaults filled in). */
const ct_history_options *ct_history_options_of(const ct_history *h);

/* Notes the cheapest price computed now for one adult on a route (3-letter codes, any case),
 * departure day (days since 1970), cabin ("economy", "business", "premium_economy" or "first") and
 * currency. Cheap: a copy into memory under a mutex. Bad arguments and notes past max_pending are
 * dropped (counted in ct_history_dropped). */
void ct_history_note(ct_history *h, const char *origin, const char *destination,
                     int64_t departure_day, const char *cabin, const char *currency,
                     int64_t price_minor);
/* The same for a price serve's re-pricing job computed: noted, but not a search of the route
 * (it does not keep the route among the searched ones). */
void ct_history_note_repriced(ct_history *h, const char *origin, const char *destination,
                              int64_t departure_day, const char *cabin, const char *currency,
                              int64_t price_minor);
size_t ct_history_pending(ct_history *h);

/* Routes searched lately (ct_history_note): the last CT_HISTORY_SEARCHED_MAX distinct
 * (route, departure day, cabin, currency), each with when it was last searched. */
#define CT_HISTORY_SEARCHED_MAX 4096
typedef struct ct_history_searched {
    char origin[4], destination[4], currency[4];
    char cabin[16]; /* "economy", "business", "premium_economy" or "first" */
    int64_t departure_day, searched_at;
} ct_history_searched;
/* Copies those searched at or after `since` whose departure is today or later into out
 * (at most max, most recent first). Returns how many. */
size_t ct_history_searched_since(ct_history *h, int64_t since, ct_history_searched *out,
                                 size_t max);
uint64_t ct_history_dropped(ct_history *h);

/* Writes the pending notes into route_price (one transaction; notes of one bucket collapse
 * to their minimum first). OUT: *written the rows upserted (may be NULL). On failure the
 * notes are put back for the next flush (as many as fit). */
ct_status ct_history_flush(ct_history *h, ct_store *st, size_t *written);

typedef struct ct_history_compaction {
    int64_t hours_downsampled; /* hourly rows folded into daily ones */
    int64_t routes_expired;    /* route_price rows past retention */
    int64_t legs_thinned;      /* price_observation rows folded into their day's lowest */
    int64_t legs_expired;      /* price_observation rows past retention */
} ct_history_compaction;

/* Downsampling and retention of both tables: route_price's and the expiry in one
 * transaction, then price_observation thinned one day per transaction (at most 31 days a
 * call: a backlog catches up over calls). OUT: *out (may be NULL). */
ct_status ct_history_compact(ct_history *h, ct_store *st, ct_history_compaction *out);

/* Rebuilds the distributions from route_price (observations of the last window_days),
 * converting to US cents with `rate`, and swaps them in. OUT: *routes (may be NULL). */
ct_status ct_history_refresh(ct_history *h, ct_store *st, ct_history_rate_fn rate, void *ctx,
                             size_t *routes);

/* Increases with every refresh that swapped distributions in: answers that carry an insight
 * (and are cached) are stamped with it. */
uint64_t ct_history_generation(ct_history *h);

typedef enum ct_insight_level {
    CT_INSIGHT_NONE = 0, /* not enough observations: see reason */
    CT_INSIGHT_LOW,
    CT_INSIGHT_TYPICAL,
    CT_INSIGHT_HIGH,
} ct_insight_level;

typedef struct ct_insight {
    ct_insight_level level;
    int64_t typical_low, typical_high; /* the band in the asked currency's minor units */
    int sample;                        /* observations behind the band (or found, for NONE) */
    int days_before;                   /* of the asked departure, from the history's today */
    int bucket;                        /* 0..4 the bucket used, -1 every bucket ("any") */
    int bucket_lo, bucket_hi;          /* its days before departure; bucket_hi -1 = open */
    const char *reason;                /* static text when level is NONE, else NULL */
} ct_insight;

/* "0-6" .. "60+" of bucket b. */
const char *ct_history_bucket_name(int b);
/* "low", "typical", "high", or NULL for NONE. */
const char *ct_insight_level_name(ct_insight_level l);

/* The insight for `price_minor` (for one adult, in `currency`) on a route and cabin,
 * departing on `departure_day`; `rate` converts the band from US cents. Never fails: no
 * data, no rate or a departure in the past give level NONE with a reason. */
void ct_history_insight(ct_history *h, const char *origin, const char *destination,
                        const char *cabin, int64_t departure_day, int64_t price_minor,
                        const char *currency, ct_history_rate_fn rate, void *ctx, ct_insight *out);

/* ---- reading the history (the price-history endpoint) ---- */

typedef struct ct_history_point {
    int64_t observed_at; /* the bucket's start, Unix seconds */
    int span;            /* 3600 or 86400 */
    int64_t price_minor; /* the bucket's lowest, converted to the asked currency */
} ct_history_point;

typedef struct ct_history_day {
    int64_t departure_day;
    int64_t price_minor;  /* the latest bucket's price */
    int64_t observed_at;  /* that bucket's start */
    int64_t lowest_minor; /* the lowest ever observed for that date */
} ct_history_day;

/* The route's observations for one departure day and cabin, oldest first, every row
 * converted to `currency` (rows without a rate left out; buckets of several currencies
 * keep their minimum). OUT: *out (caller frees with ct_free) and *n. */
ct_status ct_history_series(ct_store *st, const char *origin, const char *destination,
                            int64_t departure_day, const char *cabin, const char *currency,
                            ct_history_rate_fn rate, void *ctx, ct_history_point **out, size_t *n);

/* The route's price by departure day over [from_day, to_day] (days without observations
 * left out), converted likewise. OUT: *out (caller frees with ct_free) and *n. */
ct_status ct_history_by_day(ct_store *st, const char *origin, const char *destination,
                            const char *cabin, int64_t from_day, int64_t to_day,
                            const char *currency, ct_history_rate_fn rate, void *ctx,
                            ct_history_day **out, size_t *n);

#endif
