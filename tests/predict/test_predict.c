/* test_predict.c: buy or wait (predict/predict.h) without the world.
 *
 * - The backtest's sums on a hand-made series whose clairvoyant, buy-now, buy-N-days and
 *   model answers are worked out by hand below, and the rise classifier's counts.
 * - Labels on a hand-made series: the change in 7 days and the lowest price within them.
 * - The split: over many routes and dates, no route (either direction) and no departure
 *   date of the test part is in the training part, and both parts are used.
 * - Training on a small recorded set (a CSV file written and read back through the module)
 *   whose rule is known: the price falls by 10 % while 30..33 days before departure and
 *   rises by 15 % from 21 days before; the model says wait ahead of the fall and buy before
 *   the rise, and the saved file predicts the same as the trained model.
 * - The route snapshot over a pricebook (the synthetic one of tests/support) agrees with
 *   the cheapest leg priced by hand. */
#include "ct_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pricefill.h"
#include "predict/predict.h"
#include "refdata/refdata.h"
#include "smallworld.h"
#include "testsupport.h"

/* ---- the backtest's metrics on a hand-made series ---- */

static void backtest_on_a_hand_made_series(void **state)
{
    (void)state;
    /* Prices 100 90 120 80 150 at 5..1 days before departure; a buyer arrives at each.
     * Clairvoyant: 80 80 80 80 150 (sum 470) against arrivals summing 540: saves 70.
     * Model (wait while the predicted low is below -1 %): predictions -0.2 0 -0.5 0.1 0:
     *   from 100 waits and buys at 90; 90; from 120 waits, buys at 80; 80; 150 -> 490.
     * Buy 2 days before: 80 80 80 80 150 -> 470 (the clairvoyant's here).
     * Buy 4 days before: from 100 -> 90 (4 days), 90, then at arrival 120 80 150 -> 530. */
    const double price[] = {100, 90, 120, 80, 150}, days[] = {5, 4, 3, 2, 1};
    const float pred[] = {-0.2f, 0.0f, -0.5f, 0.1f, 0.0f};
    ct_predict_backtest bt;
    memset(&bt, 0, sizeof(bt));
    bt.arrive_min = 1;
    bt.arrive_max = 5;
    bt.buy_days[0] = 2;
    bt.buy_days[1] = 4;
    bt.nbuy_days = 2;
    bt.wait_margin = 0.01;
    bt.rise_threshold = 0.05;
    ct_predict_backtest_init(&bt);
    ct_predict_backtest_series(&bt, price, days, pred, 5);
    assert_int_equal(bt.npolicies, 4);
    for (int i = 0; i < bt.npolicies; i++) {
        assert_int_equal(bt.r[i].buyers, 5);
        assert_true(fabs(bt.r[i].first - 540) < 1e-9);
        assert_true(fabs(bt.r[i].best - 470) < 1e-9);
    }
    assert_true(fabs(bt.r[0].paid - 490) < 1e-9);
    assert_true(fabs(bt.r[1].paid - 540) < 1e-9);
    assert_true(fabs(bt.r[2].paid - 470) < 1e-9);
    assert_true(fabs(bt.r[3].paid - 530) < 1e-9);
    assert_true(fabs(ct_predict_savings_share(&bt.r[0]) - 50.0 / 70.0) < 1e-9);
    assert_true(fabs(ct_predict_savings_share(&bt.r[1])) < 1e-12);
    assert_true(fabs(ct_predict_savings_share(&bt.r[2]) - 1.0) < 1e-9);
    assert_true(fabs(ct_predict_savings_share(&bt.r[3]) - 10.0 / 70.0) < 1e-9);
    /* Arrivals outside the window do not count. */
    bt.arrive_min = 2;
    bt.arrive_max = 4;
    ct_predict_backtest_init(&bt);
    ct_predict_backtest_series(&bt, price, days, pred, 5);
    assert_int_equal(bt.r[1].buyers, 3);
    assert_true(fabs(bt.r[1].best - 240) < 1e-9);
    /* Rise classifier: (pred, label) = (0.1, 0.2) right, (0, 0.1) wrong, (0.2, -0.1) wrong,
     * (0, 0) right. */
    ct_predict_backtest_rise(&bt, 0.1, 0.2);
    ct_predict_backtest_rise(&bt, 0.0, 0.1);
    ct_predict_backtest_rise(&bt, 0.2, -0.1);
    ct_predict_backtest_rise(&bt, 0.0, 0.0);
    assert_int_equal(bt.rise_n, 4);
    assert_int_equal(bt.rise_correct, 2);
    assert_int_equal(bt.rise_actual, 2);
    assert_int_equal(bt.rise_predicted, 2);
}

/* ---- observations ---- */

static ct_predict_obs obs_at(const char *o, const char *d, int64_t day, int64_t at, double price)
{
    ct_predict_obs x;
    memset(&x, 0, sizeof(x));
    snprintf(x.origin, sizeof(x.origin), "%s", o);
    snprintf(x.destination, sizeof(x.destination), "%s", d);
    x.day = day;
    x.at = at;
    x.days_before = (double)(day * 86400 - at) / 86400.0;
    x.s.price_usd = price;
    x.s.nflights = 1;
    x.s.ladder = 0.5;
    return x;
}

static void labels_on_a_hand_made_series(void **state)
{
    (void)state;
    /* Daily observations 12..1 days before departure: 100 for 12..9, 80 at 8, 120 from 7. */
    ct_predict_set set = {0};
    int64_t day = 20600;
    for (int d = 12; d >= 1; d--) {
        double p = d >= 9 ? 100 : d == 8 ? 80 : 120;
        ct_predict_obs o = obs_at("AAA", "BBB", day, day * 86400 - (int64_t)d * 86400, p);
        assert_int_equal(ct_predict_set_add(&set, &o), CT_OK);
    }
    ct_predict_obs other = obs_at("AAA", "CCC", day, day * 86400 - 86400, 50);
    assert_int_equal(ct_predict_set_add(&set, &other), CT_OK);
    ct_predict_set_sort(&set);
    size_t end = ct_predict_series_end(&set, 0);
    assert_int_equal(end, 12);
    double change, low;
    /* At 12 days: 7 days later is 5 days before (120): +20 %; the low within is 80: -20 %. */
    assert_int_equal(ct_predict_label(&set, 0, end, &change, &low), 1);
    assert_true(fabs(change - 0.2) < 1e-9 && fabs(low + 0.2) < 1e-9);
    /* At 8 days (80): 120 a week later, nothing lower: +50 % and 0. */
    assert_int_equal(ct_predict_label(&set, 4, end, &change, &low), 1);
    assert_true(fabs(change - 0.5) < 1e-9 && fabs(low) < 1e-9);
    /* At 3 days: departure comes first; the last price (1 day before) is the label. */
    assert_int_equal(ct_predict_label(&set, 9, end, &change, &low), 1);
    assert_true(fabs(change) < 1e-9);
    /* A series that stops early (no observation near departure) tells nothing late on. */
    assert_int_equal(ct_predict_label(&set, 9, 10, &change, &low), 0);
    ct_predict_set_free(&set);
}

static void split_never_leaks(void **state)
{
    (void)state;
    static const char *const airports[] = {"LHR", "JFK", "CDG", "FRA", "AMS", "MAD", "ZRH",
                                           "VIE", "BCN", "FCO", "MUC", "DUB", "CPH", "OSL"};
    enum { NA = 14, NDAYS = 60 };
    char train_route[NA][NA] = {{0}}, test_route[NA][NA] = {{0}};
    char train_day[NDAYS] = {0}, test_day[NDAYS] = {0};
    size_t ntrain = 0, ntest = 0;
    for (int a = 0; a < NA; a++) {
        for (int b = 0; b < NA; b++) {
            if (a == b)
                continue;
            for (int d = 0; d < NDAYS; d++) {
                ct_predict_obs o = obs_at(airports[a], airports[b], 20600 + d, 0, 100);
                ct_predict_part part = ct_predict_split(&o, 40);
                int lo = a < b ? a : b, hi = a < b ? b : a;
                if (part == CT_PREDICT_TRAIN) {
                    train_route[lo][hi] = train_day[d] = 1;
                    ntrain++;
                } else if (part == CT_PREDICT_TEST) {
                    test_route[lo][hi] = test_day[d] = 1;
                    ntest++;
                }
            }
        }
    }
    assert_true(ntrain > 0 && ntest > 0);
    for (int a = 0; a < NA; a++) {
        for (int b = 0; b < NA; b++)
            assert_false(train_route[a][b] && test_route[a][b]);
    }
    for (int d = 0; d < NDAYS; d++)
        assert_false(train_day[d] && test_day[d]);
    /* The direction does not matter. */
    assert_int_equal(ct_predict_route_held("LHR", "JFK", 40),
                     ct_predict_route_held("JFK", "LHR", 40));
}

/* ---- training on a small recorded set ---- */

/* The rule of the recorded world: 100, x0.9 while 30..33 days out, x1.15 from 21 days out. */
static double rule_price(double days_before, double base)
{
    double p = base;
    if (days_before < 21)
        p *= 1.15;
    else if (days_before >= 30 && days_before < 33)
        p *= 0.9;
    return p;
}

static void write_recorded_set(const char *path)
{
    static const char *const airports[] = {"LHR", "JFK", "CDG", "FRA", "AMS", "MAD", "ZRH", "VIE"};
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(ct_predict_obs_write_header(f), CT_OK);
    for (int a = 0; a < 8; a++) {
        for (int b = 0; b < 8; b++) {
            if (a == b)
                continue;
            for (int d = 0; d < 12; d++) {
                int64_t day = 20600 + d;
                double base = 80 + 10 * a + 5 * b;
                for (int before = 45; before >= 1; before--) {
                    ct_predict_obs o =
                        obs_at(airports[a], airports[b], day, day * 86400 - (int64_t)before * 86400,
                               rule_price(before, base));
                    assert_int_equal(ct_predict_obs_write(f, &o), CT_OK);
                }
            }
        }
    }
    fclose(f);
}

static void features_at(double days_before, float x[CT_PREDICT_NFEATURES])
{
    ct_predict_obs o = obs_at("LHR", "JFK", 20600, 20600 * 86400 - (int64_t)(days_before * 86400),
                              rule_price(days_before, 100));
    ct_predict_features(&o, x);
}

static void trains_on_a_recorded_set_and_predicts(void **state)
{
    (void)state;
    char dir[256], path[300], model_path[300], err[512];
    ts_tempdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/observations.csv", dir);
    snprintf(model_path, sizeof(model_path), "%s/models/model.json", dir);
    write_recorded_set(path);
    ct_predict_set set;
    assert_int_equal(ct_predict_set_read(path, &set, err, sizeof(err)), CT_OK);
    assert_int_equal(set.n, 8 * 7 * 12 * 45);
    size_t cap = set.n, n = 0;
    float *x = ct_malloc(cap * CT_PREDICT_NFEATURES * sizeof(float));
    float *yc = ct_malloc(cap * sizeof(float)), *yl = ct_malloc(cap * sizeof(float));
    assert_non_null(x);
    assert_non_null(yc);
    assert_non_null(yl);
    for (size_t i = 0; i < set.n;) {
        size_t end = ct_predict_series_end(&set, i);
        for (; i < end; i++) {
            double c, l;
            if (ct_predict_label(&set, i, end, &c, &l)) {
                ct_predict_features(&set.a[i], x + n * CT_PREDICT_NFEATURES);
                yc[n] = (float)c;
                yl[n++] = (float)l;
            }
        }
    }
    assert_true(n > set.n / 2);
    ct_predict_train_params p = {.rounds = 40, .max_depth = 4};
    ct_predict_model *m = NULL;
    assert_int_equal(ct_predict_train(x, yc, yl, n, &p, &m, err, sizeof(err)), CT_OK);
    ct_predict_model_set_margin(m, 0.02);
    /* 36 days out the 10 % fall is 3..6 days away: wait. 24 days out the 15 % rise is 3 days
     * away and nothing falls: buy now, expecting about +15 %. 10 days out: flat. */
    float q[3][CT_PREDICT_NFEATURES], change[3], low[3];
    features_at(36, q[0]);
    features_at(24, q[1]);
    features_at(10, q[2]);
    assert_int_equal(ct_predict_run(m, q[0], 3, change, low), CT_OK);
    ct_predict_advice a;
    ct_predict_advise(m, change[0], low[0], &a);
    assert_int_equal(a.wait, 1);
    assert_true(a.change < -0.05 && a.confidence > 0.5);
    ct_predict_advise(m, change[1], low[1], &a);
    assert_int_equal(a.wait, 0);
    assert_true(a.change > 0.10 && a.change < 0.20);
    assert_true(fabs(change[2]) < 0.03);
    /* The file predicts what the model does, margin included. */
    assert_int_equal(ct_predict_model_save(m, model_path, err, sizeof(err)), CT_OK);
    ct_predict_model *back = NULL;
    assert_int_equal(ct_predict_model_load(model_path, &back, err, sizeof(err)), CT_OK);
    float change2[3], low2[3];
    assert_int_equal(ct_predict_run(back, q[0], 3, change2, low2), CT_OK);
    for (int i = 0; i < 3; i++)
        assert_true(change2[i] == change[i] && low2[i] == low[i]);
    assert_true(ct_predict_model_margin(back) == 0.02);
    assert_true(fabs(ct_predict_model_rmse(back) - ct_predict_model_rmse(m)) < 1e-6);
    /* Not a model: refused, and a missing file is CT_NOT_FOUND. */
    ct_predict_model *bad = NULL;
    assert_int_equal(ct_predict_model_load(path, &bad, err, sizeof(err)), CT_INVALID);
    snprintf(model_path, sizeof(model_path), "%s/none.json", dir);
    assert_int_equal(ct_predict_model_load(model_path, &bad, err, sizeof(err)), CT_NOT_FOUND);
    ct_predict_model_free(back);
    ct_predict_model_free(m);
    ct_free(x);
    ct_free(yc);
    ct_free(yl);
    ct_predict_set_free(&set);
    ts_rmtree(dir);
}

/* ---- the route snapshot ---- */

static void snapshot_is_the_cheapest_leg(void **state)
{
    (void)state;
    ts_small_world sw;
    ts_small_world_open(&sw, 5);
    ct_timetable *tt = ts_small_world_timetable(&sw, 10);
    ct_pricebook *pb = ts_fill_pricebook(tt);
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    int checked = 0;
    for (size_t i = 0; i < tt->nlegs && checked < 40; i += 37) {
        const ct_leg *l = &tt->legs[i];
        ct_predict_snapshot s;
        ct_status rc = ct_predict_snapshot_route(&v, &l->from, 1, &l->to, 1, l->local_date,
                                                 CT_CABIN_ECONOMY, &s);
        /* By hand: every leg of the route that day, every airline and agency, the cheapest
         * open economy class at its amount in dollars. */
        double best = 0;
        int flights = 0;
        for (size_t k = tt->first[l->from]; k < tt->first[l->from + 1]; k++) {
            const ct_leg *o = &tt->legs[k];
            if (o->to != l->to || o->local_date != l->local_date)
                continue;
            double leg_best = 0;
            for (int p = 0; p < v.snap->nproviders; p++) {
                const ct_pb_provider *pv = &v.snap->providers[p];
                uint32_t w = ct_pb_seats(&v, p, k);
                if (pv->desc.kind == CT_PROVIDER_COMBINER || w == CT_SEATS_UNKNOWN ||
                    pv->amount == NULL || v.market[k] >= pv->nmarkets)
                    continue;
                for (int c = 5; c >= 0; c--) {
                    if (ct_seats_of(w, c) == 0)
                        continue;
                    if (pv->amount[v.market[k]][c] < 0)
                        break;
                    int cur = ct_pb_currency_id(v.snap, pv->desc.currency);
                    double unit = pv->desc.minor_digits == 0 ? 1 : 100;
                    double usd = pv->amount[v.market[k]][c] / unit / v.snap->usd_rate[cur];
                    if (leg_best == 0 || usd < leg_best)
                        leg_best = usd;
                    break;
                }
            }
            if (leg_best > 0) {
                flights++;
                if (best == 0 || leg_best < best)
                    best = leg_best;
            }
        }
        if (flights == 0) {
            assert_int_equal(rc, CT_NOT_FOUND);
            continue;
        }
        assert_int_equal(rc, CT_OK);
        assert_int_equal(s.nflights, flights);
        assert_true(fabs(s.price_usd - best) < 1e-6 * best);
        assert_true(s.ladder > 0 && s.ladder <= 1.0);
        checked++;
    }
    assert_true(checked >= 10);
    ct_pricebook_release(pb, &v);
    ct_pricebook_free(pb);
    ct_timetable_free(tt);
    ts_small_world_close(&sw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backtest_on_a_hand_made_series),
        cmocka_unit_test(labels_on_a_hand_made_series),
        cmocka_unit_test(split_never_leaks),
        cmocka_unit_test(trains_on_a_recorded_set_and_predicts),
        cmocka_unit_test(snapshot_is_the_cheapest_leg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
