/* test_fares.c: the fare model on the small world: the class ladder, pricing by distance,
 * competition and currency, filed return fares, the itinerary rule (through fares below the
 * sum of the legs, return factor, separate tickets) and the moving exchange-rate table. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "sandbox/providers/fares.h"
#include "sandbox/world/sandbox_data.h"
#include "testsupport.h"

static sb_data data;
static sb_fares *fares;

static int setup(void **state)
{
    (void)state;
    char err[256];
    int64_t start;
    ct_date_parse("2026-11-23", &start);
    sb_world_params p = {42, start, SB_WORLD_SMALL, ts_refdata_dir()};
    if (sb_data_open(&p, &data, err, sizeof(err)))
        fail_msg("small world: %s", err);
    if (sb_fares_build(data.world, &fares))
        fail_msg("fares");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_fares_free(fares);
    sb_data_close(&data);
    return 0;
}

static void class_ladder(void **state)
{
    (void)state;
    const char letters[] = "YBMHQVJCWEFA";
    const int cabins[] = {SB_CABIN_ECONOMY, SB_CABIN_ECONOMY, SB_CABIN_ECONOMY,  SB_CABIN_ECONOMY,
                          SB_CABIN_ECONOMY, SB_CABIN_ECONOMY, SB_CABIN_BUSINESS, SB_CABIN_BUSINESS,
                          SB_CABIN_PREMIUM, SB_CABIN_PREMIUM, SB_CABIN_FIRST,    SB_CABIN_FIRST};
    for (int k = 0; k < SB_NCLASSES; k++) {
        assert_int_equal(sb_class(k)->letter, letters[k]);
        assert_int_equal(sb_class_parse(letters[k]), k);
        assert_int_equal(sb_class(k)->cabin, cabins[k]);
    }
    assert_int_equal(sb_class_parse('Z'), -1);
    /* Each cabin's classes are contiguous, dearest first. */
    const int want_first[SB_NCABINS] = {0, 6, 8, 10}, want_count[SB_NCABINS] = {6, 2, 2, 2};
    for (int c = 0; c < SB_NCABINS; c++) {
        int first, count;
        sb_cabin_classes(c, &first, &count);
        assert_int_equal(first, want_first[c]);
        assert_int_equal(count, want_count[c]);
        for (int k = first + 1; k < first + count; k++)
            assert_true(sb_class(k)->pct_of_y < sb_class(k - 1)->pct_of_y);
        assert_int_equal(sb_cabin_parse(sb_cabin_name(c)), c);
    }
    assert_int_equal(sb_cabin_parse("premium"), -1);
    /* The cabins' ladders in order of price: economy < premium economy < business < first. */
    assert_true(sb_class(8)->pct_of_y > sb_class(0)->pct_of_y);
    assert_true(sb_class(9)->pct_of_y > sb_class(0)->pct_of_y);
    assert_true(sb_class(6)->pct_of_y > sb_class(8)->pct_of_y);
    assert_true(sb_class(11)->pct_of_y > sb_class(6)->pct_of_y);
    int classes_flex[] = {0, 1, 6}, classes_mixed[] = {0, 5};
    assert_int_equal(sb_fare_refund_pct(classes_flex, 3), 100);
    assert_int_equal(sb_fare_refund_pct(classes_mixed, 2), 70);
}

/* Every market of every carrier: J > C > Y > B > M > H > Q > V, in whole units of the
 * carrier's currency, and Y within the documented band for its distance and competition. */
static void fares_follow_distance_competition_and_currency(void **state)
{
    (void)state;
    const sb_world *w = data.world;
    static const double comp[] = {1.20, 1.20, 1.05, 0.95, 0.88};
    int nmarkets = 0, monopolies = 0, contested = 0;
    for (int c = 0; c < w->ncarriers; c++) {
        int n;
        const sb_market *m = sb_fares_markets(fares, c, &n);
        const char *cur = w->carriers[c].currency;
        int64_t unit = sb_currency_exponent(cur) == 0 ? 1 : 100;
        for (int i = 0; i < n; i++) {
            int64_t f[SB_NCLASSES];
            sb_market_fares(fares, &m[i], f);
            assert_true(f[6] > f[7] && f[7] > f[0]);
            for (int k = 1; k < 6; k++)
                assert_true(f[k] < f[k - 1]);
            for (int k = 0; k < SB_NCLASSES; k++)
                assert_int_equal(f[k] % unit, 0);
            double base = (70.0 + 0.28 * pow(m[i].km, 0.93)) *
                          comp[m[i].competitors > 4 ? 4 : m[i].competitors] * sb_fx_base_rate(cur) *
                          (double)unit;
            if ((double)f[0] < 0.92 * base - unit || (double)f[0] > 1.08 * base + unit)
                fail_msg("%s %s-%s: Y %lld outside [%.0f, %.0f]", w->carriers[c].code,
                         w->airports[m[i].origin].iata, w->airports[m[i].dest].iata,
                         (long long)f[0], 0.92 * base, 1.08 * base);
            assert_ptr_equal(sb_fares_find(fares, c, m[i].origin, m[i].dest), &m[i]);
            monopolies += m[i].competitors == 1;
            contested += m[i].competitors >= 2;
            nmarkets++;
        }
    }
    assert_true(nmarkets > 300);
    assert_true(monopolies > 0 && contested > 0);
    /* A carrier that does not fly a market files no fare for it. */
    const sb_market *m0 = &sb_fares_markets(fares, 0, &(int){0})[0];
    int other = -1;
    for (int c = 1; c < w->ncarriers && other < 0; c++) {
        if (sb_fares_find(fares, c, m0->origin, m0->dest) == NULL)
            other = c;
    }
    assert_true(other > 0);
}

/* Competitor counts agree with a recount over the flights. */
static void competitors_are_counted(void **state)
{
    (void)state;
    const sb_world *w = data.world;
    int n;
    const sb_market *m = sb_fares_markets(fares, 0, &n);
    for (int i = 0; i < n; i++) {
        char *seen = calloc((size_t)w->ncarriers, 1);
        for (int f = 0; f < w->nflights; f++) {
            for (int l = 0; l < w->flights[f].nlegs; l++) {
                const sb_leg *leg = &w->flights[f].legs[l];
                if ((leg->origin == m[i].origin && leg->dest == m[i].dest) ||
                    (leg->origin == m[i].dest && leg->dest == m[i].origin))
                    seen[w->flights[f].carrier] = 1;
            }
        }
        int count = 0;
        for (int c = 0; c < w->ncarriers; c++)
            count += seen[c];
        free(seen);
        assert_int_equal(m[i].competitors, count);
    }
}

static void return_fares(void **state)
{
    (void)state;
    assert_int_equal(sb_fare_return(10000), 18000);
    assert_int_equal(sb_fare_return(12345), 22221); /* floor(24690 x 0.9) */
    assert_int_equal(sb_fare_return(7), 12);
}

/* The itinerary rule of fares.h, exactly. */
static void through_fares_are_below_the_sum(void **state)
{
    (void)state;
    const sb_world *w = data.world;
    int solo = -1, a1 = -1;
    for (int c = 0; c < w->ncarriers; c++) {
        if (w->carriers[c].alliance == SB_ALLIANCE_NONE && solo < 0)
            solo = c;
        if (w->carriers[c].alliance != SB_ALLIANCE_NONE && a1 < 0)
            a1 = c;
    }
    assert_true(solo >= 0 && a1 >= 0);
    assert_true(sb_carriers_cooperate(w, solo, solo));
    assert_false(sb_carriers_cooperate(w, solo, a1));
    int64_t two[] = {10000, 23450};
    assert_int_equal(sb_fare_through(two, 1), 10000);
    assert_int_equal(sb_fare_through(two, 2), 28432); /* floor(33450 x 0.85) */

    sb_fare_leg conn[] = {{a1, 10000}, {a1, 23450}};
    int one[] = {2};
    assert_int_equal(sb_fare_itinerary(w, conn, one, 1, 1), 28432);
    /* Non-cooperating carriers: separate tickets at the sum. */
    sb_fare_leg mixed[] = {{a1, 10000}, {solo, 23450}};
    assert_int_equal(sb_fare_itinerary(w, mixed, one, 1, 1), 33450);
    /* A return on one carrier: through per slice, then x 0.90. */
    sb_fare_leg rt[] = {{a1, 10000}, {a1, 23450}, {a1, 5000}};
    int slices[] = {2, 1};
    assert_int_equal(sb_fare_itinerary(w, rt, slices, 2, 1), (28432 + 5000) * 90 / 100);
    /* The same trip sold as separate tickets (the combiner): no return factor. */
    assert_int_equal(sb_fare_itinerary(w, rt, slices, 2, 0), 28432 + 5000);
    /* A return mixing carriers that do not cooperate: no return factor either. */
    sb_fare_leg rt2[] = {{a1, 10000}, {solo, 5000}};
    int s11[] = {1, 1};
    assert_int_equal(sb_fare_itinerary(w, rt2, s11, 2, 1), 15000);
    /* The bound every search engine may use, over many random itineraries. */
    srand(7);
    for (int i = 0; i < 2000; i++) {
        sb_fare_leg legs[8];
        int len[2] = {1 + rand() % 4, rand() % 5};
        int nslices = len[1] ? 2 : 1, n = len[0] + len[1];
        int64_t sum = 0;
        for (int k = 0; k < n; k++) {
            legs[k] = (sb_fare_leg){rand() % w->ncarriers, 100 + rand() % 500000};
            sum += legs[k].amount;
        }
        int64_t price = sb_fare_itinerary(w, legs, len, nslices, rand() % 2);
        assert_true(price <= sum);
        assert_true((double)price > 0.85 * 0.90 * (double)sum - (double)(n + 1));
    }
}

static void exchange_rates_move_a_little_each_day(void **state)
{
    (void)state;
    int64_t day = data.world->start_day;
    assert_true(sb_fx_count() >= 20);
    for (int i = 0; i < sb_fx_count(); i++) {
        const char *code = sb_fx_code(i);
        double r0 = sb_fx_rate(42, code, day);
        assert_true(r0 > 0);
        assert_true(r0 == sb_fx_rate(42, code, day)); /* deterministic */
        static const char pegged[] = " USD AED QAR SAR BHD OMR JOD ";
        char key[6];
        snprintf(key, sizeof(key), " %s ", code);
        if (strstr(pegged, key) != NULL) {
            assert_true(r0 == sb_fx_base_rate(code));
            assert_true(sb_fx_rate(42, code, day + 50) == r0);
            continue;
        }
        int moved = 0;
        for (int d = 0; d < 60; d++) {
            double a = sb_fx_rate(42, code, day + d), b = sb_fx_rate(42, code, day + d + 1);
            assert_true(fabs(b / a - 1.0) < 0.008);
            moved += a != b;
        }
        assert_int_equal(moved, 60);
        double lo = 1e18, hi = 0;
        for (int d = 0; d < 365; d++) {
            double r = sb_fx_rate(42, code, day + d) / sb_fx_base_rate(code);
            lo = fmin(lo, r);
            hi = fmax(hi, r);
        }
        assert_true(lo > 0.95 && hi < 1.05 && hi - lo > 0.01);
        assert_true(sb_fx_rate(43, code, day) != r0); /* another seed, other rates */
    }
    assert_true(sb_fx_rate(42, "XXX", day) == 0.0);
    assert_int_equal(sb_currency_exponent("JPY"), 0);
    assert_int_equal(sb_currency_exponent("EUR"), 2);
    assert_int_equal(sb_currency_exponent("KWD"), 3);
    assert_int_equal(sb_currency_exponent("TND"), 3);
    assert_int_equal(sb_currency_exponent("XXX"), -1);
}

static void conversion_and_formatting(void **state)
{
    (void)state;
    /* 100.00 USD at 1 -> EUR at 0.92 = 92.00; -> JPY at 150 = 15000 yen. */
    assert_int_equal(sb_fx_convert(10000, "USD", 1.0, "EUR", 0.92), 9200);
    assert_int_equal(sb_fx_convert(10000, "USD", 1.0, "JPY", 150.0), 15000);
    assert_int_equal(sb_fx_convert(15000, "JPY", 150.0, "USD", 1.0), 10000);
    assert_int_equal(sb_fx_convert(12345, "EUR", 0.9, "EUR", 0.8), 12345);
    assert_int_equal(sb_fx_convert(1, "XXX", 1.0, "EUR", 1.0), -1);
    char buf[32];
    assert_string_equal(sb_money_format(41250, "EUR", buf, sizeof(buf)), "412.50");
    assert_string_equal(sb_money_format(7, "GBP", buf, sizeof(buf)), "0.07");
    assert_string_equal(sb_money_format(61500, "JPY", buf, sizeof(buf)), "61500");
    assert_string_equal(sb_money_format(-250, "USD", buf, sizeof(buf)), "-2.50");
    /* Three decimals: 100.00 USD -> KWD at 0.3075 = 30.750 dinars = 30750 fils; back again. */
    assert_int_equal(sb_fx_convert(10000, "USD", 1.0, "KWD", 0.3075), 30750);
    assert_int_equal(sb_fx_convert(30750, "KWD", 0.3075, "USD", 1.0), 10000);
    assert_int_equal(sb_fx_convert(12345, "BHD", 0.376, "JPY", 150.0), 4925);
    assert_string_equal(sb_money_format(30750, "KWD", buf, sizeof(buf)), "30.750");
    assert_string_equal(sb_money_format(5, "OMR", buf, sizeof(buf)), "0.005");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(class_ladder),
        cmocka_unit_test(fares_follow_distance_competition_and_currency),
        cmocka_unit_test(competitors_are_counted),
        cmocka_unit_test(return_fares),
        cmocka_unit_test(through_fares_are_below_the_sum),
        cmocka_unit_test(exchange_rates_move_a_little_each_day),
        cmocka_unit_test(conversion_and_formatting),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
