/* test_search_prediction.c: the buy-or-wait member of search answers over real HTTP.
 *
 * The small world's timetable with the synthetic pricebook (tests/support/pricefill.h) and a
 * model trained in the test on a hand-made rule (the price rises 20 % from 21 days before
 * departure). A one-way search on a nonstop route carries "prediction" with the advice,
 * currency, 7 days and a confidence, and an expected change equal to the model's own
 * prediction for that route (ct_predict_route on the same pricebook) applied to the answer's
 * cheapest price; the same advice comes by airport codes (ct_predict_route_codes, for price
 * alerts); without a model the member is null. */
#include "ct_test.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "base/timeutil.h"
#include "httpclient.h"
#include "predict/predict.h"
#include "pricefill.h"
#include "smallworld.h"
#include "testsupport.h"

static ts_small_world sw;
static ct_timetable *tt;
static ct_pricebook *pb;
static ct_predict_model *model;
static ct_app app;
static ct_router *router;
static ct_http_server *server;
static int port;

/* A model of "+20 % from 21 days out" over rows 1..60 days before departure. */
static ct_predict_model *train_rule_model(void)
{
    enum { N = 6000 };
    float *x = ct_malloc(N * CT_PREDICT_NFEATURES * sizeof(float));
    float *yc = ct_malloc(N * sizeof(float)), *yl = ct_malloc(N * sizeof(float));
    assert_non_null(x);
    assert_non_null(yc);
    assert_non_null(yl);
    for (int i = 0; i < N; i++) {
        ct_predict_obs o;
        memset(&o, 0, sizeof(o));
        o.day = 20600 + i % 50;
        o.days_before = 1 + (i / 50) % 60;
        o.cabin = i % 2;
        o.s.price_usd = 50 + (double)(i % 13) * 40;
        o.s.nflights = 1 + i % 4;
        o.s.ladder = 0.3 + 0.05 * (i % 10);
        ct_predict_features(&o, x + (size_t)i * CT_PREDICT_NFEATURES);
        yc[i] = o.days_before >= 21 && o.days_before < 28 ? 0.2f : 0.0f;
        yl[i] = 0.0f;
    }
    ct_predict_train_params p = {.rounds = 30, .max_depth = 4};
    ct_predict_model *m = NULL;
    char err[256];
    assert_int_equal(ct_predict_train(x, yc, yl, N, &p, &m, err, sizeof(err)), CT_OK);
    ct_free(x);
    ct_free(yc);
    ct_free(yl);
    return m;
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_small_world_open(&sw, 5);
    tt = ts_small_world_timetable(&sw, 365);
    pb = ts_fill_pricebook(tt);
    model = train_rule_model();
    app.refdata = sw.data.refdata;
    atomic_store(&app.timetable, tt);
    atomic_store(&app.pricebook, pb);
    app.price_model = model;
    router = ct_router_create();
    if (ct_api_register(&app, router) != CT_OK)
        fail_msg("register");
    ct_http_options opt = {.port = 0, .threads = 2};
    if (ct_http_server_start(&opt, router, &server) != CT_OK)
        fail_msg("start");
    port = ct_http_server_port(server);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_http_server_stop(server);
    ct_router_destroy(router);
    ct_api_free(&app);
    ct_predict_model_free(model);
    ct_pricebook_free(pb);
    ct_timetable_free(tt);
    ts_small_world_close(&sw);
    curl_global_cleanup();
    return 0;
}

static json_t *search(const ct_leg *l, const char *currency)
{
    char body[512], date[16];
    ct_date_format(l->local_date, date, sizeof(date));
    snprintf(body, sizeof(body),
             "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"
             "\"currency\":\"%s\",\"filters\":{\"stops\":[0]}}",
             ct_refdata_airport_at(tt->rd, l->from)->iata,
             ct_refdata_airport_at(tt->rd, l->to)->iata, date, currency);
    ts_response r = ts_http("POST", port, "/api/v1/searches", body, NULL);
    if (r.status != 200)
        fail_msg("status %ld: %s", r.status, r.body);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    return j;
}

/* The first leg departing `ahead` days from today (local date) that the model can price. */
static const ct_leg *leg_ahead(int ahead, ct_predict_advice *advice)
{
    int64_t now = ct_utc_now(), day = now / 86400 + ahead;
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    const ct_leg *found = NULL;
    for (size_t i = 0; i < tt->nlegs && found == NULL; i++) {
        const ct_leg *l = &tt->legs[i];
        if (l->local_date == day && ct_predict_route(model, &v, &l->from, 1, &l->to, 1, day,
                                                     CT_CABIN_ECONOMY, now, advice, NULL) == CT_OK)
            found = l;
    }
    ct_pricebook_release(pb, &v);
    if (found == NULL)
        fail_msg("no priced leg %d days ahead", ahead);
    return found;
}

static void answers_carry_the_prediction(void **state)
{
    (void)state;
    if (ct_utc_now() / 86400 + 40 > tt->to_day)
        skip(); /* the small world's schedules end within 40 days of today */
    ct_predict_advice want;
    const ct_leg *l = leg_ahead(23, &want); /* inside the rise: buy now, about +20 % */
    json_t *j = search(l, "EUR");
    json_t *pred = json_object_get(j, "prediction");
    assert_true(json_is_object(pred));
    assert_string_equal(json_string_value(json_object_get(pred, "advice")), "buy_now");
    assert_string_equal(json_string_value(json_object_get(pred, "currency")), "EUR");
    assert_int_equal(json_integer_value(json_object_get(pred, "within_days")), 7);
    double conf = json_number_value(json_object_get(pred, "confidence"));
    assert_true(conf >= 0.5 && conf <= 0.99);
    json_int_t cheapest = json_integer_value(json_object_get(
        json_object_get(json_object_get(json_object_get(j, "facets"), "price_range"), "min"),
        "amount_minor"));
    assert_true(cheapest > 0);
    json_int_t change = json_integer_value(json_object_get(pred, "expected_change_minor"));
    assert_int_equal(change, (json_int_t)llround(want.change * (double)cheapest));
    assert_true(want.change > 0.1 && change > 0);
    json_decref(j);

    /* 50 days out: nothing changes within a week. */
    l = leg_ahead(50, &want);
    j = search(l, "USD");
    pred = json_object_get(j, "prediction");
    assert_true(json_is_object(pred));
    assert_true(fabs(want.change) < 0.05);
    json_decref(j);

    /* The same advice by codes, as price alerts ask for it. */
    ct_predict_advice by_code;
    const char *from = ct_refdata_airport_at(tt->rd, l->from)->iata;
    const char *to = ct_refdata_airport_at(tt->rd, l->to)->iata;
    assert_int_equal(ct_predict_route_codes(model, pb, from, to, l->local_date, CT_CABIN_ECONOMY,
                                            ct_utc_now(), &by_code),
                     CT_OK);
    assert_int_equal(by_code.wait, want.wait);
    assert_true(fabs(by_code.change - want.change) < 1e-6);
    assert_int_equal(ct_predict_change_minor(&by_code, 10000),
                     (int64_t)llround(by_code.change * 10000.0));
    assert_int_equal(ct_predict_route_codes(model, pb, "ZZZ", to, l->local_date, CT_CABIN_ECONOMY,
                                            ct_utc_now(), &by_code),
                     CT_NOT_FOUND);

    /* What a cache miss costs (printed, not asserted): the route snapshot and both
     * ensembles. */
    struct timespec t0, t1;
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 1000; i++)
        ct_predict_route(model, &v, &l->from, 1, &l->to, 1, l->local_date, CT_CABIN_ECONOMY,
                         ct_utc_now(), &by_code, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ct_pricebook_release(pb, &v);
    printf("prediction (cache miss): %.1f us each\n",
           ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1000 /
               1e3);

    /* Without a model: null. */
    app.price_model = NULL;
    j = search(l, "USD");
    assert_true(json_is_null(json_object_get(j, "prediction")));
    json_decref(j);
    app.price_model = model;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_carry_the_prediction),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
