/* test_schedule_watch.c: serve's schedule loader keeps watching its SSIM folder (loader.c,
 * `--schedules-poll`), on every engine (SQLite, and PostgreSQL when CT_TEST_PG_URL is set).
 *
 * The small sandbox world's files are the operator's schedules; a confirmed order of a
 * signed-in user for one of its flights is watched by a real alerts engine; the loader runs
 * with a 1 s poll. Then one carrier's file is replaced the way `contrail import ssim` does
 * (ct_file_copy: a rename) by the same file with the booked flight leaving 30 minutes
 * earlier: trip.schedule_changed must appear in the outbox (retimed, the new time) without a
 * restart, and once only. A loader without a poll (0) reports nothing. */
#include "ct_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/alerts.h"
#include "app/loader.h"
#include "base/fileutil.h"
#include "base/timeutil.h"
#include "smallworld.h"
#include "testsupport.h"

static ts_small_world world;
static ct_timetable *tt;
static char dir[256];
static int64_t clock_ms;

static int64_t test_clock(void *ctx)
{
    (void)ctx;
    return clock_ms;
}

static int setup(void **state)
{
    (void)state;
    ts_small_world_open(&world, 7);
    tt = ts_small_world_timetable(&world, 14);
    ts_tempdir(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_timetable_free(tt);
    ts_rmtree(dir);
    ts_small_world_close(&world);
    return 0;
}

/* A single-leg flight on `day` leaving at 01:00 local or later. */
static const ct_leg *pick_flight(int64_t day)
{
    for (size_t i = 0; i < tt->nlegs; i++) {
        const ct_leg *l = &tt->legs[i];
        if (l->local_date != day || l->leg_seq != 1)
            continue;
        int others = 0;
        for (size_t k = 0; k < tt->nlegs && !others; k++)
            others = k != i && tt->legs[k].carrier == l->carrier &&
                     tt->legs[k].number == l->number && tt->legs[k].local_date == day;
        const ct_airport *a = ct_refdata_airport_at(tt->rd, l->from);
        ct_civil local;
        int offset = 0;
        if (!others && a->tz != NULL &&
            ct_tz_from_utc(a->tz, (ct_utc)l->dep * 60, &local, &offset) == CT_OK && local.hour >= 1)
            return l;
    }
    fail_msg("no single-leg flight on day %lld", (long long)day);
    return NULL;
}

/* The file of world.paths[] holding carrier/number's records, copied to `out` with its
 * departures from `from` 30 minutes earlier; its index. */
static size_t retimed_copy(const char *carrier, int number, const char *from, const char *out)
{
    char key[16];
    snprintf(key, sizeof(key), "%-3s%04d", carrier, number);
    for (size_t i = 0; i < world.npaths; i++) {
        FILE *in = fopen(world.paths[i], "rb");
        assert_non_null(in);
        FILE *o = fopen(out, "wb");
        assert_non_null(o);
        char rec[256];
        int edited = 0;
        while (fgets(rec, sizeof(rec), in) != NULL) {
            if (rec[0] == '3' && strncmp(rec + 2, key, 7) == 0 && strncmp(rec + 36, from, 3) == 0) {
                for (int col = 39; col <= 43; col += 4) { /* passenger STD, aircraft STD */
                    int t = ((rec[col] - '0') * 10 + rec[col + 1] - '0') * 60 +
                            (rec[col + 2] - '0') * 10 + rec[col + 3] - '0' - 30;
                    assert_true(t >= 0 && t < 1440);
                    char hhmm[24];
                    snprintf(hhmm, sizeof(hhmm), "%02d%02d", t / 60, t % 60);
                    memcpy(rec + col, hhmm, 4);
                }
                edited = 1;
            }
            fputs(rec, o);
        }
        fclose(in);
        fclose(o);
        if (edited)
            return i;
    }
    fail_msg("no records of %s%d", carrier, number);
    return 0;
}

static int64_t events(ct_store *st)
{
    int64_t n = -1;
    assert_int_equal(
        ct_store_query_int64(st, "SELECT COUNT(*) FROM outbox WHERE type = 'trip.schedule_changed'",
                             &n),
        CT_OK);
    return n;
}

/* Up to `ms` for `want` events. */
static int64_t wait_events(ct_store *st, int64_t want, int ms)
{
    for (int i = 0; i < ms / 20 && events(st) < want; i++) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return events(st);
}

/* The order rows of usr_a for leg l as tt flies it. */
static void book(ct_store *st, const char *order_id, const ct_leg *l)
{
    char dep[32], date[16];
    ct_utc_format((ct_utc)l->dep * 60, dep, sizeof(dep));
    ct_date_format(l->local_date, date, sizeof(date));
    json_t *body = json_pack("{s:s, s:i, s:[{s:[{s:s, s:i, s:s, s:s, s:s, s:s}]}]}", "cabin",
                             "economy", "passengers", 1, "slices", "legs", "carrier",
                             tt->carriers[l->carrier], "flight_number", (int)l->number, "date",
                             date, "from", ct_refdata_airport_at(tt->rd, l->from)->iata, "to",
                             ct_refdata_airport_at(tt->rd, l->to)->iata, "departs_at", dep);
    char *text = json_dumps(body, 0), offer[48];
    json_decref(body);
    snprintf(offer, sizeof(offer), "off_%s", order_id);
    assert_int_equal(ct_store_run(st,
                                  "INSERT INTO offers (id, provider, provider_offer_id, "
                                  "itinerary_id, expires_at, currency, total_minor, fee_minor, "
                                  "passengers, body, created_at) VALUES (?, 'ota-eur', 'x', 'it', "
                                  "0, 'EUR', 41000, 0, 1, ?, 0)",
                                  2, (const char *const[]){offer, text}),
                     CT_OK);
    free(text);
    assert_int_equal(ct_store_run(st,
                                  "INSERT INTO orders (id, user_id, offer_id, provider, status, "
                                  "currency, total_minor, passengers, last_name, contact_email, "
                                  "created_at, updated_at) VALUES (?, 'usr_a', ?, 'ota-eur', "
                                  "'confirmed', 'EUR', 41000, '[]', 'x', 'x@example.com', 0, 0)",
                                  2, (const char *const[]){order_id, offer}),
                     CT_OK);
}

static void start_loader(ct_app *app, ct_app_loader *l, const char *schedules, int poll_s)
{
    memset(l, 0, sizeof(*l));
    l->app = app;
    snprintf(l->dirs[0], sizeof(l->dirs[0]), "%s", schedules);
    l->from_day = world.start;
    l->days = 14;
    l->poll_s = poll_s;
    assert_int_equal(ct_app_loader_start(l), CT_OK);
    for (int i = 0; i < 6000 && !atomic_load(&l->done); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(atomic_load(&l->done));
}

static void a_replaced_ssim_file_reports_the_booked_flight_retimed(void **state)
{
    (void)state;
    char urls[2][512];
    int n = ts_store_urls(dir, urls, 2);
    int64_t day = world.start + 5;
    const ct_leg *l = pick_flight(day);
    const char *from = ct_refdata_airport_at(tt->rd, l->from)->iata;
    for (int u = 0; u < n; u++) {
        char schedules[400], staged[400], name[700];
        snprintf(schedules, sizeof(schedules), "%s/schedules%d", dir, u);
        snprintf(staged, sizeof(staged), "%s/staged%d.ssim", dir, u);
        ts_write_file(schedules, ".keep", "");
        for (size_t i = 0; i < world.npaths; i++) {
            const char *base = strrchr(world.paths[i], '/');
            snprintf(name, sizeof(name), "%s/%s", schedules, base + 1);
            assert_int_equal(ct_file_copy(world.paths[i], name), CT_OK);
        }
        ct_store *st = ts_open_migrated(urls[u]);
        assert_int_equal(ct_store_run(st,
                                      "INSERT INTO users (id, email, password_hash, created_at,"
                                      " updated_at) VALUES ('usr_a', 'a@example.com', 'x', 0, 0)",
                                      0, NULL),
                         CT_OK);
        char err[256];
        ct_store_pool *pool = NULL;
        if (ct_store_pool_open(urls[u], 3, &pool, err, sizeof(err)) != CT_OK)
            fail_msg("pool %s: %s", urls[u], err);
        clock_ms = (world.start * 86400 + 8 * 3600) * 1000;
        ct_alerts_config c = {.pool = pool, .batch_ms = 1, .now_ms = test_clock};
        ct_alerts *alerts = NULL;
        assert_int_equal(ct_alerts_new(&c, &alerts), CT_OK);
        assert_int_equal(ct_alerts_load(alerts, st), CT_OK);
        assert_int_equal(ct_alerts_start(alerts), CT_OK); /* no providers: never attached */
        book(st, "ord_watch", l);
        assert_int_equal(ct_alerts_track_order(alerts, st, "ord_watch"), CT_OK);
        ct_app app = {0};
        app.refdata = world.data.refdata;
        atomic_store(&app.alerts, alerts);

        /* no poll: the loader ends after loading, a replaced file goes unseen */
        static ct_app_loader l0, l1;
        start_loader(&app, &l0, schedules, 0);
        size_t f = retimed_copy(tt->carriers[l->carrier], l->number, from, staged);
        const char *base = strrchr(world.paths[f], '/');
        snprintf(name, sizeof(name), "%s/%s", schedules, base + 1);
        uint64_t sig = ct_app_schedules_signature(&l0);
        assert_int_equal(ct_file_copy(staged, name), CT_OK); /* as `import ssim` replaces it */
        assert_true(ct_app_schedules_signature(&l0) != sig);
        assert_int_equal(wait_events(st, 1, 1500), 0);
        ct_app_loader_stop(&l0);

        /* with a 1 s poll: restored, the loader started, then the file replaced again */
        assert_int_equal(ct_file_copy(world.paths[f], name), CT_OK);
        start_loader(&app, &l1, schedules, 1);
        assert_int_equal(wait_events(st, 1, 1500), 0); /* as booked */
        assert_int_equal(ct_file_copy(staged, name), CT_OK);
        assert_int_equal(wait_events(st, 1, 10000), 1);
        ct_stmt *s = NULL;
        assert_int_equal(ct_store_prepare(st,
                                          "SELECT aggregate_id, payload FROM outbox"
                                          " WHERE type = 'trip.schedule_changed'",
                                          &s),
                         CT_OK);
        assert_int_equal(ct_stmt_step(s), CT_ROW);
        assert_string_equal(ct_stmt_text(s, 0), "ord_watch");
        json_error_t jerr;
        json_t *ev = json_loads(ct_stmt_text(s, 1), 0, &jerr);
        ct_stmt_finalize(s);
        assert_non_null(ev);
        json_t *ch = json_array_get(json_object_get(ev, "changes"), 0);
        char now[32];
        ct_utc_format(((ct_utc)l->dep - 30) * 60, now, sizeof(now));
        assert_string_equal(json_string_value(json_object_get(ch, "status")), "retimed");
        assert_string_equal(json_string_value(json_object_get(ch, "new_departure")), now);
        json_decref(ev);
        /* the next polls see no change: still one */
        assert_int_equal(wait_events(st, 2, 2500), 1);
        ct_app_loader_stop(&l1);

        ct_alerts_free(alerts);
        ct_store_close(st);
        ct_store_pool_close(pool);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_replaced_ssim_file_reports_the_booked_flight_retimed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
