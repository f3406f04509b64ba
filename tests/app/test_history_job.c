/* test_history_job.c: serve's price history thread (app/history_job.h) on the small sandbox
 * world's timetable with the synthetic pricebook, on every engine: re-pricing notes exactly
 * what the cheapest-only search gives for each recently searched route (and nothing for a
 * route nobody searched, a past date or a route of no schedules), a re-priced route does not
 * count as searched, and the thread writes the notes and rebuilds the distributions on its
 * own (a flush and a refresh seen in the store and in the insight), with a last flush at
 * stop. */
#include "ct_test.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "app/history_job.h"
#include "pricefill.h"
#include "search/search.h"
#include "smallworld.h"
#include "testsupport.h"

#define DAY 86400

static ts_small_world sw;
static ct_timetable *tt;
static ct_pricebook *pb;
static char tmpdir[512];
static int64_t fake_now;

static int64_t clock_now(void)
{
    return fake_now;
}

static int setup(void **state)
{
    (void)state;
    ts_tempdir(tmpdir, sizeof(tmpdir));
    ts_small_world_open(&sw, 5);
    fake_now = sw.start * DAY + 3600;
    tt = ts_small_world_timetable(&sw, 40);
    pb = ts_fill_pricebook(tt);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_pricebook_free(pb);
    ct_timetable_free(tt);
    ts_small_world_close(&sw);
    ts_rmtree(tmpdir);
    return 0;
}

/* The engine's own answer: the cheapest one-adult itinerary from one airport set to another. */
static int64_t engine_cheapest(const char *from, const char *to, int64_t day)
{
    uint16_t o[8], d[8];
    int no = 0, nd = 0;
    const ct_metro *mo = ct_refdata_metro(tt->rd, from), *md = ct_refdata_metro(tt->rd, to);
    for (int i = 0; mo != NULL && i < mo->nairports; i++)
        o[no++] = (uint16_t)ct_timetable_airport(tt, mo->airports[i]->iata);
    if (mo == NULL)
        o[no++] = (uint16_t)ct_timetable_airport(tt, from);
    for (int i = 0; md != NULL && i < md->nairports; i++)
        d[nd++] = (uint16_t)ct_timetable_airport(tt, md->airports[i]->iata);
    if (md == NULL)
        d[nd++] = (uint16_t)ct_timetable_airport(tt, to);
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    ct_price_ctx pc;
    assert_int_equal(ct_price_ctx_init(&pc, &v, CT_CABIN_ECONOMY, 1, 1, "EUR"), CT_OK);
    ct_search_query q = {o, no, d, nd, day, 2, &pc};
    ct_itinerary best;
    int found = 0;
    assert_int_equal(ct_search_cheapest(tt, &q, &best, &found), CT_OK);
    ct_pricebook_release(pb, &v);
    assert_true(found);
    return best.price;
}

static void open_job(ct_app *app, ct_app_history *j, const char *url)
{
    memset(app, 0, sizeof(*app));
    memset(j, 0, sizeof(*j));
    char err[256];
    if (ct_store_pool_open(url, 2, &app->pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool: %s", err);
    atomic_store(&app->timetable, tt);
    atomic_store(&app->pricebook, pb);
    j->app = app;
    j->opt.now = clock_now;
    j->opt.min_sample = 1;
    j->flush_s = 1;
    j->compact_s = 3600;
    j->refresh_s = 1;
    j->reprice_s = 3600;
    j->reprice_window_s = DAY;
    j->reprice_max = 100;
    assert_int_equal(ct_app_history_open(j), CT_OK);
    assert_ptr_equal(app->history, j->history);
}

static int64_t query(ct_store *st, const char *sql)
{
    int64_t v = -1;
    assert_int_equal(ct_store_query_int64(st, sql, &v), CT_OK);
    return v;
}

static void reprices_the_searched_routes(void **state)
{
    (void)state;
    char urls[2][512];
    int n = ts_store_urls(tmpdir, urls, 2);
    for (int e = 0; e < n; e++) {
        ct_store *st = ts_open_migrated(urls[e]);
        ct_app app;
        ct_app_history j;
        open_job(&app, &j, urls[e]);
        int64_t day = sw.start + 12;
        /* Two searched routes (prices made up by the "search": re-pricing finds the real ones),
         * one in the past, one of unknown codes. */
        ct_history_note(j.history, "LON", "NYC", day, "economy", "EUR", 1);
        ct_history_note(j.history, "ZRH", "LHR", day + 3, "economy", "EUR", 1);
        ct_history_note(j.history, "ZRH", "LHR", sw.start - 1, "economy", "EUR", 1); /* dropped */
        ct_history_note(j.history, "QQQ", "LHR", day, "economy", "EUR", 1);
        assert_int_equal(ct_history_flush(j.history, st, NULL), CT_OK);
        assert_int_equal(ct_app_history_reprice(&j), 2);
        assert_int_equal(ct_history_pending(j.history), 2);
        assert_int_equal(ct_history_flush(j.history, st, NULL), CT_OK);
        /* That hour's bucket keeps the made-up 1 (an upsert only lowers a price): the next
         * hour's bucket gets the re-priced ones alone. */
        fake_now += 3600;
        assert_int_equal(ct_app_history_reprice(&j), 2);
        assert_int_equal(ct_history_flush(j.history, st, NULL), CT_OK);
        char sql[256];
        long long hour = fake_now / 3600 * 3600;
        snprintf(sql, sizeof(sql),
                 "SELECT price_minor FROM route_price WHERE origin = 'LON' AND destination = 'NYC'"
                 " AND observed_at = %lld",
                 hour);
        assert_int_equal(query(st, sql), engine_cheapest("LON", "NYC", day));
        snprintf(sql, sizeof(sql),
                 "SELECT price_minor FROM route_price WHERE origin = 'ZRH' AND destination = 'LHR'"
                 " AND observed_at = %lld",
                 hour);
        assert_int_equal(query(st, sql), engine_cheapest("ZRH", "LHR", day + 3));
        /* Re-priced notes are not searches: a day later nothing is searched any more. */
        fake_now += DAY;
        assert_int_equal(ct_app_history_reprice(&j), 0);
        ct_app_history_stop(&j);
        assert_null(app.history);
        ct_store_pool_close(app.pool);
        ct_store_close(st);
    }
}

static void the_thread_flushes_and_refreshes(void **state)
{
    (void)state;
    char urls[2][512];
    int n = ts_store_urls(tmpdir, urls, 2);
    for (int e = 0; e < n; e++) {
        ct_store *st = ts_open_migrated(urls[e]);
        ct_app app;
        ct_app_history j;
        open_job(&app, &j, urls[e]);
        assert_int_equal(ct_app_history_start(&j), CT_OK);
        int64_t day = sw.start + 12;
        ct_history_note(j.history, "LON", "NYC", day, "economy", "USD", 45000);
        /* Written and rebuilt within a few seconds (flush and refresh every second). */
        ct_insight in;
        memset(&in, 0, sizeof(in));
        for (int i = 0; i < 300 && in.level == CT_INSIGHT_NONE; i++) {
            usleep(100 * 1000);
            ct_history_insight(j.history, "LON", "NYC", "economy", day, 45000, "USD", NULL, NULL,
                               &in);
        }
        assert_int_equal(in.level, CT_INSIGHT_TYPICAL);
        assert_int_equal(in.typical_low, 45000);
        assert_int_equal(query(st, "SELECT COUNT(*) FROM route_price"), 1);
        /* A note made just before the stop is written by the last flush. */
        ct_history_note(j.history, "LON", "NYC", day + 1, "economy", "USD", 47000);
        ct_app_history_stop(&j);
        assert_int_equal(query(st, "SELECT COUNT(*) FROM route_price"), 2);
        ct_store_pool_close(app.pool);
        ct_store_close(st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reprices_the_searched_routes),
        cmocka_unit_test(the_thread_flushes_and_refreshes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
