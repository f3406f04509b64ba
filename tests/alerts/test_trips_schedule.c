/* test_trips_schedule.c: booked trips' schedule changes while serve runs
 * (ct_alerts_schedule_check), on every engine (SQLite, and PostgreSQL when CT_TEST_PG_URL is
 * set).
 *
 * The small sandbox world's SSIM files are edited the way an airline's new schedule changes
 * them: the booked flight's departure 30 minutes earlier (its type 3 records' STD), then the
 * flight removed (its type 3 and 4 records). Each edited set of files is read by the
 * platform's SSIM reader into a newer timetable, handed to the engine whose attached
 * timetable is the original one (as serve's is), and the outbox must then hold one
 * trip.schedule_changed per new state: retimed with the new time, then cancelled; the same
 * timetable again, or a restart, reports nothing more. */
#include "ct_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/alerts.h"
#include "base/timeutil.h"
#include "pricefill.h"
#include "smallworld.h"
#include "testsupport.h"

static char tmpdir[256];
static ts_small_world world;
static ct_timetable *tt;
static int64_t clock_ms;

static int64_t test_clock(void *ctx)
{
    (void)ctx;
    return clock_ms;
}

static int setup(void **state)
{
    (void)state;
    ts_tempdir(tmpdir, sizeof(tmpdir));
    ts_small_world_open(&world, 7);
    tt = ts_small_world_timetable(&world, 30);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ct_timetable_free(tt);
    ts_small_world_close(&world);
    ts_rmtree(tmpdir);
    return 0;
}

/* ---- SSIM edits ---- */

/* The world's files copied into dir, the records of carrier/number changed: `shift` minutes
 * added to the departure times of its type 3 records leaving `from` (0: none), or, with
 * `drop`, its type 3 and 4 records left out. The copies' paths in paths[] (npaths). */
static void edited_copy(const char *dir, const char *carrier, int number, const char *from,
                        int shift, int drop, char names[][600], const char **paths)
{
    char key[16];
    snprintf(key, sizeof(key), "%-3s%04d", carrier, number);
    for (size_t i = 0; i < world.npaths; i++) {
        FILE *in = fopen(world.paths[i], "rb");
        assert_non_null(in);
        const char *base = strrchr(world.paths[i], '/');
        snprintf(names[i], 600, "%s/%s", dir, base ? base + 1 : world.paths[i]);
        FILE *out = fopen(names[i], "wb");
        assert_non_null(out);
        char rec[256];
        while (fgets(rec, sizeof(rec), in) != NULL) {
            int mine = (rec[0] == '3' || rec[0] == '4') && strncmp(rec + 2, key, 7) == 0;
            if (mine && drop)
                continue;
            if (mine && rec[0] == '3' && shift != 0 && strncmp(rec + 36, from, 3) == 0) {
                for (int col = 39; col <= 43; col += 4) { /* passenger STD, aircraft STD */
                    int hh = (rec[col] - '0') * 10 + rec[col + 1] - '0';
                    int mm = (rec[col + 2] - '0') * 10 + rec[col + 3] - '0';
                    int t = hh * 60 + mm + shift;
                    assert_true(t >= 0 && t < 1440); /* the caller chose a flight that fits */
                    char hhmm[24];
                    snprintf(hhmm, sizeof(hhmm), "%02d%02d", t / 60, t % 60);
                    memcpy(rec + col, hhmm, 4);
                }
            }
            fputs(rec, out);
        }
        fclose(in);
        fclose(out);
        paths[i] = names[i];
    }
}

static ct_timetable *load(const char *const *paths, int64_t from_day, int64_t to_day)
{
    ct_timetable *t = NULL;
    size_t bad = 0;
    assert_int_equal(ct_timetable_load(tt->rd, paths, world.npaths, from_day, to_day, &t, &bad),
                     CT_OK);
    return t;
}

/* A single-leg flight on `day` whose local departure is at least 01:00 (so 30 minutes earlier
 * is the same day): its leg in tt. */
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
        if (others || a->tz == NULL ||
            ct_tz_from_utc(a->tz, (ct_utc)l->dep * 60, &local, &offset) != CT_OK)
            continue;
        if (local.hour >= 1)
            return l;
    }
    fail_msg("no single-leg flight on day %lld", (long long)day);
    return NULL;
}

/* ---- the store ---- */

typedef struct fixture {
    ct_store_pool *pool;
    ct_store *st;
    ct_pricebook *pb;
    ct_alerts *alerts;
} fixture;

static void start_engine(fixture *f)
{
    ct_alerts_config c = {.pool = f->pool, .batch_ms = 1, .now_ms = test_clock};
    assert_int_equal(ct_alerts_new(&c, &f->alerts), CT_OK);
    assert_int_equal(ct_alerts_load(f->alerts, f->st), CT_OK);
    assert_int_equal(ct_alerts_attach(f->alerts, tt, f->pb, NULL), CT_OK);
    assert_int_equal(ct_alerts_start(f->alerts), CT_OK);
}

static void open_fixture(fixture *f, const char *url)
{
    memset(f, 0, sizeof(*f));
    f->st = ts_open_migrated(url);
    assert_int_equal(ct_store_run(f->st,
                                  "INSERT INTO users (id, email, password_hash, created_at, "
                                  "updated_at) VALUES ('usr_a', 'a@example.com', 'x', 0, 0)",
                                  0, NULL),
                     CT_OK);
    char err[256];
    if (ct_store_pool_open(url, 3, &f->pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool %s: %s", url, err);
    f->pb = ts_fill_pricebook(tt);
    clock_ms = (world.start * 86400 + 8 * 3600) * 1000; /* the world's first day, 08:00 UTC */
    start_engine(f);
}

static void close_fixture(fixture *f)
{
    ct_alerts_free(f->alerts);
    ct_pricebook_free(f->pb);
    ct_store_close(f->st);
    ct_store_pool_close(f->pool);
}

/* A confirmed order of usr_a for leg l as it flies in tt (offer + order rows as booking
 * writes them), watched. */
static void book(fixture *f, const char *order_id, const ct_leg *l)
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
    assert_int_equal(ct_store_run(f->st,
                                  "INSERT INTO offers (id, provider, provider_offer_id, "
                                  "itinerary_id, expires_at, currency, total_minor, fee_minor, "
                                  "passengers, body, created_at) VALUES (?, 'ota-eur', 'x', 'it', "
                                  "0, 'EUR', 41000, 0, 1, ?, 0)",
                                  2, (const char *const[]){offer, text}),
                     CT_OK);
    free(text);
    assert_int_equal(ct_store_run(f->st,
                                  "INSERT INTO orders (id, user_id, offer_id, provider, status, "
                                  "currency, total_minor, passengers, last_name, contact_email, "
                                  "created_at, updated_at) VALUES (?, 'usr_a', ?, 'ota-eur', "
                                  "'confirmed', 'EUR', 41000, '[]', 'x', 'x@example.com', 0, 0)",
                                  2, (const char *const[]){order_id, offer}),
                     CT_OK);
    assert_int_equal(ct_alerts_track_order(f->alerts, f->st, order_id), CT_OK);
}

static int64_t events(fixture *f)
{
    int64_t n = -1;
    assert_int_equal(
        ct_store_query_int64(
            f->st, "SELECT COUNT(*) FROM outbox WHERE type = 'trip.schedule_changed'", &n),
        CT_OK);
    return n;
}

/* Waits (5 s at most) until there are `want` events, then 200 ms more for any extra one. */
static int64_t settle(fixture *f, int64_t want)
{
    for (int i = 0; i < 500 && events(f) < want; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    return events(f);
}

/* The `changes[0]` of the newest event (the caller decrefs the event). */
static json_t *newest_change(fixture *f, json_t **event)
{
    ct_stmt *s = NULL;
    assert_int_equal(ct_store_prepare(f->st,
                                      "SELECT payload FROM outbox WHERE type ="
                                      " 'trip.schedule_changed' ORDER BY seq DESC",
                                      &s),
                     CT_OK);
    assert_int_equal(ct_stmt_step(s), CT_ROW);
    json_error_t err;
    *event = json_loads(ct_stmt_text(s, 0), 0, &err);
    ct_stmt_finalize(s);
    assert_non_null(*event);
    json_t *changes = json_object_get(*event, "changes");
    assert_int_equal(json_array_size(changes), 1);
    return json_array_get(changes, 0);
}

/* ---- the test ---- */

/* Every newer timetable is judged: the flight 30 minutes earlier is reported once as retimed
 * (the same files again, or a restart, say nothing more), then the flight gone is reported
 * once as cancelled; a flight departed is not judged. */
static void a_newer_timetable_reports_each_change_once(void **state)
{
    (void)state;
    char urls[2][512];
    int n = ts_store_urls(tmpdir, urls, 2);
    int64_t day = world.start + 9;
    const ct_leg *l = pick_flight(day);
    const char *carrier = tt->carriers[l->carrier];
    const char *from = ct_refdata_airport_at(tt->rd, l->from)->iata;
    char moved_dir[300], gone_dir[300];
    snprintf(moved_dir, sizeof(moved_dir), "%s/moved", tmpdir);
    snprintf(gone_dir, sizeof(gone_dir), "%s/gone", tmpdir);
    ts_write_file(moved_dir, ".keep", "");
    ts_write_file(gone_dir, ".keep", "");
    static char moved_names[TS_SMALL_WORLD_MAX_FILES][600],
        gone_names[TS_SMALL_WORLD_MAX_FILES][600];
    const char *moved_paths[TS_SMALL_WORLD_MAX_FILES], *gone_paths[TS_SMALL_WORLD_MAX_FILES];
    edited_copy(moved_dir, carrier, l->number, from, -30, 0, moved_names, moved_paths);
    edited_copy(gone_dir, carrier, l->number, from, 0, 1, gone_names, gone_paths);
    int c = -1;
    for (size_t i = 0; i < tt->ncarriers; i++)
        c = strcmp(tt->carriers[i], carrier) == 0 ? (int)i : c;

    for (int u = 0; u < n; u++) {
        fixture f;
        open_fixture(&f, urls[u]);
        book(&f, "ord_sched", l);
        int64_t first = 0, last = 0;
        assert_int_equal(ct_alerts_booked_days(f.alerts, &first, &last), 1);
        assert_int_equal(first, day);
        assert_int_equal(last, day);
        /* as the engine's timetable has it: nothing to say */
        assert_int_equal(settle(&f, 0), 0);

        /* the newer files over the booked days (as serve's watch builds them) */
        ct_timetable *moved = load(moved_paths, first - 1, last + 2);
        ct_timetable *gone = load(gone_paths, first - 1, last + 2);
        /* the edits did what they say */
        assert_true(ct_timetable_find_leg(moved, c, l->number,
                                          (uint16_t)ct_timetable_airport(moved, from), l->dep) < 0);
        assert_true(ct_timetable_find_leg(moved, c, l->number,
                                          (uint16_t)ct_timetable_airport(moved, from),
                                          l->dep - 30) >= 0);
        assert_true(ct_timetable_find_leg(gone, c, l->number,
                                          (uint16_t)ct_timetable_airport(gone, from), l->dep) < 0);

        assert_int_equal(ct_alerts_schedule_check(f.alerts, moved), 1);
        assert_int_equal(settle(&f, 1), 1);
        json_t *ev = NULL;
        json_t *ch = newest_change(&f, &ev);
        char booked[32], now[32];
        ct_utc_format((ct_utc)l->dep * 60, booked, sizeof(booked));
        ct_utc_format(((ct_utc)l->dep - 30) * 60, now, sizeof(now));
        assert_string_equal(json_string_value(json_object_get(ev, "order_id")), "ord_sched");
        assert_string_equal(json_string_value(json_object_get(ev, "user_id")), "usr_a");
        assert_string_equal(json_string_value(json_object_get(ch, "status")), "retimed");
        assert_string_equal(json_string_value(json_object_get(ch, "carrier")), carrier);
        assert_int_equal(json_integer_value(json_object_get(ch, "flight_number")), l->number);
        assert_string_equal(json_string_value(json_object_get(ch, "booked_departure")), booked);
        assert_string_equal(json_string_value(json_object_get(ch, "new_departure")), now);
        json_decref(ev);

        /* the same files again: still moved, already told */
        assert_int_equal(ct_alerts_schedule_check(f.alerts, moved), 1);
        assert_int_equal(settle(&f, 1), 1);

        /* a restart over the original timetable, then the moved one: nothing new */
        ct_alerts_free(f.alerts);
        start_engine(&f);
        assert_int_equal(ct_alerts_schedule_check(f.alerts, moved), 1);
        assert_int_equal(settle(&f, 1), 1);

        /* then the flight is gone */
        assert_int_equal(ct_alerts_schedule_check(f.alerts, gone), 1);
        assert_int_equal(settle(&f, 2), 2);
        ch = newest_change(&f, &ev);
        assert_string_equal(json_string_value(json_object_get(ch, "status")), "cancelled");
        assert_true(json_is_null(json_object_get(ch, "new_departure")));
        json_decref(ev);

        /* once it has departed (the clock past it), nothing is judged any more */
        int64_t saved = clock_ms;
        clock_ms = ((int64_t)l->dep + 1) * 60000;
        assert_int_equal(ct_alerts_booked_days(f.alerts, &first, &last), 0);
        assert_int_equal(ct_alerts_schedule_check(f.alerts, moved), 0);
        clock_ms = saved;

        ct_timetable_free(moved);
        ct_timetable_free(gone);
        close_fixture(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_newer_timetable_reports_each_change_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
