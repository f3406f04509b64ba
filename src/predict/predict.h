/* predict.h: buy or wait: a route's price state, a model of its change, and the backtest
 * (the module's whole interface).
 *
 * The question: for a route, a departure date and a cabin, will the cheapest price be higher
 * or lower in CT_PREDICT_WITHIN_DAYS days? The answer is learned from recorded prices.
 *
 * 1. State (snapshot.c). A route's state at an instant is read from the pricebook the
 *    ingestion fills (fares/pricebook.h): over the nonstop dated legs of the route that
 *    day, each leg's cheapest open class of the cabin at the airlines and agencies (the
 *    combiner is left out: it sells self-transfers), converted to US dollars at the
 *    providers' rates. The snapshot keeps the cheapest price, how many flights have a price,
 *    where the cheapest sits on its fare ladder (its amount / the top class's), the next
 *    cheapest flight against it and the share of flights still selling the cabin's cheapest
 *    class. `contrail prices record` writes one snapshot per route, date, cabin and step;
 *    `serve` takes the same snapshot for a search answer, so training and serving see the
 *    same features.
 * 2. Observations (dataset.c). A CSV file, one snapshot a line (ct_predict_obs). Rows of
 *    one series (origin, destination, departure date, cabin) sorted by time; the label of a
 *    row is the relative change of the price CT_PREDICT_WITHIN_DAYS days later (the price
 *    at the first observation at least that much later, or the last one before departure
 *    when departure is nearer).
 * 3. The model (model.c): two gradient-boosted tree ensembles through xgboost's C API on
 *    ct_predict_features: the change in CT_PREDICT_WITHIN_DAYS days (its median) and the
 *    lowest price within them (its mean). Advice: "wait" when the predicted lowest price is
 *    more than the model's wait margin below today's, else "buy_now". `train` fits on the
 *    training part's rows but for a quarter of its routes, and chooses the margin on those
 *    (the one from ct_predict_margins whose simulated buyers save most there); the file
 *    keeps it.
 * 4. The split (dataset.c): by route (the unordered airport pair) and by departure date,
 *    each held back by a hash: a row trains only when neither is held back, and is tested
 *    only when both are; rows with one held back are used for neither, so no test route or
 *    test date is ever seen in training.
 * 5. The backtest (backtest.c): simulated buyers, one arriving at every observation of a
 *    test series within the arrival window, each following a policy until it buys (or
 *    until the last observation): the model ("wait" re-asked at each observation), "always
 *    buy now" and "buy N days before departure". Savings are shares of what a clairvoyant
 *    buyer (who buys at the series' minimum from the arrival on) saves against buying at
 *    arrival. The rise classifier: "rises by more than X % within 7 days" predicted when the
 *    predicted change exceeds X, compared with the label.
 *
 * Threads: a loaded model may be used from any thread (model.c serialises xgboost calls);
 * everything else works on caller-owned data. */
#ifndef CT_PREDICT_PREDICT_H
#define CT_PREDICT_PREDICT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/status.h"
#include "fares/pricebook.h"
#include "timetable/timetable.h"

#define CT_PREDICT_WITHIN_DAYS 7
#define CT_PREDICT_NFEATURES   8
#define CT_PREDICT_WAIT_MARGIN 0.005 /* the default: wait for a predicted fall of over 0.5 % */
#define CT_PREDICT_MAX_FLIGHTS 256   /* nonstop flights of one route and day considered */

/* ---- state ---- */

typedef struct ct_predict_snapshot {
    double price_usd;      /* cheapest open seat of the cabin, one passenger, US dollars */
    int nflights;          /* nonstop dated legs of the route and day with a price */
    double ladder;         /* that price / the top class's amount of the same market and seller */
    double second_ratio;   /* the next-cheapest flight's price / the cheapest; 0 with one */
    double cheapest_share; /* share of the flights whose lowest open class is the cabin's
                              cheapest */
} ct_predict_snapshot;

/* The snapshot of the nonstop legs from any of `orig` to any of `dest` (airport indices)
 * departing on local date `day` (days since 1970) in `cabin`, from view `v`. CT_OK, or
 * CT_NOT_FOUND when no such leg has a price (sold out, unpriced or no nonstop flight). */
ct_status ct_predict_snapshot_route(const ct_pb_view *v, const uint16_t *orig, int norig,
                                    const uint16_t *dest, int ndest, int64_t day, int cabin,
                                    ct_predict_snapshot *out);

/* Calls fn once per route (origin and destination airport index), local departure date in
 * [day0, day1] and cabin with a price in view `v`. CT_NOMEM when out of memory. */
typedef void (*ct_predict_snapshot_fn)(void *ctx, uint16_t from, uint16_t to, int64_t day,
                                       int cabin, const ct_predict_snapshot *s);
ct_status ct_predict_snapshot_all(const ct_pb_view *v, int64_t day0, int64_t day1,
                                  ct_predict_snapshot_fn fn, void *ctx);

/* ---- observations ---- */

typedef struct ct_predict_obs {
    char origin[4], destination[4]; /* IATA airport codes */
    int64_t day;                    /* local departure date, days since 1970 */
    int cabin;                      /* CT_CABIN_* */
    int64_t at;                     /* world instant of the observation, Unix seconds */
    double days_before;             /* (the departure date's 00:00 UTC - at) / 86400 */
    ct_predict_snapshot s;
} ct_predict_obs;

typedef struct ct_predict_set {
    ct_predict_obs *a; /* owned (ct_predict_set_free) */
    size_t n, cap;
} ct_predict_set;

/* Writes the CSV header line / one observation line. CT_IO on a write error. */
ct_status ct_predict_obs_write_header(FILE *f);
ct_status ct_predict_obs_write(FILE *f, const ct_predict_obs *o);

/* Appends one observation (copied). CT_NOMEM. */
ct_status ct_predict_set_add(ct_predict_set *s, const ct_predict_obs *o);

/* Reads a CSV file written as above into *out (zeroed first) and sorts it by series and
 * time (ct_predict_set_sort). CT_IO when it cannot be read, CT_INVALID (err names the line)
 * on a malformed line, CT_NOMEM. */
ct_status ct_predict_set_read(const char *path, ct_predict_set *out, char *err, size_t errlen);
void ct_predict_set_sort(ct_predict_set *s);
void ct_predict_set_free(ct_predict_set *s);

/* The index just past the series that row i (of a sorted set) belongs to. */
size_t ct_predict_series_end(const ct_predict_set *s, size_t i);

/* The labels of row i in the series [i, end) of a sorted set: *change, the relative change
 * of the price CT_PREDICT_WITHIN_DAYS days later, and *low, the relative change to the
 * lowest price observed after i within those days (see the top). 1 with both set, or 0 when
 * the recording does not tell (it ended too early, or the series stops before departure). */
int ct_predict_label(const ct_predict_set *s, size_t i, size_t end, double *change, double *low);

/* The model's inputs for an observation. */
void ct_predict_features(const ct_predict_obs *o, float out[CT_PREDICT_NFEATURES]);

typedef enum ct_predict_part {
    CT_PREDICT_TRAIN = 0, /* neither the route nor the date is held back */
    CT_PREDICT_TEST = 1,  /* both are */
    CT_PREDICT_UNUSED = 2 /* one of them is */
} ct_predict_part;

/* Whether the route (origin, destination, in either direction) is held back: a hash of the
 * pair below held_pct of 100. */
int ct_predict_route_held(const char *origin, const char *destination, int held_pct);
/* Whether departure date `day` is held back (a hash of the date below held_pct). */
int ct_predict_day_held(int64_t day, int held_pct);
/* The part a row falls in, from the two above. */
ct_predict_part ct_predict_split(const ct_predict_obs *o, int held_pct);

/* Whether a training row's route is kept for validation (a second hash of the route pair,
 * below CT_PREDICT_VALIDATION_PCT): `train` fits on the others and chooses the wait margin
 * on these, so the margin is measured on routes the boosters did not see either. */
#define CT_PREDICT_VALIDATION_PCT 25
int ct_predict_validation_route(const ct_predict_obs *o);

/* ---- the model ---- */

typedef struct ct_predict_model ct_predict_model;

typedef struct ct_predict_train_params {
    int rounds;    /* boosting rounds (default 200) */
    int max_depth; /* default 6 */
    double eta;    /* learning rate (default 0.1) */
    int threads;   /* default 1 */
    int seed;      /* default 1 */
} ct_predict_train_params;

/* Trains the two boosters on n rows of CT_PREDICT_NFEATURES features x (row-major): the
 * change in CT_PREDICT_WITHIN_DAYS days (median regression, reg:absoluteerror, so that
 * "above X" is the likelier side) on y_change, and the lowest price within those days
 * (squared error) on y_low. The caller owns *out (ct_predict_model_free). CT_INVALID when
 * n is 0, CT_ERR when xgboost fails (err gets its message). */
ct_status ct_predict_train(const float *x, const float *y_change, const float *y_low, size_t n,
                           const ct_predict_train_params *p, ct_predict_model **out, char *err,
                           size_t errlen);

/* Writes the model to `path` (its folder is created) / reads one: a JSON document
 * {"format":"contrail-price-model","version":1,"features":8,"within_days":7,
 * "change_rmse":..,"low_rmse":..,"change":"<base64 UBJSON booster>","low":"<...>"}.
 * CT_IO or CT_INVALID (err says why); CT_NOT_FOUND when the file does not exist. */
ct_status ct_predict_model_save(ct_predict_model *m, const char *path, char *err, size_t errlen);
ct_status ct_predict_model_load(const char *path, ct_predict_model **out, char *err, size_t errlen);
void ct_predict_model_free(ct_predict_model *m);

/* Predicted relative change in CT_PREDICT_WITHIN_DAYS days and to the lowest price within
 * them, for n rows of features (either output may be NULL). CT_ERR when xgboost fails. */
ct_status ct_predict_run(ct_predict_model *m, const float *x, size_t n, float *change, float *low);

/* The RMSE of the low booster's training residuals (the spread behind the confidence). */
double ct_predict_model_rmse(const ct_predict_model *m);

/* The wait margin (a fraction), and setting it (before saving). */
double ct_predict_model_margin(const ct_predict_model *m);
void ct_predict_model_set_margin(ct_predict_model *m, double margin);

/* The margins `train` tries, ended by a negative one. */
extern const double ct_predict_margins[];

typedef struct ct_predict_advice {
    int wait;          /* 1: "wait" (a fall of more than the margin is expected within the
                          days), 0: "buy_now" */
    double change;     /* the expected relative change: to the lowest price within the days
                          when waiting, of the price in CT_PREDICT_WITHIN_DAYS days otherwise */
    double confidence; /* probability, under a normal error of the low booster's RMSE, that
                          the lowest price is on the predicted side: [0.5, 0.99] */
} ct_predict_advice;

/* The advice for predicted `change` and `low` with the model's margin and RMSE. */
void ct_predict_advise(const ct_predict_model *m, double change, double low,
                       ct_predict_advice *out);

/* The advice for a route now: the snapshot of the route's nonstop legs on local date `day`
 * in `cabin` from view `v` (ct_predict_snapshot_route), its features at instant `now`
 * (Unix seconds), both predictions and ct_predict_advise. CT_OK with *out set (and *snap
 * when not NULL); CT_NOT_FOUND when the route has no priced nonstop leg that day or the
 * date is past; CT_ERR when xgboost fails. Thread-safe. An alert or an answer in currency C
 * shows the expected change as out->change x its own price in C. */
ct_status ct_predict_route(ct_predict_model *m, const ct_pb_view *v, const uint16_t *orig,
                           int norig, const uint16_t *dest, int ndest, int64_t day, int cabin,
                           int64_t now, ct_predict_advice *out, ct_predict_snapshot *snap);

/* ct_predict_route for places by code (an IATA airport or metro-area code, as searches and
 * price alerts name them) over the pricebook `pb` (a view is taken and released inside): for
 * the alerts' "prediction" member. CT_NOT_FOUND as above, or when a code is unknown to the
 * pricebook's timetable. Thread-safe. */
ct_status ct_predict_route_codes(ct_predict_model *m, ct_pricebook *pb, const char *origin,
                                 const char *destination, int64_t day, int cabin, int64_t now,
                                 ct_predict_advice *out);

/* The advice's expected change in minor units of a price `price_minor` (the alert's or the
 * answer's cheapest): llround(out->change x price_minor). */
int64_t ct_predict_change_minor(const ct_predict_advice *a, int64_t price_minor);

/* ---- the backtest ---- */

#define CT_PREDICT_MAX_POLICIES 8

typedef struct ct_predict_policy_result {
    char name[40];
    double paid;  /* sum of the prices the buyers paid */
    double first; /* sum of the prices at their arrivals */
    double best;  /* sum of the clairvoyant prices (the minimum from arrival on) */
    long buyers;
} ct_predict_policy_result;

typedef struct ct_predict_backtest {
    double arrive_min, arrive_max;         /* buyers arrive this many days before departure */
    int buy_days[CT_PREDICT_MAX_POLICIES]; /* "buy N days before" baselines */
    int nbuy_days;
    int npolicies; /* 2 + nbuy_days, set by ct_predict_backtest_init */
    ct_predict_policy_result r[CT_PREDICT_MAX_POLICIES]; /* model, buy now, buy N ... */
    double rise_threshold;                               /* X as a fraction (0.05 for 5 %) */
    double wait_margin; /* the model waits while its predicted low is below -margin */
    long rise_n, rise_correct, rise_actual, rise_predicted;
} ct_predict_backtest;

/* Sets the policies' names and zeroes the sums; arrive/buy_days/rise_threshold set first. */
void ct_predict_backtest_init(ct_predict_backtest *bt);

/* Adds the buyers of one series: prices and days before departure of its n observations in
 * time order, and the predicted lowest price within the days at each, as a relative change
 * (the model's "wait" when below -bt->wait_margin). */
void ct_predict_backtest_series(ct_predict_backtest *bt, const double *price,
                                const double *days_before, const float *pred, size_t n);

/* Adds one labelled row to the rise classifier's counts. */
void ct_predict_backtest_rise(ct_predict_backtest *bt, double pred, double label);

/* A policy's savings as a share of the clairvoyant's (0 when the clairvoyant saves
 * nothing). */
double ct_predict_savings_share(const ct_predict_policy_result *r);

/* Prints the table (markdown) of a backtest. */
void ct_predict_backtest_print(const ct_predict_backtest *bt, FILE *out);

#endif
