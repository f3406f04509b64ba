/* test_history.c: the route price history on every engine (SQLite, and PostgreSQL when
 * CT_TEST_PG_URL is set), with a clock the test moves: notes of one hour collapse to their
 * minimum and an upsert never raises a stored price; compaction folds hourly rows older than
 * 30 days into one row per day with the day's minimum, thins the ingest's leg observations
 * to the day's lowest and deletes both tables' rows past retention; the distributions'
 * 25th/75th percentiles equal those computed here by sorting (nearest rank), the level is
 * right at the band's edges, a thin bucket falls back to the route's every bucket and a thin
 * route has no level; the series and the price by departure day convert currencies. */
#include "ct_test.h"

#include <math.h>
#include <stdio.h>

#include "history/history.h"
#include "testsupport.h"

#define DAY  86400
#define HOUR 3600

static char tmpdir[512];
static char urls[2][512];
static int nurls;
static int64_t fake_now;

static int64_t clock_now(void)
{
    return fake_now;
}

/* The test's rates: units per USD (USD 1, EUR 0.92, JPY 150; JPY has no minor digits). */
static double per_usd(const char *c)
{
    return strcmp(c, "USD") == 0   ? 1.0
           : strcmp(c, "EUR") == 0 ? 0.92
           : strcmp(c, "JPY") == 0 ? 150
                                   : 0;
}
static int digits(const char *c)
{
    return strcmp(c, "JPY") == 0 ? 0 : 2;
}
static double rate(void *ctx, const char *from, const char *to)
{
    (void)ctx;
    if (per_usd(from) <= 0 || per_usd(to) <= 0)
        return 0;
    return per_usd(to) / per_usd(from) * pow(10, digits(to) - digits(from));
}

static int setup(void **state)
{
    (void)state;
    ts_tempdir(tmpdir, sizeof(tmpdir));
    return 0;
}

/* Fresh stores for each test: a new SQLite file and PostgreSQL schema. */
static void fresh_stores(void)
{
    nurls = ts_store_urls(tmpdir, urls, 2);
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(tmpdir);
    return 0;
}

static ct_history *new_history(void)
{
    ct_history_options o = {.now = clock_now, .min_sample = 8, .retention_days = 365};
    ct_history *h = NULL;
    assert_int_equal(ct_history_new(&o, &h), CT_OK);
    return h;
}

static int64_t count(ct_store *st, const char *sql)
{
    int64_t n = -1;
    assert_int_equal(ct_store_query_int64(st, sql, &n), CT_OK);
    return n;
}

static void insert_row(ct_store *st, const char *o, const char *d, int64_t day, const char *cur,
                       int span, int64_t at, int64_t price)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO route_price (origin, destination, departure_day, cabin, currency, span,"
             " observed_at, price_minor) VALUES ('%s', '%s', %lld, 'economy', '%s', %d, %lld,"
             " %lld)",
             o, d, (long long)day, cur, span, (long long)at, (long long)price);
    assert_int_equal(ct_store_exec(st, sql), CT_OK);
}

static void notes_collapse_and_never_rise(void **state)
{
    (void)state;
    fresh_stores();
    for (int e = 0; e < nurls; e++) {
        ct_store *st = ts_open_migrated(urls[e]);
        ct_history *h = new_history();
        fake_now = 1800000000 + 1234; /* inside one hour */
        int64_t day = fake_now / DAY + 20;
        ct_history_note(h, "lon", "NYC", day, "economy", "EUR", 41000);
        ct_history_note(h, "LON", "NYC", day, "economy", "EUR", 39900);
        ct_history_note(h, "LON", "NYC", day, "economy", "EUR", 40500);
        ct_history_note(h, "LON", "NYC", day, "business", "EUR", 150000);
        ct_history_note(h, "LON", "NYC", day, "premium_economy", "EUR", 72000);
        ct_history_note(h, "LON", "NYC", day, "first", "EUR", 410000);
        ct_history_note(h, "LON", "NYC", day, "premium", "EUR", 1);    /* dropped: no such cabin */
        ct_history_note(h, "LONDON", "NYC", day, "economy", "EUR", 1); /* dropped */
        assert_int_equal(ct_history_pending(h), 6);
        assert_int_equal(ct_history_dropped(h), 2);
        size_t written = 0;
        assert_int_equal(ct_history_flush(h, st, &written), CT_OK);
        assert_int_equal(written, 4); /* one row per cabin */
        assert_int_equal(ct_history_pending(h), 0);
        assert_int_equal(count(st, "SELECT COUNT(*) FROM route_price"), 4);
        assert_int_equal(
            count(st, "SELECT price_minor FROM route_price WHERE cabin = 'premium_economy'"),
            72000);
        assert_int_equal(count(st, "SELECT price_minor FROM route_price WHERE cabin = 'first'"),
                         410000);
        assert_int_equal(count(st, "SELECT price_minor FROM route_price WHERE cabin = 'economy'"),
                         39900);
        assert_int_equal(count(st, "SELECT observed_at FROM route_price WHERE cabin = 'economy'"),
                         fake_now / HOUR * HOUR);
        /* The same hour again: a higher price leaves the row, a lower one lowers it. */
        ct_history_note(h, "LON", "NYC", day, "economy", "EUR", 45000);
        assert_int_equal(ct_history_flush(h, st, NULL), CT_OK);
        assert_int_equal(count(st, "SELECT price_minor FROM route_price WHERE cabin = 'economy'"),
                         39900);
        ct_history_note(h, "LON", "NYC", day, "economy", "EUR", 38000);
        assert_int_equal(ct_history_flush(h, st, NULL), CT_OK);
        assert_int_equal(count(st, "SELECT price_minor FROM route_price WHERE cabin = 'economy'"),
                         38000);
        /* The next hour is a new bucket. */
        fake_now += HOUR;
        ct_history_note(h, "LON", "NYC", day, "economy", "EUR", 47000);
        assert_int_equal(ct_history_flush(h, st, NULL), CT_OK);
        assert_int_equal(count(st, "SELECT COUNT(*) FROM route_price WHERE cabin = 'economy'"), 2);
        ct_history_free(h);
        ct_store_close(st);
    }
}

static void insert_leg(ct_store *st, int64_t at, const char *amount)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO price_observation (provider, carrier, flight_number, origin,"
             " destination, departure_utc, cabin, lowest_class, amount_minor, currency,"
             " observed_at) VALUES ('air-1', 'XA', 12, 'LHR', 'JFK', 1900000000, 'economy',"
             " 'Y', %s, 'USD', %lld)",
             amount, (long long)at);
    assert_int_equal(ct_store_exec(st, sql), CT_OK);
}

static void compaction_downsamples_and_retains(void **state)
{
    (void)state;
    fresh_stores();
    for (int e = 0; e < nurls; e++) {
        ct_store *st = ts_open_migrated(urls[e]);
        ct_history *h = new_history();
        fake_now = 1800000000;
        int64_t today = fake_now / DAY * DAY;
        int64_t old_day = today - 40 * DAY, recent = today - 5 * DAY;
        int64_t dep = fake_now / DAY + 30;
        /* 40 days ago: 5 hourly rows in two currencies' worth of one day. */
        int64_t prices[] = {52000, 50100, 51000, 49950, 53000};
        for (int i = 0; i < 5; i++)
            insert_row(st, "LON", "NYC", dep, "EUR", HOUR, old_day + i * 3 * HOUR, prices[i]);
        insert_row(st, "LON", "NYC", dep, "USD", HOUR, old_day + 2 * HOUR, 60000);
        /* 5 days ago: kept hourly. */
        insert_row(st, "LON", "NYC", dep, "EUR", HOUR, recent, 48000);
        insert_row(st, "LON", "NYC", dep, "EUR", HOUR, recent + HOUR, 47000);
        /* Past retention (365 days). */
        insert_row(st, "LON", "NYC", dep - 400, "EUR", DAY, today - 400 * DAY, 30000);
        /* Legs: one day 40 days ago with three changes, a sold-out one, and one past retention. */
        insert_leg(st, old_day + 100, "30000");
        insert_leg(st, old_day + 200, "28000");
        insert_leg(st, old_day + 300, "28000");
        insert_leg(st, old_day + 400, "NULL");
        insert_leg(st, recent, "31000");
        insert_leg(st, recent + 10, "32000");
        insert_leg(st, today - 500 * DAY, "25000");
        ct_history_compaction c;
        assert_int_equal(ct_history_compact(h, st, &c), CT_OK);
        assert_int_equal(c.hours_downsampled, 6);
        assert_int_equal(c.routes_expired, 1);
        assert_int_equal(c.legs_thinned, 2);
        assert_int_equal(c.legs_expired, 1);
        assert_int_equal(count(st, "SELECT COUNT(*) FROM route_price WHERE span = 3600"), 2);
        assert_int_equal(count(st, "SELECT COUNT(*) FROM route_price WHERE span = 86400"), 2);
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "SELECT price_minor FROM route_price WHERE span = 86400 AND currency = 'EUR'"
                 " AND observed_at = %lld",
                 (long long)old_day);
        assert_int_equal(count(st, sql), 49950);
        assert_int_equal(count(st, "SELECT COUNT(*) FROM price_observation"), 4);
        snprintf(sql, sizeof(sql),
                 "SELECT observed_at FROM price_observation WHERE"
                 " amount_minor = 28000");
        assert_int_equal(count(st, sql), old_day + 200);
        assert_int_equal(
            count(st, "SELECT COUNT(*) FROM price_observation WHERE amount_minor IS NULL"), 1);
        /* Again: nothing more to do. */
        assert_int_equal(ct_history_compact(h, st, &c), CT_OK);
        assert_int_equal(c.hours_downsampled + c.routes_expired + c.legs_thinned + c.legs_expired,
                         0);
        /* A late hourly row of an already downsampled day folds into it, keeping the min. */
        insert_row(st, "LON", "NYC", dep, "EUR", HOUR, old_day + 20 * HOUR, 49000);
        assert_int_equal(ct_history_compact(h, st, &c), CT_OK);
        snprintf(sql, sizeof(sql),
                 "SELECT price_minor FROM route_price WHERE span = 86400 AND currency = 'EUR'"
                 " AND observed_at = %lld",
                 (long long)old_day);
        assert_int_equal(count(st, sql), 49000);
        ct_history_free(h);
        ct_store_close(st);
    }
}

/* A backlog of leg observations is thinned a day per transaction, at most 31 days a pass,
 * from the oldest row on: two passes for days 100 and 40 days ago. */
static void leg_backlog_over_passes(void **state)
{
    (void)state;
    fresh_stores();
    for (int e = 0; e < nurls; e++) {
        ct_store *st = ts_open_migrated(urls[e]);
        ct_history *h = new_history();
        fake_now = 1800000000;
        int64_t today = fake_now / DAY * DAY;
        const int64_t days[] = {100, 40};
        for (int k = 0; k < 2; k++) {
            insert_leg(st, today - days[k] * DAY + 100, "30000");
            insert_leg(st, today - days[k] * DAY + 200, "29000");
        }
        ct_history_compaction c;
        assert_int_equal(ct_history_compact(h, st, &c), CT_OK);
        assert_int_equal(c.legs_thinned, 1);
        assert_int_equal(ct_history_compact(h, st, &c), CT_OK);
        assert_int_equal(c.legs_thinned, 1);
        assert_int_equal(ct_history_compact(h, st, &c), CT_OK);
        assert_int_equal(c.legs_thinned, 0);
        assert_int_equal(count(st, "SELECT COUNT(*) FROM price_observation"), 2);
        ct_history_free(h);
        ct_store_close(st);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile of sorted v[n], computed the textbook way. */
static int64_t nearest_rank(const int64_t *v, int n, double p)
{
    int rank = (int)ceil(p / 100.0 * n);
    return v[(rank < 1 ? 1 : rank) - 1];
}

static void insight_bands_and_levels(void **state)
{
    (void)state;
    fresh_stores();
    for (int e = 0; e < nurls; e++) {
        ct_store *st = ts_open_migrated(urls[e]);
        ct_history *h = new_history();
        fake_now = 1800000000;
        int64_t today = fake_now / DAY;
        /* ZRH-LHR: 21 observations 7-13 days before departure, across departure dates. */
        int64_t v[21];
        uint32_t x = 12345;
        for (int i = 0; i < 21; i++) {
            x = x * 1103515245u + 12345u;
            v[i] = 10000 + (int64_t)(x >> 8) % 9000;
            int64_t dep = today + 10 + i % 5, before = 7 + i % 7;
            insert_row(st, "ZRH", "LHR", dep, "USD", HOUR, (dep - before) * DAY + i * HOUR, v[i]);
        }
        /* 3 observations 60+ days before (too few for their own bucket). */
        for (int i = 0; i < 3; i++)
            insert_row(st, "ZRH", "LHR", today + 100, "USD", DAY, (today - i) * DAY, 20000 + i);
        /* A thin route. */
        insert_row(st, "ZRH", "CDG", today + 10, "USD", HOUR, today * DAY, 9000);
        size_t routes = 0;
        assert_int_equal(ct_history_refresh(h, st, rate, NULL, &routes), CT_OK);
        assert_int_equal(routes, 2);
        qsort(v, 21, sizeof(v[0]), cmp_i64);
        int64_t lo = nearest_rank(v, 21, 25), hi = nearest_rank(v, 21, 75);
        ct_insight in;
        int64_t dep = today + 9; /* 9 days before: bucket 7-13 */
        struct {
            int64_t price;
            ct_insight_level want;
        } cases[] = {{lo - 1, CT_INSIGHT_LOW},
                     {lo, CT_INSIGHT_TYPICAL},
                     {hi, CT_INSIGHT_TYPICAL},
                     {hi + 1, CT_INSIGHT_HIGH},
                     {(lo + hi) / 2, CT_INSIGHT_TYPICAL}};
        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
            ct_history_insight(h, "zrh", "lhr", "economy", dep, cases[k].price, "USD", rate, NULL,
                               &in);
            assert_int_equal(in.level, cases[k].want);
            assert_int_equal(in.typical_low, lo);
            assert_int_equal(in.typical_high, hi);
            assert_int_equal(in.sample, 21);
            assert_int_equal(in.bucket, 1);
            assert_int_equal(in.bucket_lo, 7);
            assert_int_equal(in.bucket_hi, 13);
            assert_int_equal(in.days_before, 9);
        }
        /* In euros: the band converted (USD 1 = EUR 0.92). */
        ct_history_insight(h, "ZRH", "LHR", "economy", dep, 1, "EUR", rate, NULL, &in);
        assert_int_equal(in.level, CT_INSIGHT_LOW);
        assert_int_equal(in.typical_low, llround((double)lo * 0.92));
        assert_int_equal(in.typical_high, llround((double)hi * 0.92));
        /* 70 days before: 3 of its own, so every bucket's 24 observations. */
        int64_t all[24];
        memcpy(all, v, sizeof(v));
        for (int i = 0; i < 3; i++)
            all[21 + i] = 20000 + i;
        qsort(all, 24, sizeof(all[0]), cmp_i64);
        ct_history_insight(h, "ZRH", "LHR", "economy", today + 70, 1, "USD", rate, NULL, &in);
        assert_int_equal(in.bucket, -1);
        assert_int_equal(in.sample, 24);
        assert_int_equal(in.typical_low, nearest_rank(all, 24, 25));
        assert_int_equal(in.typical_high, nearest_rank(all, 24, 75));
        /* A thin route, an unknown one, business, a past date: no level, a reason. */
        const char *thin[][3] = {
            {"ZRH", "CDG", "economy"}, {"ZRH", "JFK", "economy"}, {"ZRH", "LHR", "business"}};
        for (int k = 0; k < 3; k++) {
            ct_history_insight(h, thin[k][0], thin[k][1], thin[k][2], dep, 100, "USD", rate, NULL,
                               &in);
            assert_int_equal(in.level, CT_INSIGHT_NONE);
            assert_non_null(in.reason);
        }
        ct_history_insight(h, "ZRH", "CDG", "economy", dep, 100, "USD", rate, NULL, &in);
        assert_int_equal(in.sample, 1);
        ct_history_insight(h, "ZRH", "LHR", "economy", today - 1, 100, "USD", rate, NULL, &in);
        assert_int_equal(in.level, CT_INSIGHT_NONE);
        /* No rate to the currency: no level. */
        ct_history_insight(h, "ZRH", "LHR", "economy", dep, 100, "XXX", rate, NULL, &in);
        assert_int_equal(in.level, CT_INSIGHT_NONE);
        ct_history_free(h);
        ct_store_close(st);
    }
}

static void series_and_days_convert(void **state)
{
    (void)state;
    fresh_stores();
    for (int e = 0; e < nurls; e++) {
        ct_store *st = ts_open_migrated(urls[e]);
        fake_now = 1800000000;
        int64_t today = fake_now / DAY, dep = today + 20;
        int64_t t0 = today * DAY - 50 * DAY;
        insert_row(st, "LON", "NYC", dep, "EUR", DAY, t0, 46000); /* USD 500.00 */
        insert_row(st, "LON", "NYC", dep, "USD", DAY, t0, 49000); /* the same day: min */
        insert_row(st, "LON", "NYC", dep, "JPY", HOUR, t0 + 40 * DAY, 72000); /* USD 480.00 */
        insert_row(st, "LON", "NYC", dep, "USD", HOUR, t0 + 45 * DAY, 51000);
        insert_row(st, "LON", "NYC", dep, "GBP", HOUR, t0 + 46 * DAY, 1); /* no rate: left out */
        insert_row(st, "LON", "NYC", dep + 1, "USD", HOUR, t0 + 45 * DAY, 55000);
        insert_row(st, "LON", "NYC", dep + 3, "USD", HOUR, t0 + 44 * DAY, 57000);
        insert_row(st, "LON", "NYC", dep + 3, "USD", HOUR, t0 + 45 * DAY, 58000);
        ct_history_point *p = NULL;
        size_t n = 0;
        assert_int_equal(
            ct_history_series(st, "LON", "NYC", dep, "economy", "USD", rate, NULL, &p, &n), CT_OK);
        assert_int_equal(n, 3);
        assert_int_equal(p[0].observed_at, t0);
        assert_int_equal(p[0].span, DAY);
        assert_int_equal(p[0].price_minor, 49000);
        assert_int_equal(p[1].price_minor, 48000);
        assert_int_equal(p[1].span, HOUR);
        assert_int_equal(p[2].price_minor, 51000);
        ct_free(p);
        ct_history_day *d = NULL;
        assert_int_equal(
            ct_history_by_day(st, "LON", "NYC", "economy", dep, dep + 5, "EUR", rate, NULL, &d, &n),
            CT_OK);
        assert_int_equal(n, 3);
        assert_int_equal(d[0].departure_day, dep);
        assert_int_equal(d[0].price_minor, llround(51000 * 0.92));
        assert_int_equal(d[0].lowest_minor, llround(48000 * 0.92));
        assert_int_equal(d[0].observed_at, t0 + 45 * DAY);
        assert_int_equal(d[1].departure_day, dep + 1);
        assert_int_equal(d[2].departure_day, dep + 3);
        assert_int_equal(d[2].price_minor, llround(58000 * 0.92));
        assert_int_equal(d[2].lowest_minor, llround(57000 * 0.92));
        ct_free(d);
        ct_store_close(st);
    }
}

/* The routes searched lately, most recent first, at most as many as asked; a search again
 * refreshes its entry, a past departure and a re-priced note are not in it. */
static void searched_routes_most_recent_first(void **state)
{
    (void)state;
    ct_history *h = new_history();
    fake_now = 1800000000;
    int64_t day = fake_now / DAY + 5;
    ct_history_note(h, "LON", "NYC", day, "economy", "EUR", 100);
    fake_now += 10;
    ct_history_note(h, "ZRH", "LHR", day, "economy", "EUR", 100);
    fake_now += 10;
    ct_history_note(h, "FRA", "HND", day, "business", "USD", 100);
    fake_now += 10;
    ct_history_note(h, "LON", "NYC", day, "economy", "EUR", 90); /* again: now the latest */
    ct_history_note_repriced(h, "CDG", "SYD", day, "economy", "EUR", 100);
    ct_history_searched out[4];
    assert_int_equal(ct_history_searched_since(h, 0, out, 4), 3);
    assert_string_equal(out[0].origin, "LON");
    assert_string_equal(out[1].origin, "FRA");
    assert_string_equal(out[1].cabin, "business");
    assert_string_equal(out[1].currency, "USD");
    assert_string_equal(out[2].origin, "ZRH");
    assert_int_equal(ct_history_searched_since(h, 0, out, 2), 2);
    assert_string_equal(out[1].origin, "FRA");
    assert_int_equal(ct_history_searched_since(h, fake_now - 15, out, 4), 2);
    fake_now += 10 * DAY; /* the departure has passed */
    assert_int_equal(ct_history_searched_since(h, 0, out, 4), 0);
    ct_history_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(notes_collapse_and_never_rise),
        cmocka_unit_test(compaction_downsamples_and_retains),
        cmocka_unit_test(leg_backlog_over_passes),
        cmocka_unit_test(insight_bands_and_levels),
        cmocka_unit_test(series_and_days_convert),
        cmocka_unit_test(searched_routes_most_recent_first),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
