/* test_search_api.c: POST /api/v1/searches over real HTTP on a timetable built from the small
 * sandbox world's SSIM: answers equal the engine's, legs carry local and UTC times and chain,
 * invalid requests name the field, and no schedules means 503. */
#include "ct_test.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "base/timeutil.h"
#include "httpclient.h"
#include "sandbox/sandbox_data.h"
#include "sandbox/ssim_write.h"
#include "search/search.h"
#include "testsupport.h"

static sb_data world;
static ct_timetable *tt;
static ct_app app;
static ct_router *router;
static ct_http_server *server;
static int port;
static char dir[256];
static int64_t start;

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ct_date_parse("2026-11-23", &start);
    char err[256];
    sb_world_params p = {5, start, SB_WORLD_SMALL, ts_refdata_dir()};
    if (sb_data_open(&p, &world, err, sizeof(err)))
        fail_msg("world: %s", err);
    ts_tempdir(dir, sizeof(dir));
    sb_ssim_stats st = {0};
    sb_ssim_write_world(world.world, dir, start, &st);
    static char names[64][300];
    const char *paths[64];
    int n = 0;
    for (int c = 0; c < world.world->ncarriers && n < 64; c++, n++) {
        snprintf(names[n], sizeof(names[n]), "%s/%s.ssim", dir, world.world->carriers[c].code);
        paths[n] = names[n];
    }
    if (ct_timetable_load(world.refdata, paths, (size_t)n, start, start + 60, &tt, NULL))
        fail_msg("timetable");
    app.refdata = world.refdata;
    atomic_store(&app.timetable, tt);
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
    ct_timetable_free(tt);
    sb_data_close(&world);
    ts_rmtree(dir);
    curl_global_cleanup();
    return 0;
}

static void search_answers_like_the_engine(void **state)
{
    (void)state;
    int checked = 0;
    const char *pairs[][2] = {{"LON", "NYC"}, {"ZRH", "LHR"}, {"FRA", "HND"}, {"CDG", "SYD"}};
    for (size_t k = 0; k < 4; k++) {
        char body[256], date[16];
        int y, m, d;
        ct_civil_from_days(start + 7, &y, &m, &d);
        snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
        snprintf(body, sizeof(body),
                 "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}]}",
                 pairs[k][0], pairs[k][1], date);
        ts_response r = ts_http("POST", port, "/api/v1/searches", body, NULL);
        assert_int_equal(r.status, 200);
        json_t *j = ts_json(&r);
        json_t *items = json_object_get(j, "itineraries");
        /* The same count as the engine gives directly. */
        uint16_t o[8], de[8];
        int no = 0, nd = 0;
        const ct_metro *mo = ct_refdata_metro(tt->rd, pairs[k][0]);
        const ct_metro *md = ct_refdata_metro(tt->rd, pairs[k][1]);
        for (int i = 0; mo && i < mo->nairports; i++)
            o[no++] = (uint16_t)ct_timetable_airport(tt, mo->airports[i]->iata);
        if (!mo)
            o[no++] = (uint16_t)ct_timetable_airport(tt, pairs[k][0]);
        for (int i = 0; md && i < md->nairports; i++)
            de[nd++] = (uint16_t)ct_timetable_airport(tt, md->airports[i]->iata);
        if (!md)
            de[nd++] = (uint16_t)ct_timetable_airport(tt, pairs[k][1]);
        ct_search_query q = {o, no, de, nd, start + 7, 2, NULL};
        ct_search_result res;
        assert_int_equal(ct_search_oneway(tt, &q, &res), CT_OK);
        assert_int_equal(json_array_size(items), res.n);
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            json_t *legs = json_object_get(it, "legs");
            assert_int_equal(json_array_size(legs), res.items[i].nlegs);
            assert_int_equal(json_integer_value(json_object_get(it, "stops")),
                             res.items[i].nlegs - 1);
            for (size_t l = 0; l < json_array_size(legs); l++) {
                json_t *leg = json_array_get(legs, l);
                const ct_leg *want = res.items[i].legs[l];
                assert_int_equal(json_integer_value(json_object_get(leg, "flight_number")),
                                 want->number);
                ct_utc dep;
                assert_int_equal(
                    ct_utc_parse(json_string_value(json_object_get(leg, "departure_utc")), &dep),
                    CT_OK);
                assert_int_equal(dep, (ct_utc)want->dep * 60);
                /* The local time names the same instant. */
                ct_utc local;
                assert_int_equal(
                    ct_utc_parse(json_string_value(json_object_get(leg, "departure_local")),
                                 &local),
                    CT_OK);
                assert_int_equal(local, dep);
                if (l > 0)
                    assert_string_equal(json_string_value(json_object_get(leg, "origin")),
                                        json_string_value(json_object_get(
                                            json_array_get(legs, l - 1), "destination")));
                checked++;
            }
        }
        ct_search_result_free(&res);
        json_decref(j);
        ts_response_free(&r);
    }
    assert_true(checked > 10);
}

static void round_trip_has_one_set_per_slice(void **state)
{
    (void)state;
    char body[512], out[16], back[16];
    int y, m, d;
    ct_civil_from_days(start + 7, &y, &m, &d);
    snprintf(out, sizeof(out), "%04d-%02d-%02d", y, m, d);
    ct_civil_from_days(start + 14, &y, &m, &d);
    snprintf(back, sizeof(back), "%04d-%02d-%02d", y, m, d);
    snprintf(body, sizeof(body),
             "{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":\"%s\"},"
             "{\"origin\":\"NYC\",\"destination\":\"LON\",\"date\":\"%s\"}]}",
             out, back);
    ts_response r = ts_http("POST", port, "/api/v1/searches", body, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    json_t *slices = json_object_get(j, "slices");
    assert_int_equal(json_array_size(slices), 2);
    json_t *ret = json_array_get(slices, 1);
    assert_string_equal(json_string_value(json_object_get(ret, "date")), back);
    json_t *items = json_object_get(ret, "itineraries");
    assert_true(json_array_size(items) > 0);
    /* The return slice's itineraries leave from New York on the return date. */
    json_t *leg0 = json_array_get(json_object_get(json_array_get(items, 0), "legs"), 0);
    const char *o = json_string_value(json_object_get(leg0, "origin"));
    assert_true(strcmp(o, "JFK") == 0 || strcmp(o, "EWR") == 0 || strcmp(o, "LGA") == 0);
    assert_string_equal(json_string_value(json_object_get(leg0, "departure_date")), back);
    /* "itineraries" repeats the first slice. */
    assert_true(json_equal(json_object_get(j, "itineraries"),
                           json_object_get(json_array_get(slices, 0), "itineraries")));
    json_decref(j);
    ts_response_free(&r);
}

static long status_of(const char *body)
{
    ts_response r = ts_http("POST", port, "/api/v1/searches", body, NULL);
    long s = r.status;
    if (s == 400 && strstr(r.body, "\"field\"") == NULL)
        s = -400; /* a 400 must name the field */
    ts_response_free(&r);
    return s;
}

static void bad_requests_name_the_field(void **state)
{
    (void)state;
    assert_int_equal(status_of("{}"), 400);
    assert_int_equal(status_of("{\"slices\":[]}"), 400);
    assert_int_equal(
        status_of(
            "{\"slices\":[{\"origin\":\"QQQ\",\"destination\":\"NYC\",\"date\":\"2026-12-01\"}]}"),
        400);
    assert_int_equal(
        status_of(
            "{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":\"2026-13-01\"}]}"),
        400);
    assert_int_equal(
        status_of(
            "{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":\"2031-01-01\"}]}"),
        400);
    assert_int_equal(
        status_of(
            "{\"slices\":[{\"origin\":\"LON\",\"destination\":\"LHR\",\"date\":\"2026-12-01\"}]}"),
        400);
    assert_int_equal(status_of("{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":"
                               "\"2026-12-01\"}],\"max_stops\":3}"),
                     400);
    /* Dates must not go backwards; at most six slices. */
    assert_int_equal(status_of("{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":"
                               "\"2026-12-08\"},{\"origin\":\"NYC\",\"destination\":\"LON\","
                               "\"date\":\"2026-12-01\"}]}"),
                     400);
    char seven[1024] = "{\"slices\":[";
    for (int i = 0; i < 7; i++)
        strcat(seven, i ? ",{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":\"2026-12-01\"}"
                        : "{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":\"2026-12-01\"}");
    strcat(seven, "]}");
    assert_int_equal(status_of(seven), 400);
    assert_int_equal(status_of("not json"), 400);
    atomic_store(&app.timetable, NULL);
    ts_response r = ts_http("POST", port, "/api/v1/searches",
                            "{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":"
                            "\"2026-12-01\"}]}",
                            NULL);
    assert_int_equal(r.status, 503);
    assert_true(ts_has_header(&r, "Retry-After: 2"));
    ts_response_free(&r);
    atomic_store(&app.timetable, tt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(search_answers_like_the_engine),
        cmocka_unit_test(round_trip_has_one_set_per_slice),
        cmocka_unit_test(bad_requests_name_the_field),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
