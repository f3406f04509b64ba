/* test_price_history_api.c: GET /api/v1/price-history and the insight on search answers and
 * calendars, over real HTTP on the small sandbox world's timetable with the synthetic
 * pricebook (tests/support/pricefill.h: USD 1, EUR 0.92, JPY 150), on every engine. The
 * history's clock is the world's first day, so the world's dates lie ahead. Observations are
 * inserted into route_price by the test: the answers' series, price by departure date and
 * currency conversion follow from them; the band's percentiles are computed here by sorting
 * (nearest rank) and the level is checked at the band's edges against a search's own
 * cheapest price; a search and a calendar note their prices (the rows written match the
 * answers); bad parameters are 400 problems naming the field. */
#include "ct_test.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>

#include "api/api.h"
#include "api/search_cache.h"
#include "base/timeutil.h"
#include "history/history.h"
#include "httpclient.h"
#include "pricefill.h"
#include "search/search.h"
#include "smallworld.h"
#include "testsupport.h"

#define DAY  86400
#define HOUR 3600

static ts_small_world sw;
static ct_timetable *tt;
static ct_pricebook *pb;
static char tmpdir[512];
static int64_t start, fake_now;

typedef struct env {
    ct_app app;
    ct_router *router;
    ct_http_server *server;
    int port;
    ct_store *st; /* the test's own connection */
} env;

static int64_t clock_now(void)
{
    return fake_now;
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    ts_small_world_open(&sw, 5);
    start = sw.start;
    fake_now = start * DAY + 12 * HOUR;
    tt = ts_small_world_timetable(&sw, 61);
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
    curl_global_cleanup();
    return 0;
}

static void env_open(env *e, const char *url)
{
    memset(e, 0, sizeof(*e));
    e->st = ts_open_migrated(url);
    char err[256];
    if (ct_store_pool_open(url, 2, &e->app.pool, err, sizeof(err)) != CT_OK)
        fail_msg("pool: %s", err);
    e->app.refdata = sw.data.refdata;
    atomic_store(&e->app.timetable, tt);
    atomic_store(&e->app.pricebook, pb);
    ct_history_options o = {.now = clock_now, .min_sample = 8};
    assert_int_equal(ct_history_new(&o, &e->app.history), CT_OK);
    e->router = ct_router_create();
    assert_int_equal(ct_api_register(&e->app, e->router), CT_OK);
    ct_http_options opt = {.port = 0, .threads = 2, .workers = 2, .queue = 16};
    assert_int_equal(ct_http_server_start(&opt, e->router, &e->server), CT_OK);
    e->port = ct_http_server_port(e->server);
}

static void env_close(env *e)
{
    ct_http_server_stop(e->server);
    ct_router_destroy(e->router);
    ct_api_free(&e->app);
    ct_history_free(e->app.history);
    ct_store_pool_close(e->app.pool);
    ct_store_close(e->st);
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

static double snap_rate(void *ctx, const char *from, const char *to)
{
    return ct_price_minor_factor(ctx, from, to);
}

static void refresh(env *e)
{
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    assert_int_equal(ct_history_refresh(e->app.history, e->st, snap_rate, (void *)v.snap, NULL),
                     CT_OK);
    ct_pricebook_release(pb, &v);
}

static void date_of(int64_t day, char out[16])
{
    int y, m, d;
    ct_civil_from_days(day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

static json_t *get_json(const env *e, const char *path, long want)
{
    ts_response r = ts_http("GET", e->port, path, NULL, NULL);
    if (r.status != want)
        fail_msg("%s: %ld %s", path, r.status, r.body);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    return j;
}

static int64_t minor_of(json_t *money)
{
    return json_integer_value(json_object_get(money, "amount_minor"));
}

static void series_and_days_from_rows(env *e)
{
    int64_t dep = start + 20, t0 = fake_now / DAY * DAY - 40 * DAY;
    insert_row(e->st, "LON", "NYC", dep, "USD", DAY, t0, 52000);
    insert_row(e->st, "LON", "NYC", dep, "EUR", DAY, t0, 46000); /* USD 500.00: the day's min */
    insert_row(e->st, "LON", "NYC", dep, "USD", HOUR, t0 + 39 * DAY, 51000);
    insert_row(e->st, "LON", "NYC", dep, "JPY", HOUR, t0 + 39 * DAY + HOUR, 75000); /* $500 */
    insert_row(e->st, "LON", "NYC", dep + 2, "USD", HOUR, t0 + 39 * DAY, 61000);
    insert_row(e->st, "LON", "NYC", dep + 2, "USD", HOUR, t0 + 39 * DAY + HOUR, 60000);
    insert_row(e->st, "LON", "NYC", dep + 90, "USD", HOUR, t0 + 39 * DAY, 1000); /* outside */
    insert_row(e->st, "LHR", "JFK", dep, "USD", HOUR, t0 + 39 * DAY, 100);       /* another route */
    char path[256], date[16], from[16], to[16];
    date_of(dep, date);
    date_of(dep - 5, from);
    date_of(dep + 5, to);
    snprintf(path, sizeof(path),
             "/api/v1/price-history?origin=lon&destination=NYC&departure_date=%s&currency=USD"
             "&from=%s&to=%s",
             date, from, to);
    json_t *j = get_json(e, path, 200);
    assert_string_equal(json_string_value(json_object_get(j, "origin")), "LON");
    assert_string_equal(json_string_value(json_object_get(j, "departure_date")), date);
    json_t *h = json_object_get(j, "history");
    assert_int_equal(json_array_size(h), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "span")), "day");
    assert_int_equal(minor_of(json_object_get(json_array_get(h, 0), "price")),
                     llround(46000 / 0.92));
    assert_int_equal(minor_of(json_object_get(json_array_get(h, 1), "price")), 51000);
    assert_int_equal(minor_of(json_object_get(json_array_get(h, 2), "price")), 50000);
    char at[40];
    ct_utc_format((ct_utc)(t0 + 39 * DAY + HOUR), at, sizeof(at));
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 2), "observed_at")),
                        at);
    json_t *days = json_object_get(json_object_get(j, "by_departure_date"), "days");
    assert_int_equal(json_array_size(days), 2);
    json_t *d0 = json_array_get(days, 0), *d1 = json_array_get(days, 1);
    assert_string_equal(json_string_value(json_object_get(d0, "date")), date);
    assert_int_equal(minor_of(json_object_get(d0, "price")), 50000);
    assert_int_equal(minor_of(json_object_get(d0, "lowest")), 50000);
    assert_int_equal(minor_of(json_object_get(d1, "price")), 60000);
    assert_int_equal(minor_of(json_object_get(d1, "lowest")), 60000);
    /* Too few observations for a band: a level of null and a reason, never a made-up band. */
    json_t *in = json_object_get(j, "insight");
    assert_true(json_is_null(json_object_get(in, "level")));
    assert_true(json_is_null(json_object_get(in, "typical_low_minor")));
    assert_non_null(json_string_value(json_object_get(in, "reason")));
    json_decref(j);
    /* In euros, the default range (60 days from today) has both dates. */
    snprintf(path, sizeof(path),
             "/api/v1/price-history?origin=LON&destination=NYC&departure_date=%s&currency=EUR",
             date);
    j = get_json(e, path, 200);
    days = json_object_get(json_object_get(j, "by_departure_date"), "days");
    assert_int_equal(json_array_size(days), 2);
    assert_int_equal(minor_of(json_object_get(json_array_get(days, 0), "price")),
                     llround(50000 * 0.92));
    char today[16];
    date_of(fake_now / DAY, today);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "by_departure_date"), "from")), today);
    json_decref(j);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t nearest_rank(const int64_t *v, int n, double p)
{
    int rank = (int)ceil(p / 100.0 * n);
    return v[(rank < 1 ? 1 : rank) - 1];
}

/* The search's answer for ZRH-LHR one way on `day`, one adult, in USD. */
static json_t *search(const env *e, int64_t day)
{
    char body[256], date[16];
    date_of(day, date);
    snprintf(body, sizeof(body),
             "{\"slices\":[{\"origin\":\"ZRH\",\"destination\":\"LHR\",\"date\":\"%s\"}],"
             "\"currency\":\"USD\",\"sort\":\"cheapest\",\"limit\":1}",
             date);
    ts_response r = ts_http("POST", e->port, "/api/v1/searches", body, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    return j;
}

/* 21 observations of ZRH-LHR 7-13 days before departures around dep, strictly increasing
 * with their number, number `idx` exactly `anchor` (idx 5 is rank 6, the 25th percentile;
 * idx 15 rank 16, the 75th); then the distributions refreshed. OUT: the band computed here. */
static void insert_band(env *e, int64_t dep, int idx, int64_t anchor, int64_t *lo, int64_t *hi)
{
    assert_int_equal(ct_store_exec(e->st, "DELETE FROM route_price WHERE origin = 'ZRH'"), CT_OK);
    int64_t v[21];
    for (int i = 0; i < 21; i++) {
        v[i] = i == idx ? anchor : anchor + (i - idx) * 70 + (i % 3) * 11;
        int64_t d = dep + 1 + i % 4, before = 7 + i % 7;
        insert_row(e->st, "ZRH", "LHR", d, "USD", HOUR, (d - before) * DAY + i * HOUR, v[i]);
    }
    qsort(v, 21, sizeof(v[0]), cmp_i64);
    *lo = nearest_rank(v, 21, 25);
    *hi = nearest_rank(v, 21, 75);
    assert_int_equal(idx == 5 ? *lo : *hi, anchor);
    refresh(e);
}

static void insight_on_searches_at_the_edges(env *e)
{
    int64_t dep = start + 10; /* 10 days before: bucket 7-13 */
    json_t *j = search(e, dep);
    json_t *first = json_array_get(json_object_get(j, "itineraries"), 0);
    int64_t cheapest = minor_of(json_object_get(first, "price"));
    assert_true(cheapest > 2000);
    json_t *in = json_object_get(j, "insight");
    assert_true(json_is_null(json_object_get(in, "level"))); /* nothing recorded yet */
    json_decref(j);
    /* The search noted its cheapest: one row with that price once flushed. */
    assert_int_equal(ct_history_pending(e->app.history), 1);
    size_t written = 0;
    assert_int_equal(ct_history_flush(e->app.history, e->st, &written), CT_OK);
    assert_int_equal(written, 1);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT price_minor FROM route_price WHERE origin = 'ZRH' AND destination = 'LHR'"
             " AND departure_day = %lld AND currency = 'USD' AND span = 3600",
             (long long)dep);
    int64_t stored = 0;
    assert_int_equal(ct_store_query_int64(e->st, sql, &stored), CT_OK);
    assert_int_equal(stored, cheapest);
    struct {
        int idx;
        int64_t anchor;
        const char *level;
    } cases[] = {{5, cheapest, "typical"},
                 {5, cheapest + 1, "low"},
                 {15, cheapest, "typical"},
                 {15, cheapest - 1, "high"}};
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        int64_t lo = 0, hi = 0;
        insert_band(e, dep, cases[k].idx, cases[k].anchor, &lo, &hi);
        j = search(e, dep);
        in = json_object_get(j, "insight");
        assert_string_equal(json_string_value(json_object_get(in, "level")), cases[k].level);
        assert_int_equal(json_integer_value(json_object_get(in, "typical_low_minor")), lo);
        assert_int_equal(json_integer_value(json_object_get(in, "typical_high_minor")), hi);
        assert_string_equal(json_string_value(json_object_get(in, "currency")), "USD");
        json_t *basis = json_object_get(in, "basis");
        assert_int_equal(json_integer_value(json_object_get(basis, "sample_size")), 21);
        assert_string_equal(json_string_value(json_object_get(basis, "bucket")), "7-13");
        assert_int_equal(json_integer_value(json_object_get(basis, "days_before_departure")), 10);
        assert_int_equal(json_integer_value(json_object_get(basis, "compared_minor")), cheapest);
        json_decref(j);
    }
    ct_history_flush(e->app.history, e->st, NULL);
}

/* A cached answer carries the insight of its time: a refresh of the distributions makes the
 * next identical search a miss with the new band. */
static void cached_answers_follow_the_distributions(env *e)
{
    ct_search_cache *cache = NULL;
    assert_int_equal(ct_search_cache_new(64, &cache), CT_OK);
    e->app.search_cache = cache;
    char body[256], date[16];
    date_of(start + 11, date);
    snprintf(body, sizeof(body),
             "{\"slices\":[{\"origin\":\"ZRH\",\"destination\":\"LHR\",\"date\":\"%s\"}],"
             "\"currency\":\"USD\",\"limit\":1}",
             date);
    const char *want[] = {"miss", "hit", "miss"};
    for (int k = 0; k < 3; k++) {
        if (k == 2)
            refresh(e);
        ts_response r = ts_http("POST", e->port, "/api/v1/searches", body, NULL);
        assert_int_equal(r.status, 200);
        char header[32];
        snprintf(header, sizeof(header), "X-Cache: %s", want[k]);
        assert_true(ts_has_header(&r, header));
        ts_response_free(&r);
    }
    e->app.search_cache = NULL;
    ct_search_cache_free(cache);
    ct_history_flush(e->app.history, e->st, NULL);
}

static void calendar_days_carry_insight(env *e)
{
    char path[256], date[16];
    date_of(start + 5, date);
    snprintf(path, sizeof(path),
             "/api/v1/calendar?origin=LON&destination=NYC&start=%s&days=7&currency=USD", date);
    size_t before = ct_history_pending(e->app.history);
    json_t *j = get_json(e, path, 200);
    json_t *days = json_object_get(j, "days");
    size_t priced = 0, i;
    json_t *d;
    json_array_foreach(days, i, d)
    {
        json_t *in = json_object_get(d, "insight");
        assert_true(json_is_object(in));
        assert_string_equal(json_string_value(json_object_get(in, "currency")), "USD");
        priced += !json_is_null(json_object_get(d, "price"));
    }
    assert_true(priced > 0);
    assert_int_equal(ct_history_pending(e->app.history) - before, priced);
    json_decref(j);
    /* A round trip's grid: no level, a reason. */
    char ret[16];
    date_of(start + 12, ret);
    snprintf(path, sizeof(path),
             "/api/v1/calendar?origin=LON&destination=NYC&depart=%s&return=%s&currency=USD", date,
             ret);
    j = get_json(e, path, 200);
    json_t *in = json_object_get(j, "insight");
    assert_true(json_is_null(json_object_get(in, "level")));
    assert_non_null(json_string_value(json_object_get(in, "reason")));
    json_decref(j);
}

static void bad_input_names_the_field(env *e)
{
    char date[16], later[16];
    date_of(start + 20, date);
    date_of(start + 10, later);
    struct {
        const char *query, *field;
    } cases[] = {
        {"destination=NYC&departure_date=DATE", "origin"},
        {"origin=XXQ&destination=NYC&departure_date=DATE", "origin"},
        {"origin=LON&departure_date=DATE", "destination"},
        {"origin=LON&destination=lon&departure_date=DATE", "destination"},
        {"origin=LON&destination=NYC", "departure_date"},
        {"origin=LON&destination=NYC&departure_date=2026-13-01&x=DATE", "departure_date"},
        {"origin=LON&destination=NYC&departure_date=DATE&cabin=premium", "cabin"},
        {"origin=LON&destination=NYC&departure_date=DATE&currency=EURO", "currency"},
        {"origin=LON&destination=NYC&departure_date=DATE&currency=XYZ", "currency"},
        {"origin=LON&destination=NYC&departure_date=DATE&from=tomorrow", "from"},
        {"origin=LON&destination=NYC&departure_date=DATE&to=2099-01-01", "to"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char path[300];
        const char *at = strstr(cases[k].query, "DATE");
        if (at != NULL)
            snprintf(path, sizeof(path), "/api/v1/price-history?%.*s%s%s",
                     (int)(at - cases[k].query), cases[k].query, date, at + 4);
        else
            snprintf(path, sizeof(path), "/api/v1/price-history?%s", cases[k].query);
        ts_response r = ts_http("GET", e->port, path, NULL, NULL);
        if (r.status != 400)
            fail_msg("%s: %ld", path, r.status);
        assert_true(ts_has_header(&r, "application/problem+json"));
        json_t *j = ts_json(&r);
        json_t *err = json_array_get(json_object_get(j, "errors"), 0);
        if (strcmp(json_string_value(json_object_get(err, "field")), cases[k].field) != 0)
            fail_msg("%s: field %s", path, json_string_value(json_object_get(err, "field")));
        json_decref(j);
        ts_response_free(&r);
    }
    /* to before from */
    char path[300];
    snprintf(path, sizeof(path),
             "/api/v1/price-history?origin=LON&destination=NYC&departure_date=%s&from=%s&to=%s",
             date, date, later);
    ts_response r = ts_http("GET", e->port, path, NULL, NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"to\""));
    ts_response_free(&r);
}

static void every_engine(void **state)
{
    (void)state;
    char urls[2][512];
    int n = ts_store_urls(tmpdir, urls, 2);
    for (int i = 0; i < n; i++) {
        env e;
        env_open(&e, urls[i]);
        series_and_days_from_rows(&e);
        insight_on_searches_at_the_edges(&e);
        cached_answers_follow_the_distributions(&e);
        calendar_days_carry_insight(&e);
        bad_input_names_the_field(&e);
        env_close(&e);
    }
}

static void no_history_means_503_and_a_reason(void **state)
{
    (void)state;
    env e;
    char urls[2][512];
    ts_store_urls(tmpdir, urls, 1);
    env_open(&e, urls[0]);
    ct_history *h = e.app.history;
    e.app.history = NULL;
    json_t *j = search(&e, start + 10);
    json_t *in = json_object_get(j, "insight");
    assert_true(json_is_null(json_object_get(in, "level")));
    assert_non_null(json_string_value(json_object_get(in, "reason")));
    json_decref(j);
    char path[256], date[16];
    date_of(start + 10, date);
    snprintf(path, sizeof(path),
             "/api/v1/price-history?origin=LON&destination=NYC&departure_date=%s", date);
    json_decref(get_json(&e, path, 503));
    e.app.history = h;
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_engine),
        cmocka_unit_test(no_history_means_503_and_a_reason),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
