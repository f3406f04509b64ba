/* test_search_api.c: the search endpoints over real HTTP on a timetable built from the small
 * sandbox world's SSIM. Schedule-only first (answers equal the engine's, legs carry local and
 * UTC times and chain), then with a synthetic pricebook (tests/support/pricefill.h): every
 * provider's offer, the price is the lowest, currencies convert, filters, sorts and pages
 * hold, round trips combine, calendar, date grid and explore agree with the engine; invalid
 * requests name the field, and no schedules means 503. */
#include "ct_test.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/search_cache.h"
#include "base/timeutil.h"
#include "httpclient.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "search/search.h"
#include "pricefill.h"
#include "search/calendar.h"
#include "smallworld.h"
#include "testsupport.h"

static ts_small_world sw;
static ct_timetable *tt;
static ct_app app;
static ct_router *router;
static ct_http_server *server;
static int port;
static int64_t start;

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_small_world_open(&sw, 5);
    start = sw.start;
    tt = ts_small_world_timetable(&sw, 61);
    app.refdata = sw.data.refdata;
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
    ts_small_world_close(&sw);
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
                 "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"
                 "\"sort\":\"earliest\",\"limit\":100}",
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
        assert_int_equal(json_integer_value(json_object_get(j, "total")), res.n);
        assert_int_equal(json_array_size(items), res.n < 100 ? res.n : 100);
        assert_true(json_is_false(json_object_get(j, "priced")));
        size_t i;
        json_t *trip;
        json_array_foreach(items, i, trip)
        {
            assert_true(json_is_null(json_object_get(trip, "price")));
            json_t *it = json_array_get(json_object_get(trip, "slices"), 0);
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

static void round_trip_combines_slices(void **state)
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
    json_t *items = json_object_get(j, "itineraries");
    assert_true(json_array_size(items) > 0);
    size_t i;
    json_t *trip;
    json_array_foreach(items, i, trip)
    {
        json_t *sl = json_object_get(trip, "slices");
        assert_int_equal(json_array_size(sl), 2);
        /* The return slice leaves from New York on the return date. */
        json_t *leg0 = json_array_get(json_object_get(json_array_get(sl, 1), "legs"), 0);
        const char *o = json_string_value(json_object_get(leg0, "origin"));
        assert_true(strcmp(o, "JFK") == 0 || strcmp(o, "EWR") == 0 || strcmp(o, "LGA") == 0);
        assert_string_equal(json_string_value(json_object_get(leg0, "departure_date")), back);
    }
    /* Each slice's duration range holds that slice of every itinerary of the page. */
    json_t *ranges = json_object_get(json_object_get(j, "facets"), "slice_duration_ranges");
    assert_int_equal(json_array_size(ranges), 2);
    json_array_foreach(items, i, trip)
    {
        for (size_t k = 0; k < 2; k++) {
            json_int_t mins = json_integer_value(json_object_get(
                json_array_get(json_object_get(trip, "slices"), k), "duration_minutes"));
            json_t *rg = json_array_get(ranges, k);
            assert_true(mins >= json_integer_value(json_object_get(rg, "min")));
            assert_true(mins <= json_integer_value(json_object_get(rg, "max")));
        }
    }
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

/* ---- priced ---- */

static ct_pricebook *pb;

static const char *day_str(int64_t day, char out[16])
{
    int y, m, d;
    ct_civil_from_days(day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
    return out;
}

static json_t *post_json(const char *body)
{
    ts_response r = ts_http("POST", port, "/api/v1/searches", body, NULL);
    if (r.status != 200)
        fail_msg("status %ld: %s", r.status, r.body);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    return j;
}

static json_t *get_json(const char *path)
{
    ts_response r = ts_http("GET", port, path, NULL, NULL);
    if (r.status != 200)
        fail_msg("status %ld: %s", r.status, r.body);
    json_t *j = ts_json(&r);
    ts_response_free(&r);
    return j;
}

/* A money object's minor units, after checking its decimal amount says the same. */
static json_int_t minor_of(json_t *money)
{
    json_int_t minor = json_integer_value(json_object_get(money, "amount_minor"));
    const char *cur = json_string_value(json_object_get(money, "currency"));
    assert_non_null(cur);
    char want[48];
    int digits = ct_currency_minor_digits(cur);
    if (digits == 0)
        snprintf(want, sizeof(want), "%lld", (long long)minor);
    else if (digits == 3) /* KWD, BHD, ...: fils */
        snprintf(want, sizeof(want), "%lld.%03lld", (long long)(minor / 1000),
                 (long long)(minor % 1000));
    else
        snprintf(want, sizeof(want), "%lld.%02lld", (long long)(minor / 100),
                 (long long)(minor % 100));
    assert_string_equal(json_string_value(json_object_get(money, "amount")), want);
    return minor;
}

/* The engine's cheapest price for a one-way query (with the API's pricing), or -1. */
static int64_t engine_cheapest_in(const char *from, const char *to, int64_t day, int max_stops,
                                  const char *currency, ct_cabin cabin)
{
    uint16_t o[8], d[8];
    int no = 0, nd = 0;
    const ct_metro *mo = ct_refdata_metro(tt->rd, from), *md = ct_refdata_metro(tt->rd, to);
    for (int i = 0; mo && i < mo->nairports; i++)
        o[no++] = (uint16_t)ct_timetable_airport(tt, mo->airports[i]->iata);
    if (!mo)
        o[no++] = (uint16_t)ct_timetable_airport(tt, from);
    for (int i = 0; md && i < md->nairports; i++)
        d[nd++] = (uint16_t)ct_timetable_airport(tt, md->airports[i]->iata);
    if (!md)
        d[nd++] = (uint16_t)ct_timetable_airport(tt, to);
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    ct_price_ctx pc;
    assert_int_equal(ct_price_ctx_init(&pc, &v, cabin, 1, 1, currency), CT_OK);
    ct_search_query q = {o, no, d, nd, day, max_stops, &pc};
    ct_search_result r;
    assert_int_equal(ct_search_oneway(tt, &q, &r), CT_OK);
    int64_t best = -1;
    for (size_t i = 0; i < r.n; i++) {
        if (r.items[i].price != CT_PRICE_UNKNOWN && (best < 0 || r.items[i].price < best))
            best = r.items[i].price;
    }
    ct_search_result_free(&r);
    ct_pricebook_release(pb, &v);
    return best;
}

static int64_t engine_cheapest(const char *from, const char *to, int64_t day, int max_stops,
                               const char *currency)
{
    return engine_cheapest_in(from, to, day, max_stops, currency, CT_CABIN_ECONOMY);
}

static void priced_search_lists_every_offer(void **state)
{
    (void)state;
    pb = ts_fill_pricebook(tt);
    atomic_store(&app.pricebook, pb);
    const char *pairs[][2] = {{"LON", "NYC"}, {"ZRH", "LHR"}, {"FRA", "HND"}, {"CDG", "SYD"}};
    int priced = 0, multi_offer = 0;
    for (size_t k = 0; k < 4; k++) {
        char body[512], date[16];
        snprintf(body, sizeof(body),
                 "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"
                 "\"currency\":\"EUR\",\"sort\":\"cheapest\",\"limit\":100}",
                 pairs[k][0], pairs[k][1], day_str(start + 9, date));
        json_t *j = post_json(body);
        assert_true(json_is_true(json_object_get(j, "priced")));
        json_t *items = json_object_get(j, "itineraries"), *trip;
        size_t i;
        json_int_t prev = -1;
        int seen_null = 0;
        json_array_foreach(items, i, trip)
        {
            json_t *price = json_object_get(trip, "price"),
                   *offers = json_object_get(trip, "offers");
            if (json_is_null(price)) {
                seen_null = 1; /* schedule-only: after every priced one */
                assert_int_equal(json_array_size(offers), 0);
                continue;
            }
            assert_false(seen_null);
            assert_string_equal(json_string_value(json_object_get(price, "currency")), "EUR");
            json_int_t p = minor_of(price), lowest = -1;
            assert_true(p >= prev); /* cheapest first */
            prev = p;
            size_t o;
            json_t *of;
            json_array_foreach(offers, o, of)
            {
                json_int_t x = minor_of(json_object_get(of, "price"));
                lowest = lowest < 0 || x < lowest ? x : lowest;
                const char *prov = json_string_value(json_object_get(of, "provider"));
                if (strcmp(prov, "ota-eur") == 0) /* its own currency: no conversion */
                    assert_int_equal(minor_of(json_object_get(of, "original")), x);
            }
            assert_int_equal(lowest, p); /* the price is the lowest offer */
            multi_offer += json_array_size(offers) >= 2;
            priced++;
        }
        /* The cheapest equals the engine's. */
        int64_t want = engine_cheapest(pairs[k][0], pairs[k][1], start + 9, 2, "EUR");
        if (want >= 0)
            assert_int_equal(minor_of(json_object_get(json_array_get(items, 0), "price")), want);
        json_decref(j);
    }
    assert_true(priced > 5);
    /* A nonstop on a carrier both agencies sell (pricefill.h) lists both offers. */
    for (size_t l = 0; l < tt->nlegs && multi_offer == 0; l += 7) {
        const ct_leg *leg = &tt->legs[l];
        if (leg->carrier % 6 != 2 || leg->local_date < start + 5)
            continue;
        char body[512], date[16];
        snprintf(body, sizeof(body),
                 "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"
                 "\"max_stops\":0,\"currency\":\"EUR\"}",
                 ct_refdata_airport_at(tt->rd, leg->from)->iata,
                 ct_refdata_airport_at(tt->rd, leg->to)->iata, day_str(leg->local_date, date));
        json_t *j = post_json(body);
        size_t i;
        json_t *trip;
        json_array_foreach(json_object_get(j, "itineraries"), i, trip) multi_offer +=
            json_array_size(json_object_get(trip, "offers")) >= 2;
        json_decref(j);
    }
    assert_true(multi_offer > 0);
}

/* One itinerary's offer of provider `prov` in an answer (NULL when absent). */
static json_t *offer_of(json_t *answer, const char *id, const char *prov)
{
    size_t i, o;
    json_t *trip, *of;
    json_array_foreach(json_object_get(answer, "itineraries"), i, trip)
    {
        if (strcmp(json_string_value(json_object_get(trip, "id")), id) != 0)
            continue;
        json_array_foreach(json_object_get(trip, "offers"), o, of)
        {
            if (strcmp(json_string_value(json_object_get(of, "provider")), prov) == 0)
                return of;
        }
    }
    return NULL;
}

/* Passenger types over HTTP: two adults, a child, an infant in a seat and one on a lap pay
 * 2 F + 2 floor(0.75 F) + floor(0.10 F) + 5 fees at each provider (F: the adult fare, read
 * from a search for four adults, which needs the same four seats), and the price in KWD is
 * written with three decimals. */
static void children_and_infants_pay_their_fares(void **state)
{
    (void)state;
    const char *pairs[][2] = {{"LON", "NYC"}, {"ZRH", "LHR"}, {"FRA", "HND"}, {"CDG", "SYD"}};
    int compared = 0;
    for (size_t k = 0; k < 4; k++) {
        char body[640], date[16];
#define PAX_BODY                                                                                   \
    "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"                    \
    "\"currency\":\"KWD\",\"sort\":\"cheapest\",\"limit\":100,\"passengers\":%s}"
        snprintf(body, sizeof(body), PAX_BODY, pairs[k][0], pairs[k][1], day_str(start + 9, date),
                 "{\"adults\":4}");
        json_t *four = post_json(body);
        snprintf(body, sizeof(body), PAX_BODY, pairs[k][0], pairs[k][1], day_str(start + 9, date),
                 "{\"adults\":2,\"children\":1,\"infants\":1,\"infants_in_seat\":1}");
        json_t *mixed = post_json(body);
        json_t *pax = json_object_get(mixed, "passengers");
        assert_int_equal(json_integer_value(json_object_get(pax, "infants_in_seat")), 1);
        size_t i, o;
        json_t *trip, *of;
        json_array_foreach(json_object_get(mixed, "itineraries"), i, trip)
        {
            if (json_is_null(json_object_get(trip, "price")))
                continue;
            assert_string_equal(
                json_string_value(json_object_get(json_object_get(trip, "price"), "currency")),
                "KWD");
            minor_of(json_object_get(trip, "price")); /* "12.345": three decimals */
            const char *id = json_string_value(json_object_get(trip, "id"));
            json_array_foreach(json_object_get(trip, "offers"), o, of)
            {
                const char *prov = json_string_value(json_object_get(of, "provider"));
                json_t *other = offer_of(four, id, prov);
                /* the fees of pricefill.h's providers, in their own minor units */
                json_int_t fee = strcmp(prov, "ota-eur") == 0   ? 1200
                                 : strcmp(prov, "ota-jpy") == 0 ? 1500
                                 : strcmp(prov, "hop") == 0     ? 1800
                                                                : 0;
                if (other == NULL)
                    continue;
                json_int_t four_native = minor_of(json_object_get(other, "original"));
                json_int_t f = four_native / 4 - fee;
                json_int_t want = 2 * f + 2 * (f * 75 / 100) + f * 10 / 100 + 5 * fee;
                assert_int_equal(minor_of(json_object_get(of, "original")), want);
                assert_true(minor_of(json_object_get(of, "price")) <
                            minor_of(json_object_get(other, "price")) * 5 / 4);
                compared++;
            }
        }
        json_decref(four);
        json_decref(mixed);
    }
    assert_true(compared > 3);
}

/* Premium economy, business and first over HTTP: the answer names the cabin, prices it as the
 * engine does in that cabin (dearer than economy on the same route), and a route flown only
 * by aircraft without the cabin has no priced itinerary in it. */
static void every_cabin_is_searched(void **state)
{
    (void)state;
    static const ct_cabin cabins[] = {CT_CABIN_PREMIUM, CT_CABIN_BUSINESS, CT_CABIN_FIRST};
    for (size_t c = 0; c < sizeof(cabins) / sizeof(cabins[0]); c++) {
        int checked = 0;
        for (size_t l = 0; l < tt->nlegs && checked < 3; l += 5) {
            const ct_leg *leg = &tt->legs[l];
            if (!ct_leg_has_cabin(leg, cabins[c]) || leg->local_date < start + 5)
                continue;
            const char *from = ct_refdata_airport_at(tt->rd, leg->from)->iata;
            const char *to = ct_refdata_airport_at(tt->rd, leg->to)->iata;
            int64_t want = engine_cheapest_in(from, to, leg->local_date, 0, "USD", cabins[c]);
            int64_t economy =
                engine_cheapest_in(from, to, leg->local_date, 0, "USD", CT_CABIN_ECONOMY);
            if (want < 0 || economy < 0)
                continue;
            char body[512], date[16];
            snprintf(body, sizeof(body),
                     "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"
                     "\"max_stops\":0,\"currency\":\"USD\",\"sort\":\"cheapest\",\"cabin\":\"%s\"}",
                     from, to, day_str(leg->local_date, date), ct_cabin_name(cabins[c]));
            json_t *j = post_json(body);
            assert_string_equal(json_string_value(json_object_get(j, "cabin")),
                                ct_cabin_name(cabins[c]));
            json_t *first = json_array_get(json_object_get(j, "itineraries"), 0);
            assert_int_equal(minor_of(json_object_get(first, "price")), want);
            assert_true(want > economy);
            json_decref(j);
            checked++;
        }
        int flown = 0; /* the small world may fly no aircraft with the cabin (first) */
        for (size_t l = 0; l < tt->nlegs && !flown; l++)
            flown = ct_leg_has_cabin(&tt->legs[l], cabins[c]);
        assert_true(checked >= 1 || (!flown && cabins[c] == CT_CABIN_FIRST));
    }
    /* A nonstop on an aircraft without first: none in first, priced in economy. */
    for (size_t l = 0; l < tt->nlegs; l += 11) {
        const ct_leg *leg = &tt->legs[l];
        if (leg->seats_f > 0 || leg->local_date < start + 5)
            continue;
        const char *from = ct_refdata_airport_at(tt->rd, leg->from)->iata;
        const char *to = ct_refdata_airport_at(tt->rd, leg->to)->iata;
        int other_first = 0; /* another nonstop of the day with first */
        for (uint32_t k = tt->first[leg->from]; k < tt->first[leg->from + 1]; k++)
            other_first |= tt->legs[k].to == leg->to && tt->legs[k].seats_f > 0;
        if (other_first ||
            engine_cheapest_in(from, to, leg->local_date, 0, "USD", CT_CABIN_ECONOMY) < 0)
            continue;
        assert_true(engine_cheapest_in(from, to, leg->local_date, 0, "USD", CT_CABIN_FIRST) < 0);
        char body[512], date[16];
        snprintf(body, sizeof(body),
                 "{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],"
                 "\"max_stops\":0,\"currency\":\"USD\",\"cabin\":\"first\"}",
                 from, to, day_str(leg->local_date, date));
        json_t *j = post_json(body);
        size_t i;
        json_t *trip;
        json_array_foreach(json_object_get(j, "itineraries"), i, trip)
            assert_true(json_is_null(json_object_get(trip, "price")));
        json_decref(j);
        return;
    }
    fail_msg("no nonstop without first");
}

#define BASE                                                                                       \
    "{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":"                           \
    "\"%s\"}],\"currency\":\"USD\",%s\"limit\":100}"

static void filters_sorts_and_pages(void **state)
{
    (void)state;
    char body[1024], date[16];
    day_str(start + 9, date);
    snprintf(body, sizeof(body), BASE, date, "");
    json_t *all = post_json(body);
    json_int_t total = json_integer_value(json_object_get(all, "total"));
    assert_true(total > 3);
    /* Pages concatenate to the whole list. */
    json_t *ids = json_array();
    for (int off = 0; off < 6; off += 3) {
        snprintf(body, sizeof(body),
                 "{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":\"%s\"}],"
                 "\"currency\":\"USD\",\"offset\":%d,\"limit\":3}",
                 date, off);
        json_t *page = post_json(body);
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(page, "itineraries"), i, t)
            json_array_append(ids, json_object_get(t, "id"));
        json_decref(page);
    }
    for (size_t i = 0; i < json_array_size(ids); i++)
        assert_true(json_equal(
            json_array_get(ids, i),
            json_object_get(json_array_get(json_object_get(all, "itineraries"), i), "id")));
    json_decref(ids);
    /* Nonstop only; max price; a departure window; no self-transfer; fastest. */
    struct {
        const char *opts;
        int check;
    } cases[] = {
        {"\"filters\":{\"stops\":[0]},", 0},
        {"\"filters\":{\"max_price\":900},", 1},
        {"\"filters\":{\"departure_window\":{\"from\":\"06:00\",\"to\":\"11:59\"}},", 2},
        {"\"filters\":{\"no_self_transfer\":true},", 3},
        {"\"sort\":\"fastest\",", 4},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        snprintf(body, sizeof(body), BASE, date, cases[c].opts);
        json_t *j = post_json(body);
        assert_true(json_integer_value(json_object_get(j, "total")) <= total);
        assert_int_equal(json_integer_value(json_object_get(j, "unfiltered_total")), total);
        size_t i;
        json_t *t;
        json_int_t prev = 0;
        json_array_foreach(json_object_get(j, "itineraries"), i, t)
        {
            json_t *sl = json_array_get(json_object_get(t, "slices"), 0);
            switch (cases[c].check) {
            case 0:
                assert_int_equal(json_integer_value(json_object_get(sl, "stops")), 0);
                break;
            case 1:
                assert_true(minor_of(json_object_get(t, "price")) <= 90000);
                break;
            case 2: {
                const char *local = json_string_value(json_object_get(sl, "departure_local"));
                int hh = atoi(local + 11);
                assert_true(hh >= 6 && hh < 12);
                break;
            }
            case 3:
                assert_true(json_is_false(json_object_get(t, "self_transfer")));
                break;
            default: {
                json_int_t d = json_integer_value(json_object_get(t, "duration_minutes"));
                assert_true(d >= prev);
                prev = d;
            }
            }
        }
        json_decref(j);
    }
    /* Emissions per passenger (search/emissions.h): every itinerary has them, labelled
     * against the answer's typical; a London-New York economy trip weighs a few hundred kg;
     * sorted by them; the "lower" filter keeps the lower ones only. */
    size_t ti;
    json_t *tt_;
    json_array_foreach(json_object_get(all, "itineraries"), ti, tt_)
    {
        json_t *em = json_object_get(tt_, "emissions");
        json_int_t kg = json_integer_value(json_object_get(em, "co2e_kg"));
        const char *label = json_string_value(json_object_get(em, "label"));
        if (kg < 200 || kg > 3000 || label == NULL)
            fail_msg("itinerary %zu: %lld kg, %s", ti, (long long)kg, label ? label : "no label");
        json_int_t typical = json_integer_value(json_object_get(em, "typical_kg"));
        assert_string_equal(label, kg * 10 <= typical * 9    ? "lower"
                                   : kg * 10 >= typical * 11 ? "higher"
                                                             : "typical");
    }
    snprintf(body, sizeof(body), BASE, date, "\"sort\":\"lowest_emissions\",");
    json_t *by_co2 = post_json(body);
    json_int_t last = 0;
    json_array_foreach(json_object_get(by_co2, "itineraries"), ti, tt_)
    {
        json_int_t kg =
            json_integer_value(json_object_get(json_object_get(tt_, "emissions"), "co2e_kg"));
        assert_true(kg >= last);
        last = kg;
    }
    json_decref(by_co2);
    snprintf(body, sizeof(body), BASE, date, "\"filters\":{\"emissions\":\"lower\"},");
    json_t *lower = post_json(body);
    assert_true(json_integer_value(json_object_get(lower, "total")) <= total);
    json_array_foreach(json_object_get(lower, "itineraries"), ti, tt_) assert_string_equal(
        json_string_value(json_object_get(json_object_get(tt_, "emissions"), "label")), "lower");
    json_decref(lower);
    /* Facets describe the set; layover airports come with their names. */
    json_t *facets = json_object_get(all, "facets");
    json_array_foreach(json_object_get(facets, "layover_airports"), ti, tt_)
        assert_true(strlen(json_string_value(json_object_get(tt_, "name"))) > 0);
    assert_true(json_array_size(json_object_get(facets, "carriers")) > 0);
    assert_true(json_is_object(json_object_get(facets, "price_range")));
    /* An airline unticked among many (the filter lists the ticked ones, here with 60 more
     * codes than 32): the search runs and leaves that airline out. */
    json_t *fc = json_object_get(facets, "carriers");
    const char *dropped = json_string_value(json_object_get(json_array_get(fc, 0), "code"));
    json_t *list = json_array();
    for (size_t i = 1; i < json_array_size(fc); i++)
        json_array_append(list, json_object_get(json_array_get(fc, i), "code"));
    for (int i = 0; i < 60; i++) {
        char code[3] = {(char)('0' + i / 10), (char)('A' + i % 10), 0}; /* no such airline */
        json_array_append_new(list, json_string(code));
    }
    json_t *req = json_loads("{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\"}],"
                             "\"currency\":\"USD\",\"limit\":100}",
                             0, NULL);
    json_object_set_new(json_array_get(json_object_get(req, "slices"), 0), "date",
                        json_string(date));
    json_object_set_new(req, "filters", json_pack("{so}", "carriers", list));
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    json_t *some = post_json(text);
    free(text);
    size_t i, k;
    json_t *t, *c;
    assert_true(json_integer_value(json_object_get(some, "total")) < total ||
                json_array_size(fc) == 1);
    json_array_foreach(json_object_get(some, "itineraries"), i, t)
    {
        json_array_foreach(json_object_get(t, "carriers"), k, c)
            assert_string_not_equal(json_string_value(c), dropped);
    }
    json_decref(some);
    json_decref(all);
}

static void calendar_grid_and_explore(void **state)
{
    (void)state;
    char path[256], date[16], back[16];
    snprintf(path, sizeof(path),
             "/api/v1/calendar?origin=LON&destination=NYC&start=%s&days=30&currency=EUR",
             day_str(start + 2, date));
    json_t *j = get_json(path);
    json_t *days = json_object_get(j, "days");
    assert_int_equal(json_array_size(days), 30);
    int priced = 0;
    for (int d = 0; d < 30; d += 7) {
        json_t *price = json_object_get(json_array_get(days, (size_t)d), "price");
        int64_t want = engine_cheapest("LON", "NYC", start + 2 + d, 2, "EUR");
        if (want < 0)
            assert_true(json_is_null(price));
        else
            assert_int_equal(minor_of(price), want);
        priced += want >= 0;
    }
    assert_true(priced > 0);
    json_decref(j);
    snprintf(path, sizeof(path),
             "/api/v1/calendar?origin=LON&destination=NYC&depart=%s&return=%s&currency=EUR",
             day_str(start + 10, date), day_str(start + 12, back));
    j = get_json(path);
    json_t *cells = json_object_get(json_object_get(j, "grid"), "cells");
    assert_int_equal(json_array_size(cells), 7);
    int found = 0;
    for (size_t d = 0; d < 7; d++) {
        json_t *row = json_array_get(cells, d);
        assert_int_equal(json_array_size(row), 7);
        for (size_t r = 0; r < 7; r++) {
            json_t *p = json_object_get(json_array_get(row, r), "price");
            if (12 - 3 + (int)r < 10 - 3 + (int)d)
                assert_true(json_is_null(p)); /* return before departure */
            found += !json_is_null(p);
        }
    }
    assert_true(found > 10);
    json_decref(j);
    snprintf(path, sizeof(path), "/api/v1/explore?origin=LHR&date=%s&currency=GBP&limit=500",
             day_str(start + 9, date));
    j = get_json(path);
    json_t *dests = json_object_get(j, "destinations");
    assert_true(json_array_size(dests) > 5);
    json_int_t prev = 0;
    for (size_t i = 0; i < json_array_size(dests); i++) {
        json_t *d = json_array_get(dests, i);
        json_int_t p = minor_of(json_object_get(d, "price"));
        assert_true(p >= prev);
        prev = p;
        if (i % 5 == 0) /* the engine's cheapest with at most one stop agrees */
            assert_int_equal(p,
                             engine_cheapest("LHR", json_string_value(json_object_get(d, "code")),
                                             start + 9, 1, "GBP"));
    }
    /* Up to two stops: the engine's cheapest with two stops to each, more places reached,
     * some only or more cheaply with two stops. */
    json_t *all_dests = json_deep_copy(dests);
    json_decref(j);
    snprintf(path, sizeof(path),
             "/api/v1/explore?origin=LHR&date=%s&currency=GBP&limit=500&max_stops=2",
             day_str(start + 9, date));
    j = get_json(path);
    json_t *dests2 = json_object_get(j, "destinations");
    assert_true(json_array_size(dests2) >= json_array_size(all_dests));
    int two_stops = 0;
    for (size_t i = 0; i < json_array_size(dests2); i++) {
        json_t *d = json_array_get(dests2, i);
        two_stops += json_integer_value(json_object_get(d, "stops")) == 2;
        if (i % 5 == 0)
            assert_int_equal(minor_of(json_object_get(d, "price")),
                             engine_cheapest("LHR", json_string_value(json_object_get(d, "code")),
                                             start + 9, 2, "GBP"));
    }
    assert_true(two_stops > 0);
    json_decref(j);
    /* Anywhere: the cheapest per continent too, each region's own, in price order, every
     * continent of the whole answer present. */
    snprintf(path, sizeof(path),
             "/api/v1/explore?origin=LHR&date=%s&currency=GBP&limit=500&per_region=3",
             day_str(start + 9, date));
    j = get_json(path);
    json_t *regions = json_object_get(j, "regions");
    assert_true(json_array_size(regions) >= 1);
    for (size_t i = 0; i < json_array_size(all_dests); i++) {
        const char *cont =
            json_string_value(json_object_get(json_array_get(all_dests, i), "continent"));
        int seen = cont[0] == '\0';
        for (size_t r = 0; r < json_array_size(regions) && !seen; r++)
            seen = strcmp(json_string_value(json_object_get(json_array_get(regions, r), "code")),
                          cont) == 0;
        if (!seen)
            fail_msg("no region for continent %s", cont);
    }
    for (size_t r = 0; r < json_array_size(regions); r++) {
        json_t *g = json_array_get(regions, r);
        json_t *gd = json_object_get(g, "destinations");
        assert_true(json_array_size(gd) >= 1 && json_array_size(gd) <= 3);
        prev = 0;
        for (size_t i = 0; i < json_array_size(gd); i++) {
            json_t *d = json_array_get(gd, i);
            assert_string_equal(json_string_value(json_object_get(d, "continent")),
                                json_string_value(json_object_get(g, "code")));
            json_int_t p = minor_of(json_object_get(d, "price"));
            assert_true(p >= prev);
            prev = p;
        }
    }
    json_decref(all_dests);
    json_decref(j);
    snprintf(path, sizeof(path), "/api/v1/explore?origin=LHR&date=%s&region=EU",
             day_str(start + 9, date));
    j = get_json(path);
    assert_null(json_object_get(j, "regions")); /* one region asked: no grouping */
    dests = json_object_get(j, "destinations");
    for (size_t i = 0; i < json_array_size(dests); i++)
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(dests, i), "continent")), "EU");
    json_decref(j);
}

/* Answers come from the cache only while the data under them is unchanged. */
static void cached_answers_follow_the_prices(void **state)
{
    (void)state;
    ct_search_cache *cache;
    assert_int_equal(ct_search_cache_new(64, &cache), CT_OK);
    app.search_cache = cache;
    char body[256], date[16];
    snprintf(body, sizeof(body),
             "{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":\"%s\"}],"
             "\"currency\":\"EUR\"}",
             day_str(start + 9, date));
    ts_response a = ts_http("POST", port, "/api/v1/searches", body, NULL);
    ts_response b = ts_http("POST", port, "/api/v1/searches", body, NULL);
    assert_int_equal(a.status, 200);
    assert_true(ts_has_header(&a, "X-Cache: miss"));
    assert_true(ts_has_header(&b, "X-Cache: hit"));
    assert_string_equal(a.body, b.body);
    /* A seat sold anywhere changes the pricebook's generation: the next answer is new. */
    int seats[CT_NCLASSES] = {1, 1, 1, 1, 1, 1, 1, 1}, known = 0, changed = 0;
    ct_pricebook_begin(pb);
    for (size_t i = 0; i < tt->nlegs && !changed; i++) { /* the combiner (3) sells most */
        const ct_leg *l = &tt->legs[i];
        assert_int_equal(ct_pricebook_put_seats(pb, 3, tt->carriers[l->carrier], l->number,
                                                ct_refdata_airport_at(tt->rd, l->from)->iata,
                                                l->dep, seats, &known, &changed),
                         CT_OK);
    }
    assert_int_equal(ct_pricebook_commit(pb), CT_OK);
    assert_true(changed);
    ts_response c = ts_http("POST", port, "/api/v1/searches", body, NULL);
    assert_true(ts_has_header(&c, "X-Cache: miss"));
    /* The GET endpoints too, keyed on their parameters. */
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/explore?origin=LHR&date=%s", date);
    ts_response e1 = ts_http("GET", port, path, NULL, NULL);
    ts_response e2 = ts_http("GET", port, path, NULL, NULL);
    snprintf(path, sizeof(path), "/api/v1/explore?origin=LHR&date=%s&region=EU", date);
    ts_response e3 = ts_http("GET", port, path, NULL, NULL);
    assert_true(ts_has_header(&e1, "X-Cache: miss") && ts_has_header(&e2, "X-Cache: hit"));
    assert_true(ts_has_header(&e3, "X-Cache: miss"));
    /* The stops are part of the key: two stops is another answer, then cached itself. */
    snprintf(path, sizeof(path), "/api/v1/explore?origin=LHR&date=%s&max_stops=2", date);
    ts_response e4 = ts_http("GET", port, path, NULL, NULL);
    ts_response e5 = ts_http("GET", port, path, NULL, NULL);
    assert_true(ts_has_header(&e4, "X-Cache: miss") && ts_has_header(&e5, "X-Cache: hit"));
    assert_string_not_equal(e1.body, e4.body);
    assert_string_equal(e4.body, e5.body);
    uint64_t hits, misses;
    ct_search_cache_stats(cache, &hits, &misses);
    assert_true(hits == 3 && misses == 5);
    ts_response *all[] = {&a, &b, &c, &e1, &e2, &e3, &e4, &e5};
    for (size_t i = 0; i < 8; i++)
        ts_response_free(all[i]);
    app.search_cache = NULL;
    ct_search_cache_free(cache);
}

static const char *field_of(const char *method, const char *path, const char *body, char *out)
{
    ts_response r = ts_http(method, port, path, body, NULL);
    out[0] = '\0';
    if (r.status == 400) {
        json_t *j = ts_json(&r);
        json_t *e = json_array_get(json_object_get(j, "errors"), 0);
        snprintf(out, 80, "%s", json_string_value(json_object_get(e, "field")));
        json_decref(j);
    }
    ts_response_free(&r);
    return out;
}

static void bad_priced_requests_name_the_field(void **state)
{
    (void)state;
    char f[80];
    const char *slice = "{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\",\"date\":"
                        "\"2026-12-01\"}]";
    struct {
        const char *extra, *field;
    } cases[] = {
        {",\"filters\":{\"stops\":[5]}}", "filters.stops"},
        {",\"filters\":{\"departure_window\":{\"from\":\"25:00\",\"to\":\"10:00\"}}}",
         "filters.departure_window.from"},
        {",\"filters\":{\"colour\":\"red\"}}", "filters.colour"},
        {",\"filters\":{\"max_price\":-3}}", "filters.max_price"},
        {",\"filters\":{\"emissions\":\"low\"}}", "filters.emissions"},
        {",\"sort\":\"random\"}", "sort"},
        {",\"currency\":\"EURO\"}", "currency"},
        {",\"currency\":\"XYZ\"}", "currency"},
        {",\"cabin\":\"premium\"}", "cabin"},
        {",\"passengers\":{\"adults\":0}}", "passengers.adults"},
        {",\"passengers\":{\"adults\":1,\"infants\":2}}", "passengers.infants"},
        {",\"passengers\":{\"adults\":5,\"children\":5}}", "passengers.children"},
        {",\"passengers\":{\"adults\":1,\"infants_in_seat\":9}}", "passengers.infants_in_seat"},
        {",\"passengers\":{\"adults\":1,\"children\":7,\"infants_in_seat\":2}}",
         "passengers.infants_in_seat"},
        {",\"passengers\":{\"adults\":1,\"infants\":1,\"infants_in_seat\":2}}",
         "passengers.infants_in_seat"},
        {",\"limit\":0}", "limit"},
    };
    /* A date past the schedules says until when they run, in a traveller's words. */
    ts_response far = ts_http("POST", port, "/api/v1/searches",
                              "{\"slices\":[{\"origin\":\"LON\",\"destination\":\"NYC\","
                              "\"date\":\"2099-01-01\"}]}",
                              NULL);
    assert_int_equal(far.status, 400);
    assert_non_null(strstr(far.body, "slices[0].date"));
    assert_non_null(strstr(far.body, "we have schedules up to "));
    ts_response_free(&far);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[512];
        snprintf(body, sizeof(body), "%s%s", slice, cases[i].extra);
        assert_string_equal(field_of("POST", "/api/v1/searches", body, f), cases[i].field);
    }
    assert_string_equal(
        field_of("GET", "/api/v1/calendar?origin=LON&destination=NYC&start=2026-12-01&days=99",
                 NULL, f),
        "days");
    assert_string_equal(
        field_of("GET", "/api/v1/calendar?origin=LON&destination=QQQ&start=2026-12-01", NULL, f),
        "destination");
    assert_string_equal(field_of("GET", "/api/v1/explore?origin=LHR&month=2026-1", NULL, f),
                        "month");
    assert_string_equal(
        field_of("GET", "/api/v1/explore?origin=LHR&date=2026-12-01&max_stops=3", NULL, f),
        "max_stops");
    assert_string_equal(
        field_of("GET", "/api/v1/explore?origin=LHR&date=2026-12-01&per_region=101", NULL, f),
        "per_region");
    atomic_store(&app.pricebook, NULL);
    ct_pricebook_free(pb);
    pb = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(search_answers_like_the_engine),
        cmocka_unit_test(round_trip_combines_slices),
        cmocka_unit_test(bad_requests_name_the_field),
        cmocka_unit_test(priced_search_lists_every_offer),
        cmocka_unit_test(children_and_infants_pay_their_fares),
        cmocka_unit_test(every_cabin_is_searched),
        cmocka_unit_test(filters_sorts_and_pages),
        cmocka_unit_test(calendar_grid_and_explore),
        cmocka_unit_test(cached_answers_follow_the_prices),
        cmocka_unit_test(bad_priced_requests_name_the_field),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
