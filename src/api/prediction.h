/* prediction.h: the buy-or-wait member of search answers, shared by the api/ files only
 * (prediction.c says what it holds and how it is cached). */
#ifndef CT_API_PREDICTION_H
#define CT_API_PREDICTION_H

#include "api/search_common.h"
#include "predict/predict.h"

/* Writes "prediction": {...} or null for the route, date and cabin of query q (the first
 * slice's) with the answer's cheapest trip `cheapest` (minor units of c->currency; negative
 * or CT_PRICE_UNKNOWN when none is priced). Thread-safe. */
void ct__api_prediction_w(ct_jw *w, ct_app *app, const search_ctx *c, const ct_search_query *q,
                          int64_t cheapest);

#endif
