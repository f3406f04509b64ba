/* prediction.c: the "prediction" member of search answers (buy or wait, predict/predict.h).
 *
 *   "prediction": {"advice": "buy_now" | "wait", "expected_change_minor": 4000,
 *                  "currency": "EUR", "within_days": 7, "confidence": 0.81}
 *
 * or null when no model is loaded, the answer is schedule-only, or the first slice's route
 * has no priced nonstop flight that day (the model knows nonstop routes only). It is about
 * the first slice's route, date and cabin; the expected change is the predicted relative
 * change applied to the answer's cheapest trip (so a round trip's is its total's share).
 *
 * Cheap: predictions are cached per (origins, destinations, date, cabin) in a fixed table
 * of CACHE_SLOTS entries (direct-mapped by a hash: a collision replaces the entry), each
 * valid for CACHE_SECONDS of wall time; a hit costs a lock and a compare, a miss one route
 * snapshot (a few legs) and two small tree ensembles. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "api/prediction.h"
#include "base/alloc.h"
#include "base/timeutil.h"

#define CACHE_SLOTS   4096
#define CACHE_SECONDS 600

typedef struct cached {
    uint16_t orig[8], dest[8];
    int norig, ndest, cabin;
    int64_t day, bucket; /* bucket = now / CACHE_SECONDS + 1 (0: empty) */
    int found;           /* 0: the route had no prediction */
    ct_predict_advice advice;
} cached;

struct ct_api_predictions {
    pthread_mutex_t mu;
    cached slots[CACHE_SLOTS];
};

ct_status ct__api_predictions_new(struct ct_api_predictions **out)
{
    struct ct_api_predictions *p = ct_calloc(1, sizeof(*p));
    if (p == NULL)
        return CT_NOMEM;
    pthread_mutex_init(&p->mu, NULL);
    *out = p;
    return CT_OK;
}

void ct__api_predictions_free(struct ct_api_predictions *p)
{
    if (p == NULL)
        return;
    pthread_mutex_destroy(&p->mu);
    ct_free(p);
}

static int same_key(const cached *e, const ct_search_query *q, int cabin)
{
    return e->norig == q->norigins && e->ndest == q->ndests && e->day == q->date &&
           e->cabin == cabin &&
           memcmp(e->orig, q->origins, sizeof(uint16_t) * (size_t)e->norig) == 0 &&
           memcmp(e->dest, q->dests, sizeof(uint16_t) * (size_t)e->ndest) == 0;
}

static size_t slot_of(const ct_search_query *q, int cabin)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < q->norigins; i++)
        h = (h ^ q->origins[i]) * 1099511628211ull;
    for (int i = 0; i < q->ndests; i++)
        h = (h ^ (uint64_t)(q->dests[i] + 65536)) * 1099511628211ull;
    h = (h ^ (uint64_t)q->date) * 1099511628211ull;
    h = (h ^ (uint64_t)cabin) * 1099511628211ull;
    return (size_t)(h % CACHE_SLOTS);
}

/* The advice for the query's route: from the cache, else computed and cached. 1 when there
 * is one. */
static int advice_for(ct_app *app, const search_ctx *c, const ct_search_query *q,
                      ct_predict_advice *out)
{
    int64_t now = ct_utc_now(), bucket = now / CACHE_SECONDS + 1;
    int norig = q->norigins > 8 ? 8 : q->norigins, ndest = q->ndests > 8 ? 8 : q->ndests;
    ct_search_query key = *q;
    key.norigins = norig;
    key.ndests = ndest;
    struct ct_api_predictions *p = app->predictions;
    cached *e = &p->slots[slot_of(&key, c->cabin)];
    pthread_mutex_lock(&p->mu);
    int hit = e->bucket == bucket && same_key(e, &key, c->cabin), found = hit && e->found;
    if (found)
        *out = e->advice;
    pthread_mutex_unlock(&p->mu);
    if (hit)
        return found;
    ct_predict_advice advice;
    found = ct_predict_route(app->price_model, &c->view, q->origins, norig, q->dests, ndest,
                             q->date, c->cabin, now, &advice, NULL) == CT_OK;
    cached fresh = {.norig = norig,
                    .ndest = ndest,
                    .cabin = c->cabin,
                    .day = q->date,
                    .bucket = bucket,
                    .found = found,
                    .advice = advice};
    memcpy(fresh.orig, q->origins, sizeof(uint16_t) * (size_t)norig);
    memcpy(fresh.dest, q->dests, sizeof(uint16_t) * (size_t)ndest);
    pthread_mutex_lock(&p->mu);
    *e = fresh;
    pthread_mutex_unlock(&p->mu);
    if (found)
        *out = advice;
    return found;
}

void ct__api_prediction_w(ct_jw *w, ct_app *app, const search_ctx *c, const ct_search_query *q,
                          int64_t cheapest)
{
    ct_jw_key(w, "prediction");
    ct_predict_advice a;
    if (app->price_model == NULL || app->predictions == NULL || c->pb == NULL || cheapest < 0 ||
        cheapest == CT_PRICE_UNKNOWN || !advice_for(app, c, q, &a)) {
        ct_jw_null(w);
        return;
    }
    ct_jw_obj(w);
    ct_jw_kstr(w, "advice", a.wait ? "wait" : "buy_now");
    ct_jw_kint(w, "expected_change_minor", ct_predict_change_minor(&a, cheapest));
    ct_jw_kstr(w, "currency", c->currency);
    ct_jw_kint(w, "within_days", CT_PREDICT_WITHIN_DAYS);
    ct_jw_key(w, "confidence");
    ct_jw_real(w, round(a.confidence * 100.0) / 100.0);
    ct_jw_obj_end(w);
}
